package main

import (
	"bytes"
	"github.com/gohcs/hcs/internal/winetest"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestCommittedOutputIsCurrent regenerates package schema into a temporary
// directory and compares it with the committed files byte for byte.
func TestCommittedOutputIsCurrent(t *testing.T) {
	ref := filepath.Join("..", "..", "..", "shared", "hcs-reference")
	if _, err := os.Stat(filepath.Join(ref, "api", "SchemaReference.md")); err != nil {
		t.Skipf("hcs-reference folder not found at %s: %v", ref, err)
	}
	out := winetest.TempDir(t)
	if err := run(ref, out, false); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(files) == 0 {
		t.Fatal("nothing generated")
	}
	for _, f := range files {
		got, _ := os.ReadFile(f)
		want, err := os.ReadFile(filepath.Join("..", "..", "schema", filepath.Base(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("schema/%s is out of date: run go generate ./schema", filepath.Base(f))
		}
	}
}
