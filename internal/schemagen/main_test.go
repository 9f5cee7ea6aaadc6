package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/gohcs/hcs/internal/reference"
	"github.com/gohcs/hcs/internal/winetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestCommittedOutputIsCurrent regenerates package schema into a temporary
// directory and compares it with the committed files byte for byte.
func TestCommittedOutputIsCurrent(t *testing.T) {
	ref := reference.Dir(t)
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
