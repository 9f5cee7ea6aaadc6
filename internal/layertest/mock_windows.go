//go:build windows

package layertest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs/internal/winetest"
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

// Call is one call of an entry point, as the tests of missing exports and
// of elevation make them.
type Call struct {
	Export string
	Do     func() error
}

// MissingExports checks that every call fails with errors.ErrUnsupported,
// naming its export, and never panics, when the FFI's bindings (procs, in
// the order of the calls) point at a DLL without the exports (an older
// host: the decoy DLL make wine builds, copied under another name) or at a
// DLL that does not exist. It restores the bindings afterwards.
func MissingExports(t *testing.T, procs []**windows.LazyProc, calls []Call) {
	t.Helper()
	if len(calls) != len(procs) {
		t.Fatalf("%d calls for %d bindings", len(calls), len(procs))
	}
	for i, c := range calls {
		if c.Export != (*procs[i]).Name {
			t.Fatalf("call %d is %s, binding %s", i, c.Export, (*procs[i]).Name)
		}
	}
	old := filepath.Join(winetest.TempDir(t), "old.dll")
	WriteFile(t, old, ReadFile(t, decoyDLL(t)))
	dlls := map[string]*windows.LazyDLL{
		"a DLL without the exports": windows.NewLazyDLL(old),
		"a missing DLL":             windows.NewLazySystemDLL("hcs-no-such-layer.dll"),
	}
	for name, dll := range dlls {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if dll.Load() == nil { // Wine refuses to delete a loaded DLL
					_ = windows.FreeLibrary(windows.Handle(dll.Handle()))
				}
			}()
			saved := make([]*windows.LazyProc, len(procs))
			for i, p := range procs {
				saved[i] = *p
				*p = dll.NewProc((*p).Name)
			}
			defer func() {
				for i, p := range procs {
					*p = saved[i]
				}
			}()
			for _, c := range calls {
				err := c.Do()
				if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), c.Export) {
					t.Errorf("%s: err = %v, want errors.ErrUnsupported naming it", c.Export, err)
				}
			}
		})
	}
}

// decoyDLL is the path of the decoy DLL make wine builds: a DLL exporting
// none of the HCS entry points.
func decoyDLL(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for !Exists(filepath.Join(dir, "go.mod")) {
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
	return filepath.Join(dir, ".build", "wine", "decoy", "computecore.dll")
}
