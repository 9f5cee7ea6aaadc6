// Package winetest holds what tests need to run as Windows binaries under
// Wine. The harness itself — the ProcessPrng shim, the mock
// computecore.dll, the mock layer DLLs (vmcompute.dll, computestorage.dll)
// and the go_windows_amd64_exec wrapper — lives beside this file and is
// built by `make wine`.
package winetest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TempDir is t.TempDir for tests that also run under Wine. Wine 8.0 lacks
// the POSIX-semantics delete that Go's os.RemoveAll tries first, so
// t.TempDir's cleanup fails there with "Invalid function"; this cleanup
// removes the tree one entry at a time with os.Remove, deepest first, and
// reports what it could not remove.
func TempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hcs-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var paths []string
		_ = filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
			if err == nil {
				paths = append(paths, path)
			}
			return nil
		})
		slices.Reverse(paths) // children before their directory
		for _, p := range paths {
			if err := os.Remove(p); err != nil {
				t.Errorf("removing test file: %v", err)
			}
		}
	})
	return dir
}
