package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"
	"unicode/utf8"
)

// The generated UnmarshalJSON methods walk a document once with the small
// scanner below: each member's value is located without decoding it, known
// members are decoded straight into their fields (scalars without
// reflection) and the rest are copied into Unknown. Member names match
// exactly, unlike encoding/json's case-insensitive matching, so a member
// that differs only in case is kept verbatim as an unknown member.

// PathError is a decoding error about one member of a document: its value
// has the wrong JSON type, or is not a valid time, number or enum text.
// Path is the member's JSON Pointer (RFC 6901), such as
// "/Container/Storage/Layers/0/Id", the form UnknownMembers uses too.
type PathError struct {
	Path string
	Err  error
}

// Error returns "schema: PATH: cause".
func (e *PathError) Error() string { return "schema: " + e.Path + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *PathError) Unwrap() error { return e.Err }

// wrapPath prefixes the path of err with the segment seg (a member name or
// an array index), making err a *PathError if it is not one yet.
func wrapPath(seg string, err error) error {
	var pe *PathError
	if errors.As(err, &pe) {
		pe.Path = "/" + escapePointer(seg) + pe.Path
		return pe
	}
	return &PathError{Path: "/" + escapePointer(seg), Err: err}
}

var errSyntax = errors.New("invalid JSON")

func syntaxErr(data []byte, i int) error {
	return fmt.Errorf("%w at offset %d of %d", errSyntax, i, len(data))
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(d []byte, i int) int {
	for i < len(d) && isSpace(d[i]) {
		i++
	}
	return i
}

func isNull(v []byte) bool { return len(v) == 4 && string(v) == "null" }

// skipString returns the index after the string starting at d[i] == '"' and
// whether it holds escapes or bytes that need checking.
func skipString(d []byte, i int) (end int, plain bool, err error) {
	plain = true
	for i++; i < len(d); i++ {
		switch c := d[i]; {
		case c == '"':
			return i + 1, plain, nil
		case c == '\\':
			plain = false
			i++
			if i >= len(d) {
				return 0, false, syntaxErr(d, i)
			}
			switch d[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(d) {
					return 0, false, syntaxErr(d, i)
				}
				for _, h := range d[i+1 : i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return 0, false, syntaxErr(d, i)
					}
				}
				i += 4
			default:
				return 0, false, syntaxErr(d, i)
			}
		case c < 0x20:
			return 0, false, syntaxErr(d, i)
		case c >= utf8.RuneSelf:
			plain = false
		}
	}
	return 0, false, syntaxErr(d, i)
}

func skipDigits(d []byte, i int) int {
	for i < len(d) && '0' <= d[i] && d[i] <= '9' {
		i++
	}
	return i
}

func skipNumber(d []byte, i int) (int, error) {
	start := i
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		i = skipDigits(d, i)
	default:
		return 0, syntaxErr(d, start)
	}
	if i < len(d) && d[i] == '.' {
		j := skipDigits(d, i+1)
		if j == i+1 {
			return 0, syntaxErr(d, i)
		}
		i = j
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := skipDigits(d, i)
		if j == i {
			return 0, syntaxErr(d, i)
		}
		i = j
	}
	return i, nil
}

// skipValue returns the index after the JSON value starting at d[i].
func skipValue(d []byte, i int) (int, error) {
	if i >= len(d) {
		return 0, syntaxErr(d, i)
	}
	switch c := d[i]; c {
	case '"':
		end, _, err := skipString(d, i)
		return end, err
	case '{', '[':
		return skipContainer(d, i)
	case 't', 'f', 'n':
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(d)-i >= len(lit) && string(d[i:i+len(lit)]) == lit {
				return i + len(lit), nil
			}
		}
		return 0, syntaxErr(d, i)
	default:
		return skipNumber(d, i)
	}
}

// skipContainer skips an object or array, checking its structure.
func skipContainer(d []byte, i int) (int, error) {
	var stackBuf [32]byte
	stack := stackBuf[:0]
	for {
		// At the start of a container.
		open := d[i]
		stack = append(stack, open)
		i = skipSpace(d, i+1)
		if i < len(d) && (d[i] == '}' && open == '{' || d[i] == ']' && open == '[') {
			i++
			stack = stack[:len(stack)-1]
			goto closed
		}
	member:
		if stack[len(stack)-1] == '{' {
			if i >= len(d) || d[i] != '"' {
				return 0, syntaxErr(d, i)
			}
			end, _, err := skipString(d, i)
			if err != nil {
				return 0, err
			}
			i = skipSpace(d, end)
			if i >= len(d) || d[i] != ':' {
				return 0, syntaxErr(d, i)
			}
			i = skipSpace(d, i+1)
		}
		if i < len(d) && (d[i] == '{' || d[i] == '[') {
			continue
		}
		{
			end, err := skipValue(d, i)
			if err != nil {
				return 0, err
			}
			i = end
		}
	closed:
		for {
			if len(stack) == 0 {
				return i, nil
			}
			i = skipSpace(d, i)
			if i >= len(d) {
				return 0, syntaxErr(d, i)
			}
			top := stack[len(stack)-1]
			switch {
			case d[i] == ',':
				i = skipSpace(d, i+1)
				goto member
			case d[i] == '}' && top == '{', d[i] == ']' && top == '[':
				i++
				stack = stack[:len(stack)-1]
			default:
				return 0, syntaxErr(d, i)
			}
		}
	}
}

// scanObject calls fn for each member of the JSON object data, in order.
// A null document is no object and no error. Errors from fn are wrapped
// with the member name.
func scanObject(data []byte, typ string, fn func(key, val []byte) error) error {
	i := skipSpace(data, 0)
	if i >= len(data) {
		return syntaxErr(data, i)
	}
	if data[i] != '{' {
		end, err := skipValue(data, i)
		if err != nil {
			return err
		}
		if v := data[i:end]; isNull(v) {
			return checkEnd(data, end)
		}
		return &json.UnmarshalTypeError{Value: kindOf(data[i]), Type: reflect.TypeFor[map[string]any](), Struct: typ}
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return checkEnd(data, i+1)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return syntaxErr(data, i)
		}
		kend, plain, err := skipString(data, i)
		if err != nil {
			return err
		}
		key := data[i+1 : kend-1]
		if !plain {
			var s string
			if err := json.Unmarshal(data[i:kend], &s); err != nil {
				return err
			}
			key = []byte(s)
		}
		i = skipSpace(data, kend)
		if i >= len(data) || data[i] != ':' {
			return syntaxErr(data, i)
		}
		i = skipSpace(data, i+1)
		vend, err := skipValue(data, i)
		if err != nil {
			return err
		}
		if err := fn(key, data[i:vend]); err != nil {
			return wrapPath(string(key), err)
		}
		i = skipSpace(data, vend)
		if i >= len(data) {
			return syntaxErr(data, i)
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return checkEnd(data, i+1)
		default:
			return syntaxErr(data, i)
		}
	}
}

// scanArray calls fn for each element of the JSON array data.
func scanArray(data []byte, fn func(n int, val []byte) error) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return syntaxErr(data, i)
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return checkEnd(data, i+1)
	}
	for n := 0; ; n++ {
		end, err := skipValue(data, i)
		if err != nil {
			return err
		}
		if err := fn(n, data[i:end]); err != nil {
			return wrapPath(fmt.Sprint(n), err)
		}
		i = skipSpace(data, end)
		if i >= len(data) {
			return syntaxErr(data, i)
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case ']':
			return checkEnd(data, i+1)
		default:
			return syntaxErr(data, i)
		}
	}
}

func checkEnd(data []byte, i int) error {
	if i = skipSpace(data, i); i != len(data) {
		return syntaxErr(data, i)
	}
	return nil
}

func kindOf(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

func typeErr[T any](v []byte) error {
	val := kindOf(v[0])
	if val == "number" {
		val = "number " + string(v)
	}
	return &json.UnmarshalTypeError{Value: val, Type: reflect.TypeFor[T]()}
}

// decString decodes a JSON string into p. null leaves p alone. An empty
// string sets bit in *keep so that encoding writes it back.
func decString[S ~string](v []byte, p *S, keep *uint64, bit uint64) error {
	if isNull(v) {
		return nil
	}
	if v[0] != '"' {
		return typeErr[S](v)
	}
	if len(v) == 2 {
		*p = ""
		*keep |= bit
		return nil
	}
	return elemString(p, v)
}

func elemString[S ~string](p *S, v []byte) error {
	if isNull(v) {
		return nil
	}
	if v[0] != '"' {
		return typeErr[S](v)
	}
	body := v[1 : len(v)-1]
	plain := true
	for _, c := range body {
		if c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		*p = S(body)
		return nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return err
	}
	*p = S(s)
	return nil
}

func decBool(v []byte, p **bool) error {
	if isNull(v) {
		return nil
	}
	b := new(bool)
	if err := elemBool(b, v); err != nil {
		return err
	}
	*p = b
	return nil
}

func elemBool(p *bool, v []byte) error {
	switch string(v) {
	case "true":
		*p = true
	case "false":
		*p = false
	case "null":
	default:
		return typeErr[bool](v)
	}
	return nil
}

type unsigned interface {
	~uint8 | ~uint16 | ~uint32 | ~uint64
}

type signed interface {
	~int8 | ~int16 | ~int32 | ~int64
}

func decUint[T unsigned](v []byte, p **T) error {
	if isNull(v) {
		return nil
	}
	x := new(T)
	if err := elemUint(x, v); err != nil {
		return err
	}
	*p = x
	return nil
}

func elemUint[T unsigned](p *T, v []byte) error {
	if isNull(v) {
		return nil
	}
	if len(v) == 0 || v[0] < '0' || v[0] > '9' || len(v) > 20 {
		return typeErr[T](v)
	}
	var n uint64
	for _, c := range v {
		if c < '0' || c > '9' {
			return typeErr[T](v)
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return typeErr[T](v)
		}
		n = n*10 + d
	}
	if uint64(T(n)) != n {
		return typeErr[T](v)
	}
	*p = T(n)
	return nil
}

func decInt[T signed](v []byte, p **T) error {
	if isNull(v) {
		return nil
	}
	x := new(T)
	if err := elemInt(x, v); err != nil {
		return err
	}
	*p = x
	return nil
}

func elemInt[T signed](p *T, v []byte) error {
	if isNull(v) {
		return nil
	}
	neg := len(v) > 0 && v[0] == '-'
	digits := v
	if neg {
		digits = v[1:]
	}
	if len(digits) == 0 || len(digits) > 19 {
		return typeErr[T](v)
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return typeErr[T](v)
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			// Only -9223372036854775808 gets here legitimately.
			if neg && string(digits) == "9223372036854775808" {
				n = -1 << 63
				neg = false
				break
			}
			return typeErr[T](v)
		}
		n = n*10 + d
	}
	if neg {
		n = -n
	}
	if int64(T(n)) != n {
		return typeErr[T](v)
	}
	*p = T(n)
	return nil
}

// decTime decodes an RFC 3339 date-time. A zero time sets bit in *keep.
func decTime(v []byte, p *time.Time, keep *uint64, bit uint64) error {
	if isNull(v) {
		return nil
	}
	if err := p.UnmarshalJSON(v); err != nil {
		return err
	}
	if p.IsZero() {
		*keep |= bit
	}
	return nil
}

func elemBytes(p *[]byte, v []byte) error {
	if isNull(v) {
		return nil
	}
	return json.Unmarshal(v, p)
}

// elemRaw copies a free-form value, null included.
func elemRaw(p *json.RawMessage, v []byte) error {
	*p = append(json.RawMessage(nil), v...)
	return nil
}

// unmarshaler is a generated object type.
type unmarshaler[T any] interface {
	*T
	UnmarshalJSON([]byte) error
}

func decObject[T any, P unmarshaler[T]](v []byte, p **T) error {
	if isNull(v) {
		return nil
	}
	x := P(new(T))
	if err := x.UnmarshalJSON(v); err != nil {
		return err
	}
	*p = (*T)(x)
	return nil
}

// decSlice decodes a JSON array. null leaves *p nil; [] gives an empty,
// non-nil slice, which encodes as [] again.
func decSlice[E any](v []byte, p *[]E, elem func(*E, []byte) error) error {
	if isNull(v) {
		return nil
	}
	if v[0] != '[' {
		return typeErr[[]E](v)
	}
	s := make([]E, 0, 4)
	err := scanArray(v, func(_ int, ev []byte) error {
		var e E
		if err := elem(&e, ev); err != nil {
			return err
		}
		s = append(s, e)
		return nil
	})
	if err != nil {
		return err
	}
	*p = s
	return nil
}

// decMap decodes a JSON object of E values. null leaves *p nil; {} gives an
// empty, non-nil map.
func decMap[E any](v []byte, p *map[string]E, elem func(*E, []byte) error) error {
	if isNull(v) {
		return nil
	}
	if v[0] != '{' {
		return typeErr[map[string]E](v)
	}
	m := make(map[string]E)
	err := scanObject(v, "", func(k, ev []byte) error {
		var e E
		if err := elem(&e, ev); err != nil {
			return err
		}
		m[string(k)] = e
		return nil
	})
	if err != nil {
		return err
	}
	*p = m
	return nil
}

// addUnknown records a member the sources do not list.
func addUnknown(m map[string]json.RawMessage, k, v []byte) map[string]json.RawMessage {
	if m == nil {
		m = make(map[string]json.RawMessage)
	}
	m[string(k)] = append(json.RawMessage(nil), v...)
	return m
}
