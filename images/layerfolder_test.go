package images

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gohcs/hcs/internal/winetest"
	"github.com/gohcs/hcs/layertar"
)

// makeTree makes the files (and their folders) of names under dir.
func makeTree(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		p := join(dir, name)
		folder := filepath.Dir(p)
		if strings.HasSuffix(name, "/") {
			folder = p
		}
		if err := os.MkdirAll(folder, 0o755); err != nil {
			t.Fatal(err)
		}
		if folder == p {
			continue
		}
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestApplyChanges applies deletions and hard links to an imported layer
// folder: those in the folder, in a parent, and what must be refused.
func TestApplyChanges(t *testing.T) {
	tmp := winetest.TempDir(t)
	base, mid, dir := filepath.Join(tmp, "base"), filepath.Join(tmp, "mid"), filepath.Join(tmp, "top")
	makeTree(t, base, "Files/a.dll", "Files/sys/b.dll", "Files/shadowed.dll")
	makeTree(t, mid, "Files/shadowed.dll", "Files/mid.dll")
	makeTree(t, dir, "Files/own.exe", "Files/gone.txt", "Files/gonedir/x", "Files/sys/old-link.dll", "Files/links/")
	then := time.Date(2024, 5, 14, 9, 30, 0, 0, time.UTC)
	for _, d := range []string{"Files", "Files/sys", "Files/links"} {
		if err := os.Chtimes(join(dir, d), then, then); err != nil {
			t.Fatal(err)
		}
	}
	parents := []string{mid, base}
	err := applyChanges(dir, parents,
		[]string{"Files/gone.txt", "Files/gonedir", "Files/not-here.txt", "Files/nodir/x"},
		[]layertar.Link{
			{Name: "Files/links/own-copy.exe", Target: "Files/own.exe", InLayer: true},
			{Name: "Files/links/a.dll", Target: "Files/a.dll"},
			{Name: "Files/sys/old-link.dll", Target: "Files/sys/b.dll"}, // replaces a file
			{Name: "Files/links/shadowed.dll", Target: "Files/shadowed.dll"},
		})
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"Files/gone.txt", "Files/gonedir"} {
		if _, err := os.Lstat(join(dir, gone)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s not deleted: %v", gone, err)
		}
	}
	sameFile(t, join(dir, "Files/links/own-copy.exe"), join(dir, "Files/own.exe"))
	sameFile(t, join(dir, "Files/links/a.dll"), join(base, "Files/a.dll"))
	sameFile(t, join(dir, "Files/sys/old-link.dll"), join(base, "Files/sys/b.dll"))
	sameFile(t, join(dir, "Files/links/shadowed.dll"), join(mid, "Files/shadowed.dll")) // the nearest parent's
	for _, d := range []string{"Files", "Files/sys", "Files/links"} {
		fi, err := os.Stat(join(dir, d))
		if err != nil {
			t.Fatal(err)
		}
		if !fi.ModTime().Equal(then) {
			t.Errorf("%s: modified %v, want %v as before", d, fi.ModTime(), then)
		}
	}

	for _, c := range []struct {
		name string
		link layertar.Link
		want string
	}{
		{"missing target", layertar.Link{Name: "Files/x", Target: "Files/nowhere.dll"}, "in no parent layer"},
		{"missing in layer", layertar.Link{Name: "Files/x", Target: "Files/nowhere.dll", InLayer: true}, "nowhere.dll"},
		{"directory target", layertar.Link{Name: "Files/x", Target: "Files/sys", InLayer: true}, "not a regular file"},
		{"missing folder", layertar.Link{Name: "Files/nodir/x", Target: "Files/own.exe", InLayer: true}, "nodir"},
	} {
		err := applyChanges(dir, parents, nil, []layertar.Link{c.link})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "hard link "+c.link.Name) {
			t.Errorf("%s: %v, want an error naming the link and %q", c.name, err, c.want)
		}
	}
}

// TestApplyChangesLinks checks that no name leads out of a layer folder
// through a link: not a link's name, its target, or a deletion.
func TestApplyChangesLinks(t *testing.T) {
	tmp := winetest.TempDir(t)
	base, dir, outside := filepath.Join(tmp, "base"), filepath.Join(tmp, "top"), filepath.Join(tmp, "outside")
	makeTree(t, base, "Files/a.dll")
	makeTree(t, dir, "Files/own.exe")
	makeTree(t, outside, "secret.txt")
	for _, l := range []struct{ link, root string }{{"Files/out", dir}, {"Files/out", base}} {
		if err := os.Symlink(outside, join(l.root, l.link)); err != nil {
			t.Skipf("cannot make a symbolic link here: %v", err)
		}
	}
	for _, c := range []struct {
		name       string
		tombstones []string
		link       layertar.Link
	}{
		{name: "name through a link", link: layertar.Link{Name: "Files/out/new.txt", Target: "Files/own.exe", InLayer: true}},
		{name: "target through a link", link: layertar.Link{Name: "Files/x", Target: "Files/out/secret.txt", InLayer: true}},
		{name: "parent's target through a link", link: layertar.Link{Name: "Files/x", Target: "Files/out/secret.txt"}},
		{name: "deletion through a link", tombstones: []string{"Files/out/secret.txt"}},
	} {
		var links []layertar.Link
		if c.link.Name != "" {
			links = append(links, c.link)
		}
		err := applyChanges(dir, []string{base}, c.tombstones, links)
		switch {
		case winetest.UnderWine():
			// Wine's symbolic links do not resolve through os.Root: a
			// link fails, not found, and a deletion finds nothing to
			// delete. Either way nothing outside is touched (checked
			// below).
			if err == nil && links != nil {
				t.Errorf("%s: succeeded under Wine", c.name)
			}
		case err == nil || !strings.Contains(err.Error(), "not a plain directory"):
			t.Errorf("%s: %v, want it refused", c.name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "secret.txt")); err != nil {
		t.Errorf("the file outside: %v", err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 1 {
		t.Errorf("the folder outside holds %d entries", len(ents))
	}
}
