//go:build windows

package vmcompute

import (
	"testing"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/layertest"
)

const (
	errInvalidArg       = layertest.ErrInvalidArg
	errPointer          = layertest.ErrPointer
	errPathNotFound     = layertest.ErrPathNotFound
	errNotReady         = layertest.ErrNotReady
	errFileExists       = layertest.ErrFileExists
	errInsufficient     = layertest.ErrInsufficient
	errDirNotEmpty      = layertest.ErrDirNotEmpty
	errBusy             = layertest.ErrBusy
	errAlreadyExists    = layertest.ErrAlreadyExists
	errPrivilegeNotHeld = layertest.ErrPrivilegeNotHeld
)

// mock returns the backend over the mock vmcompute.dll, reset (see
// layertest.Mock). It skips the test when vmcompute.dll is not the mock.
func mock(t *testing.T) backend.LegacyLayers {
	t.Helper()
	layertest.Mock(t)
	b, err := Backend()
	if err != nil {
		t.Fatalf("Backend: %v", err)
	}
	return b
}

// full is the DriverInfo runtimes pass today: an empty HomeDir, and the
// layer's full path as its id.
var full = backend.DriverInfo{}

var (
	wantErr = layertest.WantErr
	must    = layertest.Must
)
