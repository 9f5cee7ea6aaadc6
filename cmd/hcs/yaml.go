package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// toYAML converts the JSON document doc to YAML, keeping the members of
// each object in the order the document has them — the schema's order, as
// package schema writes it. Block style throughout, a sequence under a key
// at the key's indentation (as sigs.k8s.io/yaml writes it); strings are
// plain when no YAML reader, 1.1 or 1.2, could take them for something
// else, and double-quoted otherwise, with the characters that must not
// reach a terminal escaped.
func toYAML(doc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	v, err := readOrdered(dec)
	if err != nil {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("yaml: more than one JSON value")
	}
	var b bytes.Buffer
	writeYAML(&b, v, 0, yamlTop)
	return b.Bytes(), nil
}

// ordered is a JSON value with its object members in document order.
type ordered struct {
	// kind is '{' for an object, '[' for an array, 0 for a scalar.
	kind json.Delim
	// scalar is a scalar's value: a string, json.Number, bool or nil.
	scalar json.Token
	// keys are an object's member names; elems its member values, or an
	// array's elements.
	keys  []string
	elems []*ordered
}

// readOrdered reads the next value of dec.
func readOrdered(dec *json.Decoder) (*ordered, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return &ordered{scalar: tok}, nil
	}
	v := &ordered{kind: delim}
	for dec.More() {
		if delim == '{' {
			tok, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := tok.(string) // object keys are strings
			v.keys = append(v.keys, key)
		}
		elem, err := readOrdered(dec)
		if err != nil {
			return nil, err
		}
		v.elems = append(v.elems, elem)
	}
	_, err = dec.Token() // the closing delimiter
	return v, err
}

// Where a value starts.
const (
	yamlTop  = iota // at the start of the document
	yamlKey         // after "key:"
	yamlDash        // after "- ": a block collection starts on this line
)

// writeYAML writes v, which starts at position at; col is the column of
// its block content: its members or its elements.
func writeYAML(b *bytes.Buffer, v *ordered, col, at int) {
	if v.kind == 0 || len(v.elems) == 0 {
		if at == yamlKey {
			b.WriteByte(' ')
		}
		switch v.kind {
		case 0:
			b.WriteString(yamlScalar(v.scalar))
		case '[':
			b.WriteString("[]")
		default:
			b.WriteString("{}")
		}
		b.WriteByte('\n')
		return
	}
	if at == yamlKey {
		b.WriteByte('\n')
	}
	for i, elem := range v.elems {
		if i > 0 || at != yamlDash {
			b.WriteString(strings.Repeat(" ", col))
		}
		if v.kind == '[' {
			b.WriteString("- ")
			writeYAML(b, elem, col+2, yamlDash)
			continue
		}
		b.WriteString(yamlString(v.keys[i]))
		b.WriteByte(':')
		// A mapping nests two columns in; a sequence stays at the key's.
		next := col + 2
		if elem.kind == '[' {
			next = col
		}
		writeYAML(b, elem, next, yamlKey)
	}
}

// yamlScalar writes a JSON scalar token as YAML.
func yamlScalar(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case bool:
		if v {
			return "true"
		}
		return "false"
	case json.Number:
		return yamlNumber(string(v))
	case string:
		return yamlString(v)
	}
	return fmt.Sprint(tok)
}

// yamlNumber writes a JSON number so that YAML 1.1 readers take it for a
// number too: they want a float's exponent signed and its mantissa with a
// point (1e5 is a string to them, 1.0e+5 a float).
func yamlNumber(n string) string {
	i := strings.IndexAny(n, "eE")
	if i < 0 {
		return n
	}
	mant, exp := n[:i], n[i+1:]
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	if exp[0] != '+' && exp[0] != '-' {
		exp = "+" + exp
	}
	return mant + "e" + exp
}

// yamlWords are the plain scalars that YAML 1.1 or 1.2 readers take for
// booleans or null, compared without case.
var yamlWords = map[string]bool{"y": true, "n": true, "yes": true, "no": true, "true": true, "false": true,
	"on": true, "off": true, "null": true}

// yamlString writes s as a YAML scalar: plain when that is safe, else
// double-quoted.
func yamlString(s string) string {
	if plainSafe(s) {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError && n == 1, r < 0x20, unsafeRune(r), r == 0xfeff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteByte('"')
	return b.String()
}

// plainSafe reports whether s can be written as a plain YAML scalar and
// read back as the same string by any YAML reader: it starts with an ASCII
// letter, _ or /, holds only ASCII letters, digits, spaces and
// _ - . / \ : @ ( ) + = ~, has no ": ", does not end with a space or a
// colon, and is no word that reads as a boolean or null.
func plainSafe(s string) bool {
	if s == "" || yamlWords[strings.ToLower(s)] {
		return false
	}
	c := s[0]
	if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '/') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte(" _-./\\:@()+=~", c) >= 0:
		default:
			return false
		}
	}
	last := s[len(s)-1]
	return !strings.Contains(s, ": ") && last != ' ' && last != ':'
}
