//go:build windows

// Package mockctl drives the test-only exports of the mock computecore.dll
// (internal/winetest/mock) that the Wine harness installs in place of the
// real one. The library never calls these exports; tests do, through this
// package, to count what the FFI left behind and to inject faults.
//
// The package loads computecore.dll from System32 like the production code,
// so it talks to the very DLL instance the FFI uses. On a host whose
// computecore.dll is not the mock (real Windows), [Available] is false and
// every other function panics: tests check Available first and skip.
package mockctl

import (
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	dll = windows.NewLazySystemDLL("computecore.dll")

	procLiveHandles        = dll.NewProc("MockLiveHandles")
	procOutstandingResults = dll.NewProc("MockOutstandingResults")
	procResultsAllocated   = dll.NewProc("MockResultsAllocated")
	procReset              = dll.NewProc("MockReset")
	procFailNext           = dll.NewProc("MockFailNext")
	procSetCompletionDelay = dll.NewProc("MockSetCompletionDelay")
	procExitDuringNext     = dll.NewProc("MockExitDuringNext")
	procDisconnect         = dll.NewProc("MockDisconnect")
	procReconnect          = dll.NewProc("MockReconnect")
	procFireLateEvents     = dll.NewProc("MockFireLateEvents")
	procCallbacksInFlight  = dll.NewProc("MockCallbacksInFlight")
)

// Available reports whether computecore.dll can be loaded and is the mock,
// that is, exports MockLiveHandles.
func Available() bool {
	return procLiveHandles.Find() == nil
}

// Why returns the reason Available is false, for t.Skip, or "" when the
// mock is available.
func Why() string {
	if err := dll.Load(); err != nil {
		return "computecore.dll cannot be loaded: " + err.Error()
	}
	if err := procLiveHandles.Find(); err != nil {
		return "computecore.dll is not the mock (no MockLiveHandles export): " + err.Error()
	}
	return ""
}

// call calls p, panicking with a clear message if the export is missing:
// callers check Available first.
func call(p *windows.LazyProc, args ...uintptr) uintptr {
	mustFind(p)
	r, _, _ := p.Call(args...)
	return r
}

func mustFind(p *windows.LazyProc) {
	if err := p.Find(); err != nil {
		panic("mockctl: " + err.Error())
	}
}

// callString calls p with a UTF-16 copy of s as its first argument.
func callString(p *windows.LazyProc, s string, args ...uintptr) {
	s16, err := windows.UTF16PtrFromString(s)
	if err != nil {
		panic("mockctl: " + err.Error())
	}
	mustFind(p)
	// SAFETY: s16 is heap memory (the Go heap does not move objects) kept
	// reachable by the KeepAlive below until the call has returned; the
	// mock copies the string and keeps no pointer to it.
	_, _, _ = p.Call(append([]uintptr{uintptr(unsafe.Pointer(s16))}, args...)...)
	runtime.KeepAlive(s16)
}

// LiveHandles returns the number of system, process and operation handles
// the mock has handed out and that are not closed yet.
func LiveHandles() uint32 { return uint32(call(procLiveHandles)) }

// OutstandingResults returns the number of strings the mock allocated for a
// caller (result documents) that have not been freed with LocalFree yet.
func OutstandingResults() uint32 { return uint32(call(procOutstandingResults)) }

// ResultsAllocated returns the number of strings the mock has allocated for
// callers since it was loaded or reset.
func ResultsAllocated() uint32 { return uint32(call(procResultsAllocated)) }

// CallbacksInFlight returns the number of completion and event callbacks
// that the mock has started and that have not returned yet.
func CallbacksInFlight() uint32 { return uint32(call(procCallbacksInFlight)) }

// Reset clears the mock's fault injections and counters.
func Reset() { call(procReset) }

// FailNext makes the next call of the entry point named function (such as
// "HcsStartComputeSystem") fail with hr: returned by the call itself when
// synchronous, otherwise through its operation.
func FailNext(function string, hr uint32, synchronous bool) {
	var b uintptr
	if synchronous {
		b = 1
	}
	callString(procFailNext, function, uintptr(hr), b)
}

// SetCompletionDelay delays every later operation completion by d
// (millisecond resolution; 0 restores immediate completion).
func SetCompletionDelay(d time.Duration) {
	call(procSetCompletionDelay, uintptr(uint32(d/time.Millisecond)))
}

// ExitDuringNext makes the system exit during the next pending call of the
// entry point named function.
func ExitDuringNext(function string) {
	callString(procExitDuringNext, function)
}

// Disconnect simulates the compute service going away: system callbacks get
// ServiceDisconnect, pending operations and later calls fail with
// HCS_E_SERVICE_DISCONNECT until Reconnect.
func Disconnect() { call(procDisconnect) }

// Reconnect ends a Disconnect.
func Reconnect() { call(procReconnect) }

// FireLateEvents makes the mock fire one more event to each event callback
// after its handle was closed, while enable is true.
func FireLateEvents(enable bool) {
	var b uintptr
	if enable {
		b = 1
	}
	call(procFireLateEvents, b)
}
