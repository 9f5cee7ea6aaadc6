//go:build windows

// Package vmcompute is the FFI to the layer exports of vmcompute.dll and the
// [backend.LegacyLayers] built on them. These exports mount and manage
// container storage for every runtime (containerd, moby, hcsshim); they are
// undocumented and have no SDK header: the signatures are those hcsshim's
// internal/wclayer declares and runtimes have called for years.
//
// # Loading
//
// vmcompute.dll is loaded from System32 only (windows.NewLazySystemDLL).
// [Backend] loads it and fails with an error wrapping errors.ErrUnsupported
// when it cannot (the Containers feature is not installed). Every entry
// point is optional: a call whose export is missing returns an error
// wrapping errors.ErrUnsupported and never panics.
//
// # Errors
//
// The exports return HRESULTs, turned into errors by mkwinsyscall's
// `hr error` convention: a failure is a syscall.Errno holding the 32-bit
// HRESULT, or the bare Win32 code when the HRESULT is FACILITY_WIN32
// (HRESULT_FROM_WIN32(ERROR_NOT_READY) arrives as ERROR_NOT_READY). A string
// argument containing NUL is rejected before the call with an error
// wrapping ERROR_INVALID_PARAMETER. The package translates and does not
// decide: it neither retries nor wraps the errors of a call; package layers
// does both.
//
// # Memory ownership
//
// Every call passes a DriverInfo{Flavour: 1 (the filter driver), HomeDir}
// and, where it has parents, an array of WC_LAYER_DESCRIPTORs. These, and
// the UTF-16 strings they point to, are Go memory pinned for the duration
// of the call only; vmcompute.dll keeps no pointer to them after it
// returns. A HomeDir of "" is passed as an empty string, never NULL, as
// runtimes do; any other empty string argument is NULL. GetBaseImages'
// result is allocated by vmcompute.dll; the package copies it and frees it
// with LocalFree.
package vmcompute
