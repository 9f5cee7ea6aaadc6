package backupstream

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

var eas = []EA{
	{Name: "A", Value: []byte("1")},
	{Name: "$KERNEL.PURGE.ESBCACHE", Value: bytes.Repeat([]byte{0xAB}, 37), Flags: 0x80},
	{Name: "EMPTY"},
}

func TestEARoundTrip(t *testing.T) {
	b, err := EncodeEAs(eas)
	if err != nil {
		t.Fatal(err)
	}
	// First entry: 8 + 1 + 1 + 1 = 11 bytes, padded to 12.
	if b[0] != 12 {
		t.Errorf("first NextEntryOffset %d, want 12", b[0])
	}
	got, err := DecodeEAs(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, eas) {
		t.Errorf("round trip\n got %+v\nwant %+v", got, eas)
	}
}

func TestEAErrors(t *testing.T) {
	for _, bad := range [][]EA{
		nil,
		{{Name: ""}},
		{{Name: strings.Repeat("N", 256)}},
		{{Name: "A\x00B"}},
		{{Name: "BIG", Value: make([]byte, 65536)}},
	} {
		if _, err := EncodeEAs(bad); err == nil {
			t.Errorf("EncodeEAs(%d entries) succeeded", len(bad))
		}
	}
	good, _ := EncodeEAs(eas)
	for name, b := range map[string][]byte{
		"empty":             {},
		"truncated":         good[:len(good)-3], // into the last name
		"no NUL":            {0, 0, 0, 0, 0, 1, 0, 0, 'A', 'B'},
		"empty name":        {0, 0, 0, 0, 0, 0, 0, 0, 0},
		"offset too small":  {4, 0, 0, 0, 0, 1, 0, 0, 'A', 0},
		"offset past list":  {12, 0, 0, 0, 0, 1, 0, 0, 'A', 0},
		"value past buffer": {0, 0, 0, 0, 0, 1, 5, 0, 'A', 0, 1},
	} {
		if _, err := DecodeEAs(b); err == nil {
			t.Errorf("DecodeEAs(%s) succeeded", name)
		}
	}
}

func FuzzDecodeEAs(f *testing.F) {
	good, _ := EncodeEAs(eas)
	f.Add(good)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeEAs(b)
		if err != nil {
			return
		}
		// What decodes encodes again, and decodes to the same.
		again, err := EncodeEAs(got)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", got, err)
		}
		back, err := DecodeEAs(again)
		if err != nil || !reflect.DeepEqual(back, got) {
			t.Fatalf("round trip of %+v: %+v, %v", got, back, err)
		}
	})
}
