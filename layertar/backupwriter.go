package layertar

import "io"

// BackupWriter is a Writer that writes a base layer into its layer folder
// with BackupWrite, as hcsshim's base layer writer does: each file and
// directory is created with its basic information, then restored from its
// backup stream — contents, security descriptor (owner, DACL and SACL),
// extended attributes, reparse point and alternate data streams — with
// SeBackupPrivilege and SeRestorePrivilege enabled on the calling thread
// only. Hard links are created as links. Close sets the directories'
// times again (adding to a directory changes them). ProcessBaseImage (and
// ProcessUtilityImage when UtilityVM reports one) must then run on the
// folder; that is not this package's job.
//
// A base layer deletes nothing: Remove always fails. Names resolve inside
// the folder only (os.Root): a junction the layer holds cannot redirect
// later entries outside it. A file whose Add fails is deleted; the writer
// then refuses further calls, and the caller removes the folder. The
// process must be elevated. The methods may be called from one goroutine
// at a time; Close may be called from any, and more than once.
//
// BackupWriter needs Windows: elsewhere NewBackupWriter fails with an
// error wrapping errors.ErrUnsupported.
type BackupWriter struct {
	w *backupWriter // the platform's half
}

var _ Writer = (*BackupWriter)(nil)

// NewBackupWriter returns a BackupWriter that writes a layer into dir,
// which must exist and be empty; it fails when dir does not exist, is not
// a directory or is not empty. Elsewhere than on Windows it fails with an
// error wrapping errors.ErrUnsupported.
func NewBackupWriter(dir string) (*BackupWriter, error) {
	w, err := newBackupWriter(dir)
	if err != nil {
		return nil, err
	}
	return &BackupWriter{w}, nil
}

// Dir returns the layer folder ("" elsewhere than on Windows).
func (w *BackupWriter) Dir() string { return w.w.layerDir() }

// UtilityVM reports whether the layer has a UtilityVM folder, which
// ProcessUtilityImage must process (false elsewhere than on Windows).
func (w *BackupWriter) UtilityVM() bool { return w.w.hasUtilityVM() }

// Add creates name and restores it from stream with BackupWrite. It fails
// when name exists or its parent does not, for times a FILETIME cannot
// hold, when the privileges cannot be enabled, and when stream or
// BackupWrite fails; the file is deleted then. Elsewhere than on Windows
// it fails with an error wrapping errors.ErrUnsupported.
func (w *BackupWriter) Add(name string, info BasicInfo, stream io.Reader) error {
	return w.w.add(name, info, stream)
}

// AddLink creates name as a hard link to target, which this layer added.
// Elsewhere than on Windows it fails with an error wrapping
// errors.ErrUnsupported.
func (w *BackupWriter) AddLink(name, target string) error { return w.w.addLink(name, target) }

// Remove fails: a base layer has no parent to delete from. Elsewhere than
// on Windows the error wraps errors.ErrUnsupported.
func (w *BackupWriter) Remove(name string) error { return w.w.remove(name) }

// Close sets each directory's basic information again, children before
// parents (unless a call failed), and closes the folder. It returns the
// same result however often it is called; after it the other methods fail
// with an error wrapping os.ErrClosed. Elsewhere than on Windows it
// returns nil.
func (w *BackupWriter) Close() error { return w.w.finish() }
