// Package backend defines the seam between package hcs and the raw HCS
// surface it drives.
//
// The seam mirrors the computecore.dll ABI in Go types: operations with a
// completion callback, system and process handles, event callbacks and result
// documents. Two implementations exist: the FFI to computecore.dll
// (internal/computecore, Windows only) and the in-memory simulator (hcssim).
// Everything that is hard to get right — bridging completions to goroutines,
// cancellation, handle lifetime, event fan-out, error wrapping — lives once,
// above the seam, in package hcs. Implementations stay narrow and dumb: they
// translate, they do not decide.
//
// Conventions shared by every method:
//   - Strings are Go strings; the FFI converts them to and from UTF-16. An
//     empty string stands for a NULL PCWSTR argument.
//   - A failing call returns an error carrying an HRESULT: a syscall.Errno
//     holding the 32-bit HRESULT, or the bare Win32 code that mkwinsyscall's
//     `hr error` convention unwraps from a FACILITY_WIN32 HRESULT (the FFI);
//     or an hcs.HRESULT (the simulator). An entry point or DLL that does not
//     exist is an error wrapping errors.ErrUnsupported. Package hcs
//     classifies all of these; an implementation never panics on input.
//   - Result documents are returned together with the error: HCS writes a
//     ResultError document on failure, and the caller wants both.
//   - Methods taking an operation start asynchronous work and return at
//     once; completion is reported through Callbacks.Completion with the
//     context the operation was created with, from a goroutine or native
//     thread that is not the caller's.
package backend

import "io"

// Handle is an HCS handle: HCS_SYSTEM, HCS_PROCESS or HCS_OPERATION. Zero is
// never a valid handle.
type Handle uintptr

// Event is a copy of a native HCS_EVENT, taken while the callback runs.
type Event struct {
	// Type is the HCS_EVENT_TYPE value (0x80000002-style values exist, hence uint32).
	Type uint32
	// Data is the event's JSON document, or "" when HCS passed NULL.
	Data string
	// Operation is the operation the event relates to, or 0.
	Operation Handle
}

// HCS_EVENT_TYPE values package hcs and the simulator share.
const (
	EventSystemExited                      uint32 = 0x00000001
	EventSystemCrashInitiated              uint32 = 0x00000002
	EventSystemCrashReport                 uint32 = 0x00000003
	EventSystemRDPEnhancedModeStateChanged uint32 = 0x00000004
	EventSystemSiloJobCreated              uint32 = 0x00000005
	EventSystemGuestConnectionClosed       uint32 = 0x00000006
	EventProcessExited                     uint32 = 0x00010000
	EventOperationCallback                 uint32 = 0x01000000
	EventServiceDisconnect                 uint32 = 0x02000000
)

// HCS_EVENT_OPTIONS values.
const (
	EventOptionNone                     uint32 = 0
	EventOptionEnableOperationCallbacks uint32 = 1
)

// ProcessInfo mirrors HCS_PROCESS_INFORMATION, with the pipe handles already
// turned into Go streams. The caller owns the streams and must close each
// non-nil one exactly once. A stream is nil when the process parameters did
// not ask for that pipe, or HCS gave none (NULL or INVALID_HANDLE_VALUE).
type ProcessInfo struct {
	PID    uint32
	Stdin  io.WriteCloser
	Stdout io.ReadCloser
	Stderr io.ReadCloser
}

// Callbacks are the two dispatchers a backend calls. Both run on a thread
// that is not the caller's (an HCS thread-pool thread for the FFI) and must
// not block; package hcs guarantees that.
type Callbacks struct {
	// Completion reports that operation op, created with context ctx, has
	// completed. Its result can then be read without waiting.
	Completion func(op Handle, ctx uintptr)
	// Event delivers an event for the system or process whose callback was
	// registered with context ctx.
	Event func(ctx uintptr, e Event)
}

// Backend is the raw HCS surface. Method names follow the computecore
// functions they mirror (HcsStartComputeSystem → StartComputeSystem).
// Implementations must be safe for concurrent use.
type Backend interface {
	// Init installs the dispatchers. Every Host built on the backend calls
	// it, always with the same callbacks, before any other method.
	Init(cb Callbacks)

	// CreateOperation mirrors HcsCreateOperation with the backend's single
	// completion callback and ctx as the operation context.
	CreateOperation(ctx uintptr) (Handle, error)
	// CloseOperation mirrors HcsCloseOperation. The caller never closes an
	// operation that HCS may still complete.
	CloseOperation(op Handle)
	// CancelOperation mirrors HcsCancelOperation (E_NOTIMPL on real hosts).
	CancelOperation(op Handle) error
	// GetOperationResult mirrors HcsGetOperationResult. It returns
	// HCS_E_OPERATION_PENDING while the operation runs.
	GetOperationResult(op Handle) (result string, err error)
	// GetOperationResultAndProcessInfo mirrors
	// HcsGetOperationResultAndProcessInfo for operations that create or
	// query a process.
	GetOperationResultAndProcessInfo(op Handle) (ProcessInfo, string, error)
	// WaitForOperationResult mirrors HcsWaitForOperationResult: it blocks
	// the calling thread. Package hcs does not use it on any path; it
	// exists for comparison benchmarks and FFI tests.
	WaitForOperationResult(op Handle, timeoutMs uint32) (string, error)

	CreateComputeSystem(id, configuration string, op Handle) (Handle, error)
	OpenComputeSystem(id string) (Handle, error)
	CloseComputeSystem(system Handle)
	StartComputeSystem(system, op Handle, options string) error
	ShutDownComputeSystem(system, op Handle, options string) error
	TerminateComputeSystem(system, op Handle, options string) error
	CrashComputeSystem(system, op Handle, options string) error
	PauseComputeSystem(system, op Handle, options string) error
	ResumeComputeSystem(system, op Handle, options string) error
	SaveComputeSystem(system, op Handle, options string) error
	GetComputeSystemProperties(system, op Handle, query string) error
	ModifyComputeSystem(system, op Handle, configuration string) error
	SetComputeSystemCallback(system Handle, options uint32, ctx uintptr) error
	EnumerateComputeSystems(query string, op Handle) error

	CreateProcess(system Handle, parameters string, op Handle) (Handle, error)
	OpenProcess(system Handle, pid uint32) (Handle, error)
	CloseProcess(process Handle)
	TerminateProcess(process, op Handle, options string) error
	SignalProcess(process, op Handle, options string) error
	GetProcessInfo(process, op Handle) error
	GetProcessProperties(process, op Handle, query string) error
	ModifyProcess(process, op Handle, settings string) error
	SetProcessCallback(process Handle, options uint32, ctx uintptr) error

	// The service calls below are synchronous in computecore.
	GetServiceProperties(query string) (string, error)
	ModifyServiceSettings(settings string) (string, error)
	SubmitWerReport(settings string) error
	CreateEmptyGuestStateFile(path string) error
	CreateEmptyRuntimeStateFile(path string) error
	GrantVMAccess(vmID, path string) error
	RevokeVMAccess(vmID, path string) error
	GrantVMGroupAccess(path string) error
	RevokeVMGroupAccess(path string) error
	GetProcessorCompatibilityFromSavedState(path string) (string, error)
}

// NewHost is set by package hcs, at initialisation, to its Host
// constructor: it returns a *hcs.Host around b, configured by opts (a
// []hcs.HostOption). It lets hcssim hand out *hcs.Host values without hcs
// exporting the seam.
var NewHost func(b Backend, opts any) any
