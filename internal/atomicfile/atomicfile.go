// Package atomicfile replaces files so that a crash leaves either the old
// content or the new one, never a torn file.
package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
)

// Write replaces path with data: a temporary file beside it (named as
// IsTemp recognizes), synced, renamed over path, and the folder synced.
// On failure path is left as it was and the temporary file is removed.
func Write(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		// Without it, a crash after the rename can leave an empty file.
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// IsTemp reports whether name, a base name, is that of a temporary file
// Write creates: one a crash before its rename leaves behind.
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp")
}
