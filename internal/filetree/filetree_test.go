package filetree

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/gohcs/hcs/internal/winetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRemove(t *testing.T) {
	tmp := winetest.TempDir(t)
	tree, outside := filepath.Join(tmp, "tree"), filepath.Join(tmp, "outside")
	for _, dir := range []string{filepath.Join(tree, "a", "b"), filepath.Join(tree, "c"), outside} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(tree, "a", "b", "f"), filepath.Join(tree, "g"), filepath.Join(outside, "keep")} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	linked := os.Symlink(outside, filepath.Join(tree, "c", "link")) == nil
	if err := Remove(tree); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(tree); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the tree is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "keep")); err != nil {
		t.Errorf("a file behind a link in the tree: %v", err)
	}
	if !linked {
		t.Log("no symbolic link could be made here: not following one is not checked")
	}
	if err := Remove(tree); err != nil {
		t.Errorf("removing what is gone: %v", err)
	}
}
