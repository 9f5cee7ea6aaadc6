package layertest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.uber.org/goleak"

	"github.com/gohcs/hcs/internal/winetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFolder(t *testing.T) {
	dir := winetest.TempDir(t)
	base := Folder(t, dir, "base")
	app := Folder(t, dir, "app", base)
	for _, p := range []string{filepath.Join(base, "Files"), filepath.Join(app, "Hives")} {
		if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
			t.Fatalf("%s: %v", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(base, "layerchain.json")); !os.IsNotExist(err) {
		t.Fatalf("a base layer has a layerchain.json (%v)", err)
	}
	b, err := os.ReadFile(filepath.Join(app, "layerchain.json"))
	var chain []string
	if err != nil || json.Unmarshal(b, &chain) != nil || !slices.Equal(chain, []string{base}) {
		t.Fatalf("layerchain.json = %s, %v; want [%q]", b, err, base)
	}
}
