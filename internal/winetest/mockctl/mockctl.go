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
//
// # Handle misuse
//
// A call on a NULL, never issued, closed or wrong-kind handle crashes real
// computecore.dll, so the mock makes it fatal. [Available] and [Why]
// register a hook with the mock (once per process) that panics with a
// [*Misuse] on the goroutine that made the call: unless that goroutine
// recovers, the test binary ends with the mock's diagnostic and the Go
// stack of the offending call. Without the hook (a binary that never asks
// Available or Why), the mock prints the diagnostic and ends the process.
package mockctl

import (
	"errors"
	"runtime"
	"sync"
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

	procSetFatalHook                = dll.NewProc("MockSetFatalHook")
	procSetLabel                    = dll.NewProc("MockSetLabel")
	procHoldNext                    = dll.NewProc("MockHoldNext")
	procReleaseHeld                 = dll.NewProc("MockReleaseHeld")
	procHeldCalls                   = dll.NewProc("MockHeldCalls")
	procFailCreateProcessRunning    = dll.NewProc("MockFailCreateProcessRunning")
	procDropNextProcessExit         = dll.NewProc("MockDropNextProcessExit")
	procStoppedProcessError         = dll.NewProc("MockStoppedProcessError")
	procSystemExitDropsProcessExits = dll.NewProc("MockSystemExitDropsProcessExits")
	procInvalidStdio                = dll.NewProc("MockInvalidStdio")
	procThreadSamplerStart          = dll.NewProc("MockThreadSamplerStart")
	procThreadSamplerStop           = dll.NewProc("MockThreadSamplerStop")
)

// Available reports whether computecore.dll can be loaded and is the mock,
// that is, exports MockLiveHandles. When it is, the misuse hook is
// registered.
func Available() bool {
	if procLiveHandles.Find() != nil {
		return false
	}
	installHook()
	return true
}

// Why returns the reason Available is false, for t.Skip, or "" when the
// mock is available (and then registers the misuse hook).
func Why() string {
	if err := dll.Load(); err != nil {
		return "computecore.dll cannot be loaded: " + err.Error()
	}
	if err := procLiveHandles.Find(); err != nil {
		return "computecore.dll is not the mock (no MockLiveHandles export): " + err.Error()
	}
	installHook()
	return ""
}

// Misuse is the panic value of a call on a bad handle: Diagnostic is the
// mock's account of it (the call, the handle, when and by what it was
// closed, the test labels of both moments).
type Misuse struct {
	Diagnostic string
}

func (m *Misuse) Error() string { return m.Diagnostic }

var installHook = sync.OnceFunc(func() {
	if procSetFatalHook.Find() == nil {
		procSetFatalHook.Call(windows.NewCallback(fatalHook))
	}
})

// fatalHook runs inside the offending call, on its thread, and panics: the
// panic unwinds through the mock (which holds no lock then) into the Go
// caller, whose stack the runtime prints unless it recovers.
func fatalHook(diagnostic *uint16) uintptr {
	panic(&Misuse{Diagnostic: windows.UTF16PtrToString(diagnostic)})
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

// callString calls p with a UTF-16 copy of s as its first argument and
// returns its result.
func callString(p *windows.LazyProc, s string, args ...uintptr) uintptr {
	s16, err := windows.UTF16PtrFromString(s)
	if err != nil {
		panic("mockctl: " + err.Error())
	}
	mustFind(p)
	// SAFETY: s16 is heap memory (the Go heap does not move objects) kept
	// reachable by the KeepAlive below until the call has returned; the
	// mock copies the string and keeps no pointer to it.
	r, _, _ := p.Call(append([]uintptr{uintptr(unsafe.Pointer(s16))}, args...)...)
	runtime.KeepAlive(s16)
	return r
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

// Reset drops every system, process and handle, releases held calls, and
// clears the mock's faults, modes and counters. A handle the caller still
// holds is closed by it: a later call on one is fatal, so a test lets its
// host finish (Host.Drain) before resetting.
func Reset() { call(procReset) }

// FailNext makes the next call of the entry point named function (such as
// "HcsStartComputeSystem") fail with hr: returned by the call itself when
// synchronous, otherwise through its operation.
func FailNext(function string, hr uint32, synchronous bool) {
	callString(procFailNext, function, uintptr(hr), boolArg(synchronous))
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

// Disconnect simulates the compute service going away: system and process
// callbacks get ServiceDisconnect, pending operations and later calls fail with
// HCS_E_SERVICE_DISCONNECT until Reconnect.
func Disconnect() { call(procDisconnect) }

// Reconnect ends a Disconnect.
func Reconnect() { call(procReconnect) }

// FireLateEvents makes the mock fire one more event to each event callback
// after its handle was closed, while enable is true.
func FireLateEvents(enable bool) { call(procFireLateEvents, boolArg(enable)) }

// SetLabel names what runs from now on, such as a test, in the mock's
// diagnostics: both for the moment a handle is closed and for a later
// misuse of it.
func SetLabel(label string) { callString(procSetLabel, label) }

// HoldNext keeps the next call of the entry point named function pending,
// without acting, until ReleaseHeld (or Reset or Disconnect).
func HoldNext(function string) { callString(procHoldNext, function) }

// ReleaseHeld lets every held call go on; they complete as usual.
func ReleaseHeld() { call(procReleaseHeld) }

// HeldCalls returns the number of calls held so far, never reset: a test
// that reads it before HoldNext knows that the held call has been made
// once it grows.
func HeldCalls() int { return int(int32(call(procHeldCalls))) }

// FailCreateProcessRunning makes the next HcsCreateProcess operation fail
// with hr while the process it created keeps running; its pipes are left
// for HcsGetProcessInfo.
func FailCreateProcessRunning(hr uint32) { call(procFailCreateProcessRunning, uintptr(hr)) }

// DropNextProcessExit makes the next process exit send no ProcessExited.
func DropNextProcessExit() { call(procDropNextProcessExit) }

// StoppedProcessError makes calls on an exited process fail with hr
// instead of HCS_E_PROCESS_ALREADY_STOPPED; 0 restores that.
func StoppedProcessError(hr uint32) { call(procStoppedProcessError, uintptr(hr)) }

// SystemExitDropsProcessExits makes a system's exit send no ProcessExited
// to its processes' callbacks, while on is true.
func SystemExitDropsProcessExits(on bool) { call(procSystemExitDropsProcessExits, boolArg(on)) }

// InvalidStdio makes streams a process does not have come back as
// INVALID_HANDLE_VALUE instead of NULL, while on is true.
func InvalidStdio(on bool) { call(procInvalidStdio, boolArg(on)) }

func boolArg(b bool) uintptr {
	if b {
		return 1
	}
	return 0
}

// ThreadPeaks are the largest thread counts a ThreadSampler saw.
type ThreadPeaks struct {
	Samples   uint32
	Threads   uint32 // every thread of the process (toolhelp snapshot)
	GoThreads uint32 // those Go created: their start address is in the executable
}

// ThreadSampler counts this process's threads from a native thread of the
// mock that never runs Go code, so a Go scheduler starved by threads piling
// up cannot make it miss the peak.
type ThreadSampler struct{}

// StartThreadSampler starts sampling every interval (millisecond
// resolution). Only one sampler runs at a time.
func StartThreadSampler(interval time.Duration) (*ThreadSampler, error) {
	if call(procThreadSamplerStart, uintptr(uint32(interval/time.Millisecond))) == 0 {
		return nil, errors.New("mockctl: MockThreadSamplerStart failed (a sampler already runs, or no thread)")
	}
	return &ThreadSampler{}, nil
}

// Stop stops the sampler and returns its peaks.
func (*ThreadSampler) Stop() ThreadPeaks {
	var p ThreadPeaks
	// SAFETY: p is a Go variable of the mock's MOCK_THREAD_PEAKS layout
	// (three UINT32s); the mock writes it before returning and keeps no
	// pointer; KeepAlive holds it until then.
	call(procThreadSamplerStop, uintptr(unsafe.Pointer(&p)))
	runtime.KeepAlive(&p)
	return p
}
