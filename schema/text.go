package schema

import (
	"bytes"
	"errors"
	"unicode/utf16"
	"unicode/utf8"
)

// ToUTF8 returns a document as the UTF-8 text without a byte order mark that
// HCS, encoding/json and UnmarshalJSON take. Documents saved on Windows
// often come otherwise: Windows PowerShell 5.1's > and Out-File write UTF-16LE
// with a byte order mark, and Notepad may start UTF-8 with one.
//
// A UTF-8 byte order mark is dropped; UTF-16 text, little- or big-endian,
// with a byte order mark or without one (recognised, as RFC 4627 describes,
// by the zero bytes of its first character), is converted, an unpaired
// surrogate becoming U+FFFD. Anything else is returned as it is, the same
// slice. ToUTF8 fails on UTF-32 and on UTF-16 of an odd length.
func ToUTF8(doc []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(doc, []byte{0xEF, 0xBB, 0xBF}):
		return doc[3:], nil
	case bytes.HasPrefix(doc, []byte{0, 0, 0xFE, 0xFF}), bytes.HasPrefix(doc, []byte{0xFF, 0xFE, 0, 0}),
		len(doc) >= 4 && doc[0] == 0 && doc[1] == 0 && doc[2] == 0 && doc[3] != 0,
		len(doc) >= 4 && doc[0] != 0 && doc[1] == 0 && doc[2] == 0 && doc[3] == 0:
		return nil, errors.New("the document is UTF-32, which is not supported: save it as UTF-8")
	case bytes.HasPrefix(doc, []byte{0xFF, 0xFE}):
		return fromUTF16(doc[2:], false)
	case bytes.HasPrefix(doc, []byte{0xFE, 0xFF}):
		return fromUTF16(doc[2:], true)
	case len(doc) >= 2 && doc[0] != 0 && doc[1] == 0:
		return fromUTF16(doc, false)
	case len(doc) >= 2 && doc[0] == 0 && doc[1] != 0:
		return fromUTF16(doc, true)
	}
	return doc, nil
}

func fromUTF16(b []byte, bigEndian bool) ([]byte, error) {
	if len(b)%2 != 0 {
		return nil, errors.New("the document looks like UTF-16 but has an odd number of bytes")
	}
	out := make([]byte, 0, len(b)/2)
	for i := 0; i < len(b); i += 2 {
		u := rune(b[i]) | rune(b[i+1])<<8
		if bigEndian {
			u = rune(b[i])<<8 | rune(b[i+1])
		}
		if utf16.IsSurrogate(u) && i+3 < len(b) {
			u2 := rune(b[i+2]) | rune(b[i+3])<<8
			if bigEndian {
				u2 = rune(b[i+2])<<8 | rune(b[i+3])
			}
			if r := utf16.DecodeRune(u, u2); r != utf8.RuneError {
				out = utf8.AppendRune(out, r)
				i += 2
				continue
			}
		}
		out = utf8.AppendRune(out, u) // a lone surrogate is RuneError
	}
	return out, nil
}
