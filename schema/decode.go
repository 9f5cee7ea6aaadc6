package schema

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// The generated UnmarshalJSON methods read a document in one pass with the
// decoder below: each method reads its object member by member, decoding
// known members straight into their fields (without reflection) and copying
// the others into Unknown, and hands nested objects to their own methods.
// The decoder checks the whole text as it goes, so nothing needs to check
// it first. Member names match exactly, unlike encoding/json's
// case-insensitive matching, so a member that differs only in case is kept
// verbatim as an unknown member. Of repeated members the last wins, as with
// encoding/json; Check reports them.
//
// Boolean and integer fields are pointers. Rather than one allocation per
// value, the decoder hands out pointers into small arrays it allocates per
// scalar type (slab), so a document's integers share a few allocations.

// slab hands out pointers to distinct elements of arrays it allocates in
// growing chunks.
type slab[T any] struct {
	free []T
	next int
}

func (s *slab[T]) new() *T {
	if len(s.free) == 0 {
		s.next = min(max(2*s.next, 8), 512)
		s.free = make([]T, s.next)
	}
	p := &s.free[0]
	s.free = s.free[1:]
	return p
}

// decoder reads one JSON document.
type decoder struct {
	data   []byte
	i      int    // the next byte to read
	ks, ke int    // the name of the member whose value is at i: data[ks:ke] …
	kesc   []byte // … or this, if it had escapes
	chk    *checker

	scratch []byte // the text of the last string with escapes

	// A slab for each type of pointer field the schema has; schemagen
	// names them.
	bools slab[bool]
	u8    slab[uint8]
	u16   slab[uint16]
	u32   slab[uint32]
	u64   slab[uint64]
	i32   slab[int32]
	i64   slab[int64]
}

// decodeDocument decodes data, one JSON document, into t with dec, the
// generated decode method of T. A null document leaves t zero.
func decodeDocument[T any](data []byte, t *T, dec func(*T, *decoder) error) error {
	d := &decoder{data: data}
	d.space()
	return d.end(dec(t, d))
}

// end finishes a document whose value gave err. A syntax error anywhere
// in the document comes before any other error, as with encoding/json,
// which checks the text first.
func (d *decoder) end(err error) error {
	if err != nil {
		if _, ok := err.(*SyntaxError); !ok {
			whole := decoder{data: d.data}
			whole.space()
			if serr := whole.end(whole.skip()); serr != nil {
				return serr
			}
		}
		if te, ok := err.(*TypeError); ok {
			return &PathError{Err: te}
		}
		return err
	}
	d.space()
	if d.i != len(d.data) {
		return d.syntax("the end of the document")
	}
	return nil
}

func (d *decoder) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// syntax returns the error about the byte at i, which is not what the
// grammar allows there (want).
func (d *decoder) syntax(want string) error {
	if d.i >= len(d.data) {
		return newSyntaxError(d.data, d.i, "unexpected end of the document, want "+want)
	}
	r, _ := utf8.DecodeRune(d.data[d.i:])
	return newSyntaxError(d.data, d.i, "unexpected "+strconv.QuoteRune(r)+", want "+want)
}

// peek returns the byte at i, or 0 at the end.
func (d *decoder) peek() byte {
	if d.i < len(d.data) {
		return d.data[d.i]
	}
	return 0
}

// null reports whether a null is at i, and reads it.
func (d *decoder) null() bool {
	if len(d.data)-d.i >= 4 && string(d.data[d.i:d.i+4]) == "null" {
		d.i += 4
		return true
	}
	return false
}

// literal reads lit (true, false or null) at i.
func (d *decoder) literal(lit string) error {
	for j := range len(lit) {
		if d.i+j >= len(d.data) || d.data[d.i+j] != lit[j] {
			d.i += j
			return d.syntax("the literal " + lit)
		}
	}
	d.i += len(lit)
	return nil
}

// mismatch reads the value at i, which the schema type described by want
// cannot hold, and returns the *TypeError saying so (or a syntax error,
// if the value is not JSON).
func (d *decoder) mismatch(want string) error {
	start := d.i
	if err := d.skip(); err != nil {
		return err
	}
	var what string
	switch d.data[start] {
	case '{':
		what = "a JSON object"
	case '[':
		what = "a JSON array"
	case '"':
		what = "a JSON string"
	case 't', 'f':
		what = "a JSON boolean (" + string(d.data[start:d.i]) + ")"
	default:
		what = "the number " + string(d.data[start:d.i])
	}
	return &TypeError{Value: what, Want: want}
}

// openObject reads the start of an object and, if it has members, the name
// of the first, reporting whether it has. null is an object without
// members. want describes the object for errors ("a Container object").
func (d *decoder) openObject(want string) (bool, error) {
	switch d.peek() {
	case '{':
		d.i++
		d.space()
		if d.peek() == '}' {
			d.i++
			return false, nil
		}
		if d.chk != nil {
			d.chk.enter()
		}
		if err := d.member(); err != nil {
			return false, err
		}
		return true, nil
	case 'n':
		if d.null() {
			return false, nil
		}
	case 0:
		return false, d.syntax("a value")
	}
	return false, d.mismatch(want)
}

// next reads what follows a member's value: the name of the next member,
// reporting true, or the end of the object.
func (d *decoder) next() (bool, error) {
	d.space()
	switch d.peek() {
	case ',':
		d.i++
		d.space()
		if err := d.member(); err != nil {
			return false, err
		}
		return true, nil
	case '}':
		d.i++
		if d.chk != nil {
			d.chk.leave()
		}
		return false, nil
	}
	return false, d.syntax("',' or '}'")
}

// member reads a member name and its colon into key.
func (d *decoder) member() error {
	if d.peek() != '"' {
		return d.syntax("a member name")
	}
	start := d.i
	k, copied, err := d.string()
	if err != nil {
		return err
	}
	switch {
	case copied:
		d.kesc = bytes.Clone(k)
	case d.kesc != nil:
		d.kesc = nil
		fallthrough
	default:
		d.ks, d.ke = start+1, d.i-1
	}
	if d.chk != nil {
		d.chk.member(k, start)
	}
	d.space()
	if d.peek() != ':' {
		return d.syntax("':'")
	}
	d.i++
	d.space()
	if d.chk != nil {
		d.chk.value(d.i)
	}
	return nil
}

// name returns the name of the member whose value is at i. It stays valid
// when the decoder goes on.
func (d *decoder) name() []byte {
	if d.kesc != nil {
		return d.kesc
	}
	return d.data[d.ks:d.ke]
}

// inMember handles err from the value of member k. A type error is
// recorded by Check, which then goes on; otherwise the error is returned
// with k added to its path.
func (d *decoder) inMember(k []byte, err error) error {
	if d.chk != nil {
		return d.chk.note(err)
	}
	return wrapPath(string(k), err)
}

// inElement is inMember for the element n of an array.
func (d *decoder) inElement(n int, err error) error {
	if d.chk != nil {
		return d.chk.note(err)
	}
	return wrapPath(strconv.Itoa(n), err)
}

// stringBytes reads the string at i and returns its text: a slice of data
// when the string is plain, else an unescaped copy in the decoder's scratch
// buffer, valid until the next string is read. Invalid UTF-8 and lone
// surrogates become U+FFFD, as with encoding/json.
func (d *decoder) stringBytes() ([]byte, error) {
	s, _, err := d.string()
	return s, err
}

// strSafe marks the bytes that can stand for themselves in a string: not
// '"', '\\', a control character or the start of a multi-byte character.
var strSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// string is stringBytes, also reporting whether the text is a copy.
func (d *decoder) string() (text []byte, copied bool, err error) {
	start := d.i + 1
	j := start
	for {
		for j < len(d.data) && strSafe[d.data[j]] {
			j++
		}
		if j >= len(d.data) {
			d.i = j
			return nil, false, d.syntax(`'"'`)
		}
		switch c := d.data[j]; {
		case c == '"':
			d.i = j + 1
			return d.data[start:j], false, nil
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(d.data[j:])
			if r == utf8.RuneError && n == 1 {
				text, err = d.unescape(start)
				return text, true, err
			}
			j += n
		default: // an escape or a control character
			text, err = d.unescape(start)
			return text, true, err
		}
	}
}

// unescape reads the rest of a string whose text starts at start, into
// the decoder's scratch buffer: the text is valid until the next string is
// read.
func (d *decoder) unescape(start int) ([]byte, error) {
	out := d.scratch[:0]
	defer func() { d.scratch = out[:0] }()
	i := start
	for {
		j := i
		for j < len(d.data) && strSafe[d.data[j]] {
			j++
		}
		out = append(out, d.data[i:j]...)
		if i = j; i >= len(d.data) {
			break
		}
		switch c := d.data[i]; {
		case c == '"':
			d.i = i + 1
			return out, nil
		case c < 0x20:
			d.i = i
			return nil, newSyntaxError(d.data, i, "control character "+strconv.QuoteRune(rune(c))+" in a string")
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(d.data[i:])
			out = utf8.AppendRune(out, r) // RuneError for invalid bytes
			i += n
			continue
		}
		// A backslash.
		if i+1 >= len(d.data) {
			d.i = len(d.data)
			return nil, d.syntax("an escape")
		}
		e := d.data[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(d.data, i)
			if !ok {
				d.i = i
				return nil, d.syntax("four hexadecimal digits")
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(d.data, i+2); ok && d.data[i] == '\\' && d.data[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			d.i = i - 1
			return nil, d.syntax("an escape (one of \"\\/bfnrtu)")
		}
	}
	d.i = len(d.data)
	return nil, d.syntax(`'"'`)
}

// hex4 reads four hexadecimal digits at data[i:].
func hex4(data []byte, i int) (rune, bool) {
	if i < 0 || i+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number reads the number at i and returns its text.
func (d *decoder) number() ([]byte, error) {
	start := d.i
	i := d.i
	if i < len(d.data) && d.data[i] == '-' {
		i++
	}
	switch {
	case i < len(d.data) && d.data[i] == '0':
		i++
	case i < len(d.data) && '1' <= d.data[i] && d.data[i] <= '9':
		i = skipDigits(d.data, i)
	default:
		d.i = i
		return nil, d.syntax("a digit")
	}
	if i < len(d.data) && d.data[i] == '.' {
		j := skipDigits(d.data, i+1)
		if j == i+1 {
			d.i = j
			return nil, d.syntax("a digit")
		}
		i = j
	}
	if i < len(d.data) && (d.data[i] == 'e' || d.data[i] == 'E') {
		i++
		if i < len(d.data) && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		j := skipDigits(d.data, i)
		if j == i {
			d.i = j
			return nil, d.syntax("a digit")
		}
		i = j
	}
	d.i = i
	return d.data[start:i], nil
}

// numberByte marks the bytes that can continue a number.
var numberByte = [256]bool{'0': true, '1': true, '2': true, '3': true, '4': true, '5': true,
	'6': true, '7': true, '8': true, '9': true, '.': true, 'e': true, 'E': true, '+': true, '-': true}

func skipDigits(data []byte, i int) int {
	for i < len(data) && '0' <= data[i] && data[i] <= '9' {
		i++
	}
	return i
}

// skip reads the value at i, checking it.
func (d *decoder) skip() error {
	switch d.peek() {
	case '{':
		more, err := d.openObject("")
		for more && err == nil {
			if err = d.skip(); err != nil {
				return err
			}
			more, err = d.next()
		}
		return err
	case '[':
		return d.array("", func(int) error { return d.skip() })
	case '"':
		_, err := d.stringBytes()
		return err
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		_, err := d.number()
		return err
	}
	return d.syntax("a value")
}

// array reads an array, calling elem for each element at i. null is an
// array without elements. want describes the array for errors.
func (d *decoder) array(want string, elem func(n int) error) error {
	switch d.peek() {
	case '[':
	case 'n':
		if d.null() {
			return nil
		}
		return d.mismatch(want)
	case 0:
		return d.syntax("a value")
	default:
		return d.mismatch(want)
	}
	d.i++
	d.space()
	if d.peek() == ']' {
		d.i++
		return nil
	}
	if d.chk != nil {
		d.chk.enter()
	}
	for n := 0; ; n++ {
		if d.chk != nil {
			d.chk.index(n, d.i)
		}
		if err := elem(n); err != nil {
			return err
		}
		d.space()
		switch d.peek() {
		case ',':
			d.i++
			d.space()
		case ']':
			d.i++
			if d.chk != nil {
				d.chk.leave()
			}
			return nil
		default:
			return d.syntax("',' or ']'")
		}
	}
}

// raw reads the value at i and returns a copy of its text.
func (d *decoder) raw() (json.RawMessage, error) {
	start := d.i
	if err := d.skip(); err != nil {
		return nil, err
	}
	return append(json.RawMessage(nil), d.data[start:d.i]...), nil
}

// The decoders of member values. Each reads the value at i; null leaves
// the field as it is. A value of the wrong type is read whole and gives a
// *TypeError.

// decString decodes a string. An empty string sets bit in *keep, so that
// encoding writes it back.
func decString[S ~string](d *decoder, p *S, keep *uint64, bit uint64) error {
	if d.peek() == '"' {
		b, err := d.stringBytes()
		if err != nil {
			return err
		}
		*p = S(b)
		if len(b) == 0 {
			*keep |= bit
		}
		return nil
	}
	if d.null() {
		return nil
	}
	return d.mismatch("a string")
}

func elemString[S ~string](p *S, d *decoder) error {
	var keep uint64
	return decString(d, p, &keep, 0)
}

func decBool(d *decoder, p **bool) error {
	if d.peek() == 'n' && d.null() {
		return nil
	}
	var v bool
	if err := elemBool(&v, d); err != nil {
		return err
	}
	b := d.bools.new()
	*b = v
	*p = b
	return nil
}

func elemBool(p *bool, d *decoder) error {
	switch d.peek() {
	case 't':
		if err := d.literal("true"); err != nil {
			return err
		}
		*p = true
		return nil
	case 'f':
		if err := d.literal("false"); err != nil {
			return err
		}
		*p = false
		return nil
	case 'n':
		if d.null() {
			return nil
		}
	}
	return d.mismatch("a boolean")
}

type unsigned interface {
	~uint8 | ~uint16 | ~uint32 | ~uint64
}

type signed interface {
	~int8 | ~int16 | ~int32 | ~int64
}

// intWords describes an integer type for errors: "a uint32 (a whole
// number from 0 to 4294967295)".
func intWords[T unsigned | signed]() string {
	t := reflect.TypeFor[T]()
	lo, hi := "0", strconv.FormatUint(math.MaxUint64>>(64-t.Bits()), 10)
	article := "a "
	if t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64 {
		lo = strconv.FormatInt(math.MinInt64>>(64-t.Bits()), 10)
		hi = strconv.FormatInt(math.MaxInt64>>(64-t.Bits()), 10)
		article = "an "
	}
	return article + t.Kind().String() + " (a whole number from " + lo + " to " + hi + ")"
}

// decUint decodes an unsigned integer into a pointer from s.
func decUint[T unsigned](d *decoder, p **T, s *slab[T]) error {
	if d.peek() == 'n' && d.null() {
		return nil
	}
	var v T
	if err := elemUint(&v, d); err != nil {
		return err
	}
	x := s.new()
	*x = v
	*p = x
	return nil
}

func elemUint[T unsigned](p *T, d *decoder) error {
	// The common case, at most 19 digits and nothing else: no overflow of
	// a uint64 is possible.
	if i := d.i; i < len(d.data) && '1' <= d.data[i] && d.data[i] <= '9' {
		var n uint64
		for ; i < len(d.data) && i-d.i < 19; i++ {
			c := d.data[i] - '0'
			if c > 9 {
				break
			}
			n = n*10 + uint64(c)
		}
		if i == len(d.data) || !numberByte[d.data[i]] {
			if uint64(T(n)) == n {
				d.i = i
				*p = T(n)
				return nil
			}
		}
	}
	c := d.peek()
	if c != '-' && (c < '0' || c > '9') {
		if c == 'n' && d.null() {
			return nil
		}
		return d.mismatch(intWords[T]())
	}
	text, err := d.number()
	if err != nil {
		return err
	}
	var n uint64
	for _, c := range text {
		if c < '0' || c > '9' || n > (math.MaxUint64-uint64(c-'0'))/10 {
			return &TypeError{Value: "the number " + string(text), Want: intWords[T]()}
		}
		n = n*10 + uint64(c-'0')
	}
	if uint64(T(n)) != n {
		return &TypeError{Value: "the number " + string(text), Want: intWords[T]()}
	}
	*p = T(n)
	return nil
}

// decInt decodes a signed integer into a pointer from s.
func decInt[T signed](d *decoder, p **T, s *slab[T]) error {
	if d.peek() == 'n' && d.null() {
		return nil
	}
	var v T
	if err := elemInt(&v, d); err != nil {
		return err
	}
	x := s.new()
	*x = v
	*p = x
	return nil
}

func elemInt[T signed](p *T, d *decoder) error {
	c := d.peek()
	if c != '-' && (c < '0' || c > '9') {
		if c == 'n' && d.null() {
			return nil
		}
		return d.mismatch(intWords[T]())
	}
	text, err := d.number()
	if err != nil {
		return err
	}
	digits := text
	if text[0] == '-' {
		digits = text[1:]
	}
	var n uint64 // the magnitude, at most 1<<63
	for _, c := range digits {
		if c < '0' || c > '9' || n > (1<<63-uint64(c-'0'))/10 {
			return &TypeError{Value: "the number " + string(text), Want: intWords[T]()}
		}
		n = n*10 + uint64(c-'0')
	}
	v := int64(n) // 1<<63 wraps to math.MinInt64, right only if negative
	if text[0] == '-' {
		v = -v
	} else if n == 1<<63 {
		return &TypeError{Value: "the number " + string(text), Want: intWords[T]()}
	}
	if int64(T(v)) != v {
		return &TypeError{Value: "the number " + string(text), Want: intWords[T]()}
	}
	*p = T(v)
	return nil
}

const timeWords = "a date-time (an RFC 3339 string such as \"2026-04-21T12:34:56Z\")"

// decTime decodes an RFC 3339 date-time. A zero time sets bit in *keep.
func decTime(d *decoder, p *time.Time, keep *uint64, bit uint64) error {
	switch d.peek() {
	case '"':
	case 'n':
		if d.null() {
			return nil
		}
		return d.mismatch(timeWords)
	default:
		return d.mismatch(timeWords)
	}
	start := d.i
	b, err := d.stringBytes()
	if err != nil {
		return err
	}
	if err := p.UnmarshalText(b); err != nil {
		*p = time.Time{}
		return &TypeError{Value: "the string " + string(d.data[start:d.i]), Want: timeWords}
	}
	if p.IsZero() {
		*keep |= bit
	}
	return nil
}

const bytesWords = "base64 text (a string)"

func elemBytes(p *[]byte, d *decoder) error {
	switch d.peek() {
	case '"':
	case 'n':
		if d.null() {
			return nil
		}
		return d.mismatch(bytesWords)
	default:
		return d.mismatch(bytesWords)
	}
	start := d.i
	b, err := d.stringBytes()
	if err != nil {
		return err
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
	n, err := base64.StdEncoding.Decode(out, b)
	if err != nil {
		return &TypeError{Value: "the string " + string(d.data[start:d.i]), Want: bytesWords}
	}
	*p = out[:n]
	return nil
}

// elemRaw copies a free-form value, null included. Check looks into it
// for repeated member names too.
func elemRaw(p *json.RawMessage, d *decoder) error {
	v, err := d.raw()
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// decUnknown records the member k, one the schema does not list.
func decUnknown(d *decoder, m map[string]json.RawMessage, k []byte) (map[string]json.RawMessage, error) {
	if d.chk != nil {
		d.chk.unknown()
	}
	var v json.RawMessage
	if err := elemRaw(&v, d); err != nil {
		return m, err
	}
	if m == nil {
		m = make(map[string]json.RawMessage)
	}
	m[string(k)] = v
	return m, nil
}

// objectDecoder is a generated object type.
type objectDecoder[T any] interface {
	*T
	decode(*decoder) error
}

// decObject decodes an object into a new T.
func decObject[T any, P objectDecoder[T]](d *decoder, p **T) error {
	if d.peek() == 'n' && d.null() {
		return nil
	}
	x := P(new(T))
	if err := x.decode(d); err != nil {
		return err
	}
	*p = (*T)(x)
	return nil
}

// decSlice decodes an array. null leaves *p nil; [] gives an empty,
// non-nil slice, which encodes as [] again.
func decSlice[E any](d *decoder, p *[]E, elem func(*E, *decoder) error, want string) error {
	if d.peek() == 'n' && d.null() {
		return nil
	}
	s := make([]E, 0, 4)
	var zero E
	err := d.array(want, func(n int) error {
		s = append(s, zero)
		if err := elem(&s[n], d); err != nil {
			return d.inElement(n, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	*p = s
	return nil
}

// decMap decodes an object of E values. null leaves *p nil; {} gives an
// empty, non-nil map.
func decMap[E any](d *decoder, p *map[string]E, elem func(*E, *decoder) error, want string) error {
	if d.peek() == 'n' && d.null() {
		return nil
	}
	m := make(map[string]E)
	var e, zero E // one e for all members: elem's argument escapes
	more, err := d.openObject(want)
	for more && err == nil {
		k := d.name()
		e = zero
		if err = elem(&e, d); err != nil {
			if err = d.inMember(k, err); err != nil {
				return err
			}
		} else {
			m[string(k)] = e
		}
		more, err = d.next()
	}
	if err != nil {
		return err
	}
	*p = m
	return nil
}
