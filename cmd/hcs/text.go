package main

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text hcs prints on a terminal comes partly from elsewhere: ids of systems
// another program created, HCS's error messages, event documents. None of
// it may reach the terminal raw: a control character or an escape sequence
// could move the cursor, rewrite the screen or retitle the window, and a
// bidirectional override could make a line read differently from what it
// holds. Such characters are printed as escapes instead.

// unsafeRune reports whether r must not reach a terminal as it is: a
// control character other than newline and tab, a bidirectional control, a
// line or paragraph separator, or an invalid byte (utf8.RuneError of width
// 1, told apart by the caller).
func unsafeRune(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) ||
		unicode.In(r, unicode.Zl, unicode.Zp)
}

// sanitize returns s with the characters that must not reach a terminal
// escaped as Go does in strings (\x1b, \u202e) and invalid bytes as \xNN;
// the rest, newlines and tabs included, is unchanged.
func sanitize(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r) && r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// needsEscape reports whether sanitize would change s.
func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || unsafeRune(r) {
			return true
		}
		i += n
	}
	return false
}

// escapeJSON returns the JSON text doc with the characters that must not
// reach a terminal written as \u escapes. encoding/json escapes control
// characters below U+0020 itself but not DEL, the C1 controls or the
// bidirectional controls; in valid JSON these can only appear inside
// strings, where an escape stands for the same character, so the document
// means the same. An invalid UTF-8 byte, which a document from HCS may
// hold, becomes \ufffd, as encoding/json writes it.
func escapeJSON(doc []byte) []byte {
	if !needsEscape(string(doc)) {
		return doc
	}
	var b bytes.Buffer
	b.Grow(len(doc) + 16)
	for i := 0; i < len(doc); {
		r, n := utf8.DecodeRune(doc[i:])
		if r == utf8.RuneError && n == 1 || unsafeRune(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
		} else {
			b.Write(doc[i : i+n])
		}
		i += n
	}
	return b.Bytes()
}
