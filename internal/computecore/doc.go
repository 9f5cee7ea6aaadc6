//go:build windows

// Package computecore is the FFI to computecore.dll, the documented Host
// Compute Service API (Windows 10 1809 / Server 2019 and later), and the
// [backend.Backend] built on it. It is the only package of the module that
// calls native code; everything else is in package hcs, above the seam.
//
// # Loading
//
// computecore.dll is loaded from System32 only (windows.NewLazySystemDLL), on
// first use. [Backend] loads it and looks up every entry point of Windows 10
// 1809; when that fails it returns an error wrapping errors.ErrUnsupported.
// Entry points added later (HcsWaitForComputeSystemExit,
// HcsWaitForProcessExit, the VM group access calls, ...) are optional: a
// call whose export is missing returns an error wrapping
// errors.ErrUnsupported and never panics.
//
// # Errors
//
// HRESULT results follow mkwinsyscall's `hr error` convention: a failure is a
// syscall.Errno holding the 32-bit HRESULT, or the bare Win32 code when the
// HRESULT is FACILITY_WIN32 (E_INVALIDARG arrives as ERROR_INVALID_PARAMETER).
// A string argument containing NUL is rejected before the call with an
// error wrapping ERROR_INVALID_PARAMETER.
//
// # Threading
//
// HCS calls the completion callback of an operation and the event callback
// of a system or process handle on its own thread-pool threads, which are not
// Go threads. The package creates exactly two native callbacks, once per
// process (windows.NewCallback's table is small and never freed): one for
// completions, one for events. They receive the integer context given to
// CreateOperation and Set*Callback — never a Go pointer — and forward it to
// the [backend.Callbacks] installed by Init, which must not block. The event
// callback copies the event's document to a Go string before forwarding,
// because HCS frees it when the callback returns. Events for a context whose
// handle has been closed, and completions of a closed operation, are
// dropped.
//
// # Memory ownership
//
//   - Strings passed to HCS are converted to UTF-16 copies that live for the
//     duration of the call; "" is passed as NULL.
//   - Result documents and other out strings are allocated by HCS; the
//     package copies each one and frees it with LocalFree exactly once, on
//     success and on failure alike. A failing call returns the document (a
//     ResultError) together with the error.
//   - The stdio pipe handles of HCS_PROCESS_INFORMATION become streams
//     owned by the caller ([backend.ProcessInfo]); NULL and
//     INVALID_HANDLE_VALUE (which HcsGetProcessInfo may return for a
//     stream the process does not have) are no stream. When the call fails
//     the package closes any handle HCS returned.
//   - System, process and operation handles are owned by the caller, who
//     closes each once and never closes an operation HCS may still complete.
package computecore
