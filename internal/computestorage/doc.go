//go:build windows

// Package computestorage is the FFI to computestorage.dll, the documented
// layer API of the Host Compute Service (computestorage.h, Windows 10 1809 /
// Server 2019 and later), and the [backend.Storage] built on it.
//
// # Loading
//
// computestorage.dll is loaded from System32 only
// (windows.NewLazySystemDLL), on first use. All twelve entry points are
// optional: when the DLL or an export is missing (Windows Server 2016 has no
// computestorage.dll; HcsSetupBaseOSVolume appeared in Windows Server 2022)
// the call returns an error wrapping errors.ErrUnsupported and never
// panics. A test checks every name bound here against the exports of the
// mock DLL and the mock's against mingw's computestorage.h, so a misspelled
// import (hcsshim's public computestorage package shipped one for
// HcsDestroyLayer) cannot go unnoticed.
//
// # Errors
//
// The entry points return HRESULTs, turned into errors by mkwinsyscall's
// `hr error` convention: a failure is a syscall.Errno holding the 32-bit
// HRESULT, or the bare Win32 code when the HRESULT is FACILITY_WIN32. A
// string argument containing NUL is rejected before the call with an error
// wrapping ERROR_INVALID_PARAMETER.
//
// # Memory ownership
//
// String arguments are UTF-16 copies that live for the duration of the call;
// "" is passed as NULL. VHD handles are passed through untouched and stay
// the caller's. The mount path HcsGetLayerVhdMountPath returns is allocated
// by computestorage.dll; the package copies it and frees it with LocalFree,
// as the reference page says.
package computestorage
