//go:build windows

// Package winstr converts the strings and lookup failures that cross the
// native boundary of the FFI packages (internal/vmcompute,
// internal/computestorage): UTF-16 arguments, result strings that the
// callee allocates and the caller frees with LocalFree, and optional entry
// points missing from their DLL.
package winstr

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Ptr converts s to a NUL-terminated UTF-16 string for a PCWSTR argument;
// the empty string is NULL. A string containing NUL cannot be passed without
// truncation and is rejected with an error wrapping
// ERROR_INVALID_PARAMETER, the Win32 form of E_INVALIDARG that `hr error`
// results use.
func Ptr(s string) (*uint16, error) {
	if s == "" {
		return nil, nil
	}
	return NonNull(s)
}

// NonNull is Ptr for an argument that must not be NULL: the empty string is
// a pointer to a lone NUL.
func NonNull(s string) (*uint16, error) {
	p, err := windows.UTF16PtrFromString(s)
	if err != nil {
		return nil, fmt.Errorf("string argument contains NUL: %w", windows.ERROR_INVALID_PARAMETER)
	}
	return p, nil
}

// Take copies the callee-allocated string p, then frees it with LocalFree.
// Call it exactly once for every out string, on success and on failure
// alike; NULL is "".
func Take(p *uint16) string {
	if p == nil {
		return ""
	}
	// SAFETY: p is a NUL-terminated string the callee allocated with
	// LocalAlloc and handed over; it is read before it is freed and never
	// used afterwards (the caller's copy of p goes out of scope).
	s := windows.UTF16PtrToString(p)
	// SAFETY: converting the pointer to a handle value for LocalFree; the
	// memory is native (LocalAlloc), not Go's, so the GC never tracks it.
	_, _ = windows.LocalFree(windows.Handle(unsafe.Pointer(p)))
	return s
}

// Optional classifies the error of a call through p, an entry point bound
// as optional (mkwinsyscall's `?`) in the DLL named dll. When p cannot be
// found, because the export or the whole DLL is missing, the call never
// happened: the error wraps errors.ErrUnsupported and names both. (The
// generated code returns the lookup failure as the call's error: a
// *windows.DLLError for a missing export, a bare Errno for a DLL that
// cannot be loaded, indistinguishable from a call's own.) Any other error
// is the call's own and is returned as it is.
func Optional(dll string, p *windows.LazyProc, err error) error {
	if err == nil {
		return nil
	}
	if findErr := p.Find(); findErr != nil {
		var dllErr *windows.DLLError
		if errors.As(findErr, &dllErr) {
			return fmt.Errorf("%s: %s: %w", dll, dllErr.Msg, errors.ErrUnsupported)
		}
		return fmt.Errorf("%s: %s: cannot load the DLL: %v: %w", dll, p.Name, findErr, errors.ErrUnsupported)
	}
	return err
}
