//go:build windows

package layertest

import (
	"errors"
	"syscall"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

// The errors the mocks' HRESULTs arrive as: `hr error` results unwrap
// FACILITY_WIN32, so HRESULT_FROM_WIN32(e) is e.
const (
	ErrInvalidArg       = syscall.Errno(windows.ERROR_INVALID_PARAMETER) // E_INVALIDARG
	ErrHandle           = syscall.Errno(windows.ERROR_INVALID_HANDLE)    // E_HANDLE
	ErrPointer          = syscall.Errno(0x80004003)                      // E_POINTER
	ErrInvalidJSON      = syscall.Errno(0x8037010D)                      // HCS_E_INVALID_JSON
	ErrPathNotFound     = syscall.Errno(windows.ERROR_PATH_NOT_FOUND)
	ErrNotReady         = syscall.Errno(windows.ERROR_NOT_READY)
	ErrFileExists       = syscall.Errno(windows.ERROR_FILE_EXISTS)
	ErrInsufficient     = syscall.Errno(windows.ERROR_INSUFFICIENT_BUFFER)
	ErrDirNotEmpty      = syscall.Errno(windows.ERROR_DIR_NOT_EMPTY)
	ErrBusy             = syscall.Errno(windows.ERROR_BUSY)
	ErrAlreadyExists    = syscall.Errno(windows.ERROR_ALREADY_EXISTS)
	ErrUnrecognized     = syscall.Errno(windows.ERROR_UNRECOGNIZED_VOLUME)
	ErrPrivilegeNotHeld = syscall.Errno(windows.ERROR_PRIVILEGE_NOT_HELD)
)

// Mock skips the test unless the mock layer DLLs are installed (under the
// Wine harness), resets them, and checks at the end of the test that no
// layer is left activated or prepared, no VHD handle open and no result
// string unfreed.
func Mock(t *testing.T) {
	t.Helper()
	if why := mockctl.LayersWhy(); why != "" {
		t.Skip("needs the mock layer DLLs installed by the Wine harness: " + why)
	}
	mockctl.LayersReset()
	t.Cleanup(func() {
		if a, p := mockctl.LayersMounted(); a != 0 || p != 0 {
			t.Errorf("mock: %d layers still activated, %d prepared at the end of the test", a, p)
		}
		if n := mockctl.LayersLiveVHDs(); n != 0 {
			t.Errorf("mock: %d VHD handles still open at the end of the test", n)
		}
		if n := mockctl.LayersOutstandingStrings(); n != 0 {
			t.Errorf("mock: %d result strings not freed with LocalFree", n)
		}
		mockctl.LayersReset()
	})
}

// WantErr fails the test unless err is want, quoting the mock's reason.
func WantErr(t *testing.T, what string, err error, want syscall.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v, want %v (%#x); mock says %q", what, err, want, uint32(want), mockctl.LayersLastError())
	}
}

// Must stops the test if err is not nil, quoting the mock's reason.
func Must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v; mock says %q", what, err, mockctl.LayersLastError())
	}
}
