//go:build windows

package computecore

// This file and the generated zsyscall_windows.go are the package's whole
// unsafe surface: the mirrors of the native structures, the two callback
// trampolines, and the conversions of strings that cross the boundary.

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs/internal/backend"
)

// handle is an HCS_SYSTEM, HCS_PROCESS or HCS_OPERATION: an opaque,
// pointer-sized value that Go never dereferences.
type handle = backend.Handle

// hcsEvent mirrors HCS_EVENT of computedefs.h.
type hcsEvent struct {
	Type      uint32  // HCS_EVENT_TYPE
	EventData *uint16 // PCWSTR, valid only while the callback runs
	Operation handle  // HCS_OPERATION
}

// processInformation mirrors HCS_PROCESS_INFORMATION of computedefs.h.
type processInformation struct {
	ProcessID uint32
	Reserved  uint32
	StdInput  windows.Handle
	StdOutput windows.Handle
	StdError  windows.Handle
}

// createOptions mirrors HCS_CREATE_OPTIONS_1 of computedefs.h, the options
// of HcsCreateComputeSystemInNamespace.
type createOptions struct {
	Version            uint32 // HCS_CREATE_OPTIONS: 0x00010000
	UserToken          windows.Handle
	SecurityDescriptor *windows.SECURITY_DESCRIPTOR
	CallbackOptions    uint32
	CallbackContext    uintptr
	Callback           uintptr
}

// Sizes of the mirrors on 64-bit Windows (amd64 and arm64), checked by the
// tests against computedefs.h's layout.
const (
	sizeofEvent              = 24
	sizeofProcessInformation = 32
)

// callbacks holds the dispatchers installed by Init; nil until then.
var callbacks atomic.Pointer[backend.Callbacks]

// dropped counts the callbacks the trampolines did not dispatch: events for
// a closed handle, completions of a closed operation, calls before Init. The
// tests read it to see a late event arrive and go nowhere.
var dropped atomic.Uint64

// trampolines are the native addresses of the two Go callbacks. They are
// created once per process: windows.NewCallback allocates from a fixed,
// never-freed table of 2000 entries. Every operation and every handle shares
// them; the integer context tells the calls apart.
var trampolines = sync.OnceValues(func() (completion, event uintptr) {
	return windows.NewCallback(completionTrampoline), windows.NewCallback(eventTrampoline)
})

// completionTrampoline is the HCS_OPERATION_COMPLETION of every operation.
// It runs on an HCS thread-pool thread and must return quickly: the
// dispatcher it calls never blocks (backend.Callbacks' contract).
func completionTrampoline(op handle, context uintptr) uintptr {
	cb := callbacks.Load()
	if cb == nil || cb.Completion == nil || !liveOperation(op, context) {
		dropped.Add(1)
		return 0
	}
	cb.Completion(op, context)
	return 0
}

// eventTrampoline is the HCS_EVENT_CALLBACK of every system and process
// handle. The event and its EventData belong to HCS and are valid only
// during the call, so they are copied before dispatch. Events for a context
// whose handle was closed are dropped.
func eventTrampoline(e *hcsEvent, context uintptr) uintptr {
	cb := callbacks.Load()
	if e == nil || cb == nil || cb.Event == nil || !liveCallback(context) {
		dropped.Add(1)
		return 0
	}
	// SAFETY: e points to HCS's HCS_EVENT, which HCS keeps alive for the
	// duration of this call; it is read here and not retained.
	// EventData is NULL or a NUL-terminated UTF-16 string owned by HCS, valid
	// during the call; UTF16PtrToString copies it.
	ev := backend.Event{
		Type:      e.Type,
		Data:      windows.UTF16PtrToString(e.EventData),
		Operation: e.Operation,
	}
	cb.Event(context, ev)
	return 0
}
