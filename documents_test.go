package hcs_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf16"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
)

// utf16LE returns s as Windows PowerShell 5.1's > saves it: UTF-16LE with
// a byte order mark.
func utf16LE(s string) []byte {
	b := binary.LittleEndian.AppendUint16(nil, 0xFEFF)
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// TestDocumentsAsWindowsToolsSaveThem: documents given as text in UTF-16 or
// with a byte order mark reach HCS as UTF-8 (issue 13).
func TestDocumentsAsWindowsToolsSaveThem(t *testing.T) {
	sim := hcssim.New()
	defer sim.Close()
	host := sim.Host()
	ctx := context.Background()

	for id, doc := range map[string]any{
		"utf16":    utf16LE(`{"SchemaVersion":{"Major":2,"Minor":1},"Owner":"ps51 é","Container":{}}`),
		"bom":      "\uFEFF" + `{"SchemaVersion":{"Major":2,"Minor":1},"Owner":"bom","Container":{}}`,
		"rawutf16": json.RawMessage(utf16LE(`{"SchemaVersion":{"Major":2,"Minor":1},"Owner":"raw","Container":{}}`)),
	} {
		sys, err := host.CreateSystem(ctx, id, doc)
		if err != nil {
			t.Fatalf("CreateSystem %s: %v", id, err)
		}
		defer sys.Close()
		props, err := sys.Properties(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]string{"utf16": "ps51 é", "bom": "bom", "rawutf16": "raw"}[id]; props.Owner != want {
			t.Errorf("%s: Owner %q, want %q", id, props.Owner, want)
		}
	}

	sys, err := host.OpenSystem(ctx, "utf16")
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := sys.PropertiesJSON(ctx, utf16LE(`{"PropertyTypes":["Statistics"]}`)); err != nil {
		t.Errorf("PropertiesJSON: %v", err)
	}
	p, err := sys.CreateProcessJSON(ctx, utf16LE(`{"CommandLine":"cmd /c exit 0"}`))
	if err != nil {
		t.Fatalf("CreateProcessJSON: %v", err)
	}
	p.Close()

	utf32 := []byte{0xFF, 0xFE, 0, 0, '{', 0, 0, 0, '}', 0, 0, 0}
	if _, err := host.CreateSystem(ctx, "utf32", utf32); !errors.Is(err, hcs.ErrInvalidSchema) {
		t.Errorf("CreateSystem of UTF-32: %v, want ErrInvalidSchema", err)
	}
	if err := sys.ModifyJSON(ctx, utf32); !errors.Is(err, hcs.ErrInvalidSchema) {
		t.Errorf("ModifyJSON of UTF-32: %v, want ErrInvalidSchema", err)
	}
	if _, err := sys.CreateProcessJSON(ctx, utf32); !errors.Is(err, hcs.ErrInvalidSchema) {
		t.Errorf("CreateProcessJSON of UTF-32: %v, want ErrInvalidSchema", err)
	}
	if _, err := sys.PropertiesJSON(ctx, utf32); !errors.Is(err, hcs.ErrInvalidSchema) {
		t.Errorf("PropertiesJSON of UTF-32: %v, want ErrInvalidSchema", err)
	}
}
