//go:build !unix

package atomicfile

// SyncDir does nothing: Windows cannot flush a directory handle, and NTFS
// journals the rename itself.
func SyncDir(string) error { return nil }
