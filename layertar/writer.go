package layertar

import "io"

// Writer receives a translated layer: Translate calls its methods one at a
// time, in the order of the tar's entries, with names it has checked (see
// Translate: slash-separated paths under Files/, Hives/ and UtilityVM/).
//
// The implementations here are Staging (the folder vmcompute's ImportLayer
// consumes, portable), BackupWriter (a base layer written with BackupWrite,
// Windows) and Recorder (in memory, for tests). A writer that fails leaves
// what it wrote on disk; the caller removes it.
type Writer interface {
	// Add adds the file or directory name with the basic information info.
	// stream is its Win32 backup stream (package backupstream): security
	// descriptor, extended attributes, reparse point, contents and
	// alternate data streams, in that order. Add reads stream to its end
	// or fails; an error reading stream (a malformed or truncated tar, or
	// Translate's context ending) fails Add with that error wrapped.
	Add(name string, info BasicInfo, stream io.Reader) error
	// AddLink adds name as a hard link to target: a file added earlier in
	// this layer or present in a parent layer.
	AddLink(name, target string) error
	// Remove records that name, present in a parent layer, is deleted by
	// this layer (a whiteout in the tar; a tombstone to Windows).
	Remove(name string) error
	// Close finishes the layer. Translate does not call it: the caller
	// closes the writer once Translate succeeded, and discards its output
	// otherwise. Close is idempotent.
	Close() error
}
