//go:build windows

package vmcompute

import (
	"syscall"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/winetest/layertest"
)

// The errors the mock's HRESULTs arrive as (`hr error` unwraps
// FACILITY_WIN32).
const (
	errInvalidArg       = syscall.Errno(windows.ERROR_INVALID_PARAMETER) // E_INVALIDARG
	errPointer          = syscall.Errno(0x80004003)                      // E_POINTER
	errPathNotFound     = syscall.Errno(windows.ERROR_PATH_NOT_FOUND)
	errNotReady         = syscall.Errno(windows.ERROR_NOT_READY)
	errFileExists       = syscall.Errno(windows.ERROR_FILE_EXISTS)
	errInsufficient     = syscall.Errno(windows.ERROR_INSUFFICIENT_BUFFER)
	errDirNotEmpty      = syscall.Errno(windows.ERROR_DIR_NOT_EMPTY)
	errBusy             = syscall.Errno(windows.ERROR_BUSY)
	errAlreadyExists    = syscall.Errno(windows.ERROR_ALREADY_EXISTS)
	errPrivilegeNotHeld = syscall.Errno(windows.ERROR_PRIVILEGE_NOT_HELD)
	errNotAReparsePoint = syscall.Errno(windows.ERROR_NOT_A_REPARSE_POINT)
	errSharing          = syscall.Errno(windows.ERROR_SHARING_VIOLATION)
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
