package schema

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// encoder accumulates the JSON text written by the generated encode
// methods. Members are written in schema order, then unknown members in
// sorted order; map keys are sorted like encoding/json sorts them. The text
// is compact and valid even where it copies free-form and unknown values,
// so encoding/json's own pass over it changes nothing.
type encoder struct {
	buf    []byte
	keys   []string // map keys being written, a stack of sorted runs
	ks, ke int      // buf[ks:ke] is the quoted name of the member being written
	err    error
}

// encoders keeps encoders and their buffers between documents: a document
// then costs one allocation, its copy.
var encoders = sync.Pool{New: func() any { return new(encoder) }}

// encodeDocument encodes t with enc, the generated encode method of T.
func encodeDocument[T any](t *T, enc func(*T, *encoder)) ([]byte, error) {
	e := encoders.Get().(*encoder)
	e.buf, e.ks, e.ke, e.err = e.buf[:0], 0, 0, nil
	enc(t, e)
	out, err := bytes.Clone(e.buf), e.err
	if cap(e.buf) > 1<<20 {
		e.buf = nil // do not keep a huge buffer for the next small document
	}
	encoders.Put(e)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (e *encoder) openObject()  { e.buf = append(e.buf, '{') }
func (e *encoder) closeObject() { e.buf = append(e.buf, '}') }

// key writes a member name; k is the quoted name and its colon.
func (e *encoder) key(k string) {
	if e.buf[len(e.buf)-1] != '{' {
		e.buf = append(e.buf, ',')
	}
	e.ks = len(e.buf)
	e.buf = append(e.buf, k...)
	e.ke = len(e.buf) - 1
}

func encString[S ~string](p *S, e *encoder) { e.buf = appendString(e.buf, string(*p)) }

func encBool(p *bool, e *encoder) { e.buf = strconv.AppendBool(e.buf, *p) }

func encUint[T unsigned](p *T, e *encoder) { e.buf = strconv.AppendUint(e.buf, uint64(*p), 10) }

func encInt[T signed](p *T, e *encoder) { e.buf = strconv.AppendInt(e.buf, int64(*p), 10) }

// encTime writes an RFC 3339 date-time as time.Time.MarshalJSON does, and
// fails where it fails (a year outside 0 to 9999).
func encTime(p *time.Time, e *encoder) {
	b, err := p.AppendText(append(e.buf, '"'))
	if err != nil {
		e.fail(err)
		return
	}
	e.buf = append(b, '"')
}

func encBytes(p *[]byte, e *encoder) {
	e.buf = append(e.buf, '"')
	e.buf = base64.StdEncoding.AppendEncode(e.buf, *p)
	e.buf = append(e.buf, '"')
}

// encRaw writes a free-form value, compacted; an empty non-nil value is
// null, as encoding/json writes it. A value that is not JSON fails the
// encoding, as with encoding/json.
func encRaw(p *json.RawMessage, e *encoder) {
	if len(*p) == 0 {
		e.buf = append(e.buf, "null"...)
		return
	}
	d := decoder{data: *p}
	d.space()
	if err := d.end(d.skip()); err != nil {
		if se, ok := err.(*SyntaxError); ok {
			err = fmt.Errorf("invalid JSON at offset %d: %s", se.Offset, se.msg)
		}
		e.fail(err)
		return
	}
	e.buf = appendCompact(e.buf, *p)
}

// fail records the first error of an encoding, naming the member.
func (e *encoder) fail(err error) {
	switch {
	case e.err != nil:
	case e.ke == 0:
		e.err = fmt.Errorf("schema: %w", err)
	default:
		e.err = fmt.Errorf("schema: member %s: %w", e.buf[e.ks:e.ke], err)
	}
}

// appendCompact appends the valid JSON text raw without its insignificant
// white space.
func appendCompact(b, raw []byte) []byte {
	start, inString := 0, false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			b = append(b, raw[start:i]...)
			start = i + 1
		}
	}
	return append(b, raw[start:]...)
}

func encSlice[E any](e *encoder, s []E, elem func(*E, *encoder)) {
	e.buf = append(e.buf, '[')
	for i := range s {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		elem(&s[i], e)
	}
	e.buf = append(e.buf, ']')
}

// sortKeys pushes the keys of m, sorted, onto e.keys and returns them;
// popKeys(base) removes them.
func sortKeys[E any](e *encoder, m map[string]E) (keys []string, base int) {
	base = len(e.keys)
	for k := range m {
		e.keys = append(e.keys, k)
	}
	keys = e.keys[base:]
	slices.Sort(keys)
	return keys, base
}

func (e *encoder) popKeys(base int) {
	clear(e.keys[base:]) // let the pool keep no strings alive
	e.keys = e.keys[:base]
}

func encMap[E any](e *encoder, m map[string]E, elem func(*E, *encoder)) {
	keys, base := sortKeys(e, m)
	var v E // one v for all members: elem's argument escapes
	e.buf = append(e.buf, '{')
	for i, k := range keys {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, k)
		e.buf = append(e.buf, ':')
		v = m[k]
		elem(&v, e)
	}
	e.buf = append(e.buf, '}')
	e.popKeys(base)
}

// unknown writes the members held in an Unknown map.
func (e *encoder) unknown(m map[string]json.RawMessage) {
	if len(m) == 0 {
		return
	}
	keys, base := sortKeys(e, m)
	for _, k := range keys {
		if e.buf[len(e.buf)-1] != '{' {
			e.buf = append(e.buf, ',')
		}
		e.ks = len(e.buf)
		e.buf = appendString(e.buf, k)
		e.ke = len(e.buf)
		e.buf = append(e.buf, ':')
		v := m[k]
		encRaw(&v, e)
	}
	e.popKeys(base)
}

func sortedKeys[E any](m map[string]E) []string {
	return slices.Sorted(maps.Keys(m))
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaping as encoding/json does
// (invalid UTF-8 becomes U+FFFD; encoding/json escapes <, > and & itself
// when it copies a Marshaler's output).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
