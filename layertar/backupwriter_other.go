//go:build !windows

package layertar

import (
	"errors"
	"fmt"
	"io"
)

// backupWriter is the half of BackupWriter for systems other than
// Windows, which have no BackupWrite: NewBackupWriter fails, and the
// methods of a BackupWriter it did not make fail too.
type backupWriter struct{}

var errNoBackupWrite = fmt.Errorf("layertar: BackupWrite needs Windows: %w", errors.ErrUnsupported)

func newBackupWriter(dir string) (*backupWriter, error) { return nil, errNoBackupWrite }

func (*backupWriter) layerDir() string { return "" }

func (*backupWriter) hasUtilityVM() bool { return false }

func (*backupWriter) add(name string, info BasicInfo, stream io.Reader) error {
	return errNoBackupWrite
}

func (*backupWriter) addLink(name, target string) error { return errNoBackupWrite }

func (*backupWriter) remove(name string) error { return errNoBackupWrite }

func (*backupWriter) finish() error { return nil }
