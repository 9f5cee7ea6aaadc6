// Package filetree removes folder trees in a way that works under Wine
// too, where this module's Windows tests run.
package filetree

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Remove removes path and everything below it, one entry at a time,
// deepest first, without following links or reparse points. (os.RemoveAll
// needs a kind of delete that Wine 8 lacks.) A path that does not exist
// is removed already. Remove stops at the first entry it cannot remove.
func Remove(path string) error {
	var paths []string
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, p)
		if p != path && d.IsDir() && d.Type()&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
			return fs.SkipDir
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) && len(paths) == 0 {
		return nil
	}
	if err != nil {
		return err
	}
	for i := len(paths) - 1; i >= 0; i-- {
		if err := os.Remove(paths[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
