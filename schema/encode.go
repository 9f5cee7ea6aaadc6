package schema

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// encoder accumulates the JSON text written by the generated encode
// methods. Members are written in schema order, then unknown members in
// sorted order; map keys are sorted like encoding/json sorts them.
type encoder struct {
	buf []byte
	err error
}

func (e *encoder) openObject()  { e.buf = append(e.buf, '{') }
func (e *encoder) closeObject() { e.buf = append(e.buf, '}') }

// key writes a member name; k is the quoted name and its colon.
func (e *encoder) key(k string) {
	if e.buf[len(e.buf)-1] != '{' {
		e.buf = append(e.buf, ',')
	}
	e.buf = append(e.buf, k...)
}

func encString[S ~string](p *S, e *encoder) { e.buf = appendString(e.buf, string(*p)) }

func encBool(p *bool, e *encoder) { e.buf = strconv.AppendBool(e.buf, *p) }

func encUint[T unsigned](p *T, e *encoder) { e.buf = strconv.AppendUint(e.buf, uint64(*p), 10) }

func encInt[T signed](p *T, e *encoder) { e.buf = strconv.AppendInt(e.buf, int64(*p), 10) }

func encTime(p *time.Time, e *encoder) {
	b, err := p.MarshalJSON()
	if err != nil && e.err == nil {
		e.err = err
	}
	e.buf = append(e.buf, b...)
}

func encBytes(p *[]byte, e *encoder) {
	e.buf = append(e.buf, '"')
	e.buf = base64.StdEncoding.AppendEncode(e.buf, *p)
	e.buf = append(e.buf, '"')
}

// encRaw writes a free-form value as it is; an empty non-nil value is null,
// as encoding/json writes it.
func encRaw(p *json.RawMessage, e *encoder) {
	if len(*p) == 0 {
		e.buf = append(e.buf, "null"...)
		return
	}
	e.buf = append(e.buf, *p...)
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

func encMap[E any](e *encoder, m map[string]E, elem func(*E, *encoder)) {
	e.buf = append(e.buf, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, k)
		e.buf = append(e.buf, ':')
		v := m[k]
		elem(&v, e)
	}
	e.buf = append(e.buf, '}')
}

// unknown writes the members held in an Unknown map.
func (e *encoder) unknown(m map[string]json.RawMessage) {
	if len(m) == 0 {
		return
	}
	for _, k := range sortedKeys(m) {
		if e.buf[len(e.buf)-1] != '{' {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, k)
		e.buf = append(e.buf, ':')
		v := m[k]
		encRaw(&v, e)
	}
}

func sortedKeys[E any](m map[string]E) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
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
