package schema

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"time"
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
	depth  int    // the objects and arrays open at i
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
