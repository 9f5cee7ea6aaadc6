// Package layertest makes layer folders for tests — what an image's
// layers, unpacked, look like to the layer calls — and holds what the tests
// of the fakes' layer calls share: the fakes' NameToGuid, parent lists, and
// on Windows the controls of the mock layer DLLs.
package layertest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Folder makes a read-only layer folder named name in dir — Files and
// Hives, and, when there are parents, a layerchain.json naming them,
// nearest first, by their absolute paths, as Docker writes it — and
// returns its path.
func Folder(t testing.TB, dir, name string, parents ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	for _, sub := range []string{"Files", "Hives"} {
		if err := os.MkdirAll(filepath.Join(path, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if len(parents) == 0 {
		return path
	}
	abs := make([]string, len(parents))
	for i, p := range parents {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		abs[i] = a
	}
	b, err := json.Marshal(abs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "layerchain.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
