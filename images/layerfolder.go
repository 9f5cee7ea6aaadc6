package images

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/gohcs/hcs/internal/atomicfile"
	"github.com/gohcs/hcs/internal/filelock"
	"github.com/gohcs/hcs/internal/filetree"
	"github.com/gohcs/hcs/layers"
	"github.com/gohcs/hcs/layertar"
)

// The layer folders of a root (see Store.Unpack). For the layer whose
// chain id has the hex digits HEX, the root holds
//
//	HEX/               the layer folder
//	HEX.done           the marker: the layer is unpacked (written last)
//	HEX.staging/       the staging folder of an unpacking in progress
//	HEX.unpack.lock    held exclusively by the Unpack that unpacks it
//	HEX.use.lock       held shared by every Unpacked that holds it
type layerPaths struct {
	root, dir, done, staging, unpackLock, useLock string
}

// pathsOf returns the paths of the layer of chain id chain in root.
func pathsOf(root string, chain Digest) layerPaths {
	base := filepath.Join(root, chain.Hex())
	return layerPaths{
		root: root, dir: base, done: base + ".done", staging: base + ".staging",
		unpackLock: base + ".unpack.lock", useLock: base + ".use.lock",
	}
}

// markerFormat names the marker's format.
const markerFormat = "hcs-unpacked/1"

// marker is what a layer's marker file records.
type marker struct {
	Format  string `json:"format"`
	ChainID Digest `json:"chainID"`
	// Parent is the chain id of the layer below ("" for a base layer).
	Parent Digest `json:"parent,omitempty"`
	DiffID Digest `json:"diffID"`
	// Digest is the blob the layer was unpacked from.
	Digest Digest `json:"digest"`
}

// writeMarker writes m as the marker of the layer at p, synced, and the
// rename that puts it in place too.
func writeMarker(p layerPaths, m marker) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(p.done, append(b, '\n')); err != nil {
		return fmt.Errorf("writing the marker %s: %w", p.done, err)
	}
	return nil
}

// isUnpacked reports whether the layer of chain id chain at p is
// unpacked: its marker names it, and its folder has Files. A marker that
// cannot be read as one is not trusted.
func isUnpacked(p layerPaths, chain Digest) (bool, error) {
	b, err := os.ReadFile(p.done)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var m marker
	if json.Unmarshal(b, &m) != nil || m.Format != markerFormat || m.ChainID != chain {
		return false, nil
	}
	fi, err := os.Stat(filepath.Join(p.dir, "Files"))
	return err == nil && fi.IsDir(), nil
}

// discardLayer removes what an unfinished unpacking of the layer at p
// left, or an unpacked layer: its marker first, synced (a folder may stay
// without its marker, which is not trusted, never a marker without all of
// its folder), then its folder, through the layer service (on Windows a
// layer's files are not the caller's to delete), then its staging folder.
// The layer service's call is not interrupted when ctx ends.
func discardLayer(ctx context.Context, lh *layers.Host, p layerPaths) error {
	switch err := os.Remove(p.done); {
	case err == nil:
		if err := atomicfile.SyncDir(p.root); err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	if _, err := os.Lstat(p.dir); err == nil {
		if err := lh.Destroy(context.WithoutCancel(ctx), p.dir); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return filetree.Remove(p.staging)
}

// applyChanges makes in the layer folder dir, once ImportLayer has
// imported it, the changes ImportLayer does not take from the staging
// folder, as hcsshim does after it: it deletes the tombstones (names a
// parent layer has and this one deletes) that are in the folder, and
// makes the hard links, to a file of the layer or, failing that, of the
// first parent (nearest first) that has it. The directories it changes
// get their modification times back. No name leads out of a folder: a
// name whose directories include a link or a reparse point is refused.
//
// The names are checked through os.Root, and then used as plain paths:
// os.Root's deletions need a kind of delete that Wine 8 lacks.
func applyChanges(dir string, parents, tombstones []string, links []layertar.Link) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	changed := map[string]time.Time{} // directories, with their modification time before
	keep := func(name string) error {
		d := path.Dir(name)
		if _, ok := changed[d]; ok {
			return nil
		}
		fi, err := root.Lstat(d)
		if err == nil {
			changed[d] = fi.ModTime()
		}
		return err
	}
	for _, name := range tombstones {
		err := plainDirs(root, path.Dir(name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // not in this layer's folder
		}
		if err == nil {
			if _, err = root.Lstat(name); errors.Is(err, fs.ErrNotExist) {
				continue
			}
		}
		if err == nil {
			err = keep(name)
		}
		if err == nil {
			err = filetree.Remove(join(dir, name))
		}
		if err != nil {
			return fmt.Errorf("deleting %s: %w", name, err)
		}
	}
	for _, l := range links {
		if err := link(root, dir, parents, l, keep); err != nil {
			return fmt.Errorf("hard link %s to %s: %w", l.Name, l.Target, err)
		}
	}
	for d, mtime := range changed {
		if err := os.Chtimes(join(dir, d), time.Time{}, mtime); err != nil {
			return fmt.Errorf("restoring the time of %s: %w", d, err)
		}
	}
	return nil
}

// join returns the slash-separated name of folder dir as a path.
func join(dir, name string) string { return filepath.Join(dir, filepath.FromSlash(name)) }

// link makes the hard link l in the layer folder dir (open as root), to
// its target in dir or in the first of parents that has it; keep is
// called with the link's name before its directory changes.
func link(root *os.Root, dir string, parents []string, l layertar.Link, keep func(string) error) error {
	if err := plainDirs(root, path.Dir(l.Name)); err != nil {
		return err
	}
	src := ""
	if l.InLayer {
		if err := plainFile(root, l.Target); err != nil {
			return err
		}
		src = join(dir, l.Target)
	} else {
		for _, p := range parents {
			pr, err := os.OpenRoot(p)
			if err != nil {
				return err
			}
			err = plainFile(pr, l.Target)
			pr.Close()
			if err == nil {
				src = join(p, l.Target)
				break
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("parent layer %s: %w", p, err)
			}
		}
		if src == "" {
			return errors.New("the target is in no parent layer")
		}
	}
	if err := keep(l.Name); err != nil {
		return err
	}
	dst := join(dir, l.Name)
	if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.Link(src, dst)
}

// plainDirs checks that the slash-separated directory d of root and every
// directory above it are directories, not links or reparse points.
func plainDirs(root *os.Root, d string) error {
	if d == "." {
		return nil
	}
	if err := plainDirs(root, path.Dir(d)); err != nil {
		return err
	}
	fi, err := root.Lstat(d)
	switch {
	case err != nil:
		return err
	case !fi.IsDir() || fi.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0:
		return fmt.Errorf("%s is not a plain directory (%v)", d, fi.Mode())
	}
	return nil
}

// plainFile checks that name, of root, is a regular file in plain
// directories.
func plainFile(root *os.Root, name string) error {
	if err := plainDirs(root, path.Dir(name)); err != nil {
		return err
	}
	fi, err := root.Lstat(name)
	switch {
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file (%v)", name, fi.Mode())
	}
	return nil
}

// openLock opens the lock file path, creating it if needed.
func openLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the lock %s: %w", path, err)
	}
	return f, nil
}

// lockNow locks f, at once if it can, else calling waiting and then
// waiting for the lock until ctx ends.
func lockNow(ctx context.Context, f *os.File, exclusive bool, waiting func()) error {
	ok, err := filelock.TryLock(f, exclusive)
	if err != nil || ok {
		return err
	}
	if waiting != nil {
		waiting()
	}
	return filelock.Lock(ctx, f, exclusive, nil)
}
