package schema

import (
	"bytes"
	"encoding/binary"
	"testing"
	"unicode/utf16"
)

func utf16Bytes(s string, order binary.AppendByteOrder, bom bool) []byte {
	var b []byte
	if bom {
		b = order.AppendUint16(b, 0xFEFF)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = order.AppendUint16(b, u)
	}
	return b
}

func TestToUTF8(t *testing.T) {
	const doc = "{\"Owner\":\"é😀\",\r\n\"Container\":{}}"
	for name, in := range map[string][]byte{
		"UTF-8":                []byte(doc),
		"UTF-8 with a BOM":     append([]byte{0xEF, 0xBB, 0xBF}, doc...),
		"UTF-16LE with a BOM":  utf16Bytes(doc, binary.LittleEndian, true), // Windows PowerShell 5.1's >
		"UTF-16BE with a BOM":  utf16Bytes(doc, binary.BigEndian, true),
		"UTF-16LE without BOM": utf16Bytes(doc, binary.LittleEndian, false),
		"UTF-16BE without BOM": utf16Bytes(doc, binary.BigEndian, false),
	} {
		got, err := ToUTF8(in)
		if err != nil || string(got) != doc {
			t.Errorf("%s: %q, %v", name, got, err)
		}
		if _, problems := Check[ComputeSystem](in); len(problems) != 0 {
			t.Errorf("%s: Check: %v", name, problems)
		}
	}
	plain := []byte(doc)
	if got, _ := ToUTF8(plain); &got[0] != &plain[0] {
		t.Error("UTF-8 text was copied")
	}
	// An unpaired surrogate becomes U+FFFD.
	lone := binary.LittleEndian.AppendUint16(utf16Bytes(`"`, binary.LittleEndian, true), 0xD83D)
	lone = binary.LittleEndian.AppendUint16(lone, '"')
	if got, err := ToUTF8(lone); err != nil || string(got) != "\"\uFFFD\"" {
		t.Errorf("lone surrogate: %q, %v", got, err)
	}
	for name, in := range map[string][]byte{
		"UTF-32LE with a BOM": {0xFF, 0xFE, 0, 0, '{', 0, 0, 0},
		"UTF-32BE with a BOM": {0, 0, 0xFE, 0xFF, 0, 0, 0, '{'},
		"UTF-32LE":            {'{', 0, 0, 0, '}', 0, 0, 0},
		"UTF-32BE":            {0, 0, 0, '{', 0, 0, 0, '}'},
		"odd UTF-16":          {0xFF, 0xFE, '{', 0, '}'},
	} {
		if got, err := ToUTF8(in); err == nil {
			t.Errorf("%s: %q without error", name, got)
		}
		if _, problems := Check[ComputeSystem](in); len(problems) != 1 || problems[0].Kind != ProblemKindUnreadable {
			t.Errorf("%s: Check: %v", name, problems)
		}
	}
	for _, in := range [][]byte{nil, {}, []byte("1"), []byte(" ")} {
		if got, err := ToUTF8(in); err != nil || !bytes.Equal(got, in) {
			t.Errorf("%q: %q, %v", in, got, err)
		}
	}
}
