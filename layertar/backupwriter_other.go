//go:build !windows

package layertar

import (
	"errors"
	"fmt"
	"io"
)

// BackupWriter is a Writer that writes a base layer into its layer folder
// with BackupWrite; it exists on Windows only (see its Windows
// documentation). Here its methods fail with errors.ErrUnsupported.
type BackupWriter struct{}

var _ Writer = (*BackupWriter)(nil)

var errNoBackupWrite = fmt.Errorf("layertar: BackupWrite needs Windows: %w", errors.ErrUnsupported)

// NewBackupWriter fails with an error wrapping errors.ErrUnsupported:
// BackupWrite needs Windows.
func NewBackupWriter(dir string) (*BackupWriter, error) { return nil, errNoBackupWrite }

// Dir returns "".
func (w *BackupWriter) Dir() string { return "" }

// UtilityVM returns false.
func (w *BackupWriter) UtilityVM() bool { return false }

// Add fails with errors.ErrUnsupported.
func (w *BackupWriter) Add(name string, info BasicInfo, stream io.Reader) error {
	return errNoBackupWrite
}

// AddLink fails with errors.ErrUnsupported.
func (w *BackupWriter) AddLink(name, target string) error { return errNoBackupWrite }

// Remove fails with errors.ErrUnsupported.
func (w *BackupWriter) Remove(name string) error { return errNoBackupWrite }

// Close returns nil.
func (w *BackupWriter) Close() error { return nil }
