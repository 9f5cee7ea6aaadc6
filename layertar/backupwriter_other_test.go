//go:build !windows

package layertar

import (
	"errors"
	"strings"
	"testing"
)

// TestBackupWriterUnsupported checks that off Windows NewBackupWriter, and
// the methods of a BackupWriter it did not make, fail with
// errors.ErrUnsupported (Close aside, which has nothing to finish).
func TestBackupWriterUnsupported(t *testing.T) {
	if w, err := NewBackupWriter(t.TempDir()); w != nil || !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("NewBackupWriter: %v, %v; want errors.ErrUnsupported", w, err)
	}
	var w BackupWriter
	for name, err := range map[string]error{
		"Add":     w.Add("Files", BasicInfo{}, strings.NewReader("")),
		"AddLink": w.AddLink("Files/a", "Files/b"),
		"Remove":  w.Remove("Files/a"),
	} {
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%s: %v, want errors.ErrUnsupported", name, err)
		}
	}
	if w.Dir() != "" || w.UtilityVM() || w.Close() != nil {
		t.Errorf("Dir %q, UtilityVM %v, Close %v; want \"\", false, nil", w.Dir(), w.UtilityVM(), w.Close())
	}
}
