package layers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// Layer order.
//
// Every list of layers this package takes or gives is in the order HCS
// wants: the layer directly below first, the base layer last. For a
// scratch layer over an image, that is the image's top layer first and its
// base (the Windows layer, such as nanoserver's) last: the order of a
// layer folder's layerchain.json and of Storage.Layers in a container
// document. A wrong order is a classic mistake; the calls that take
// parents check it against the parents' layerchain.json files where they
// have them.

// chainFile is the file in which a layer folder names its parents, nearest
// first, as Docker's windowsfilter driver and containerd write it.
const chainFile = "layerchain.json"

// Chain returns the layers of the image whose top layer is in folder top:
// top itself, then the parents its layerchain.json lists, nearest first,
// base last. A base layer has no layerchain.json: its chain is itself.
// The paths are made absolute. Chain fails when the file cannot be read or
// is not a JSON array of paths.
func Chain(top string) ([]string, error) {
	top = abs(top)
	parents, _, err := readChain(top)
	if err != nil {
		return nil, &Error{Op: "chain", Path: top, Err: err}
	}
	return append([]string{top}, parents...), nil
}

// readChain returns the parents a layer folder's layerchain.json lists,
// and whether it has one.
func readChain(dir string) ([]string, bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, chainFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var chain []string
	if err := json.Unmarshal(b, &chain); err != nil {
		return nil, true, fmt.Errorf("%s: %w", chainFile, err)
	}
	return chain, true, nil
}

// writeChain writes the layerchain.json of the layer in dir.
func writeChain(dir string, parents []string) error {
	b, err := json.Marshal(parents)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, chainFile), b, 0o644)
}

// checkParents makes the parents of a call of op on path absolute and
// checks their order: each parent with a layerchain.json must list the
// parents after it there, in the same order, and only the last one may be
// a base layer. It returns the absolute paths, or an error saying what is
// wrong. Parents whose folder cannot be read are left for the layer
// service to report.
func checkParents(op, path string, parents []string) ([]string, error) {
	if len(parents) == 0 {
		return nil, invalid(op, path, "no parent layers: a layer needs at least the base layer below it")
	}
	abss := make([]string, len(parents))
	for i, p := range parents {
		if p == "" {
			return nil, invalid(op, path, fmt.Sprintf("parent layer %d is an empty path", i))
		}
		abss[i] = abs(p)
	}
	for i, p := range abss {
		chain, has, err := readChain(p)
		switch {
		case err != nil && !errors.Is(err, fs.ErrPermission):
			return nil, invalid(op, path, fmt.Sprintf("parent layer %s: %v", p, err))
		case !has && i < len(abss)-1 && isDir(filepath.Join(p, "Files")):
			return nil, invalid(op, path, fmt.Sprintf(
				"parent layer %s is a base layer (it has no %s) but not the last: list parents nearest first, base last", p, chainFile))
		case has && !samePaths(chain, abss[i+1:]):
			return nil, invalid(op, path, fmt.Sprintf(
				"parent layer %s has %v below it (its %s), the call gives %v: list parents nearest first, base last",
				p, chain, chainFile, abss[i+1:]))
		}
	}
	return abss, nil
}

// isDir reports whether path is a directory.
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// samePaths reports whether a and b name the same folders in the same
// order, case-insensitively on Windows.
func samePaths(a, b []string) bool {
	return slices.EqualFunc(a, b, func(x, y string) bool {
		x, y = filepath.Clean(x), filepath.Clean(y)
		if runtime.GOOS == "windows" {
			return strings.EqualFold(x, y)
		}
		return x == y
	})
}
