package schema

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The decoder's reading of the JSON grammar: white space, literals, strings,
// numbers, the members of objects and the elements of arrays. Every routine
// reads at d.i and leaves d.i after what it read. What does not fit the
// grammar is a *SyntaxError; where openObject or array find a value of
// another JSON type, they read it whole and return a *TypeError (mismatch).

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

// openObject reads the start of an object and, if it has members, the name
// of the first, reporting whether it has. null is an object without
// members. want describes the object for errors ("a Container object").
func (d *decoder) openObject(want string) (bool, error) {
	switch d.peek() {
	case '{':
		if err := d.deeper(); err != nil {
			return false, err
		}
		d.space()
		if d.peek() == '}' {
			d.i++
			d.depth--
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

// maxDepth is how deep objects and arrays may nest, as with encoding/json:
// the decoder recurses, and a document of nothing but brackets must not
// exhaust the stack.
const maxDepth = 10000

// deeper reads the '{' or '[' at i, one level deeper.
func (d *decoder) deeper() error {
	if d.depth == maxDepth {
		return newSyntaxError(d.data, d.i, "more than 10000 nested objects and arrays")
	}
	d.depth++
	d.i++
	return nil
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
		d.depth--
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
	if err := d.deeper(); err != nil {
		return err
	}
	d.space()
	if d.peek() == ']' {
		d.i++
		d.depth--
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
			d.depth--
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
