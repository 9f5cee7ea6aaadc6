package hcssim

import (
	"slices"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
)

// Call names a kind of HCS call, for fault injection. Its value is the name
// of the computecore.dll function, or of the vmcompute.dll or
// computestorage.dll function for the layer calls (layer_vmcompute.go,
// layer_storage.go).
type Call string

// The calls faults can be injected into.
const (
	CallCreateSystem                Call = "HcsCreateComputeSystem"
	CallOpenSystem                  Call = "HcsOpenComputeSystem"
	CallStart                       Call = "HcsStartComputeSystem"
	CallShutdown                    Call = "HcsShutDownComputeSystem"
	CallTerminate                   Call = "HcsTerminateComputeSystem"
	CallCrash                       Call = "HcsCrashComputeSystem"
	CallPause                       Call = "HcsPauseComputeSystem"
	CallResume                      Call = "HcsResumeComputeSystem"
	CallSave                        Call = "HcsSaveComputeSystem"
	CallGetProperties               Call = "HcsGetComputeSystemProperties"
	CallModify                      Call = "HcsModifyComputeSystem"
	CallSetSystemCallback           Call = "HcsSetComputeSystemCallback"
	CallEnumerate                   Call = "HcsEnumerateComputeSystems"
	CallCreateProcess               Call = "HcsCreateProcess"
	CallOpenProcess                 Call = "HcsOpenProcess"
	CallTerminateProcess            Call = "HcsTerminateProcess"
	CallSignalProcess               Call = "HcsSignalProcess"
	CallGetProcessInfo              Call = "HcsGetProcessInfo"
	CallGetProcessProperties        Call = "HcsGetProcessProperties"
	CallModifyProcess               Call = "HcsModifyProcess"
	CallSetProcessCallback          Call = "HcsSetProcessCallback"
	CallGetServiceProperties        Call = "HcsGetServiceProperties"
	CallModifyServiceSettings       Call = "HcsModifyServiceSettings"
	CallSubmitWerReport             Call = "HcsSubmitWerReport"
	CallCreateEmptyGuestStateFile   Call = "HcsCreateEmptyGuestStateFile"
	CallCreateEmptyRuntimeStateFile Call = "HcsCreateEmptyRuntimeStateFile"
	CallGrantVMAccess               Call = "HcsGrantVmAccess"
	CallRevokeVMAccess              Call = "HcsRevokeVmAccess"
	CallGrantVMGroupAccess          Call = "HcsGrantVmGroupAccess"
	CallRevokeVMGroupAccess         Call = "HcsRevokeVmGroupAccess"
	CallProcessorCompatibility      Call = "HcsGetProcessorCompatibilityFromSavedState"
)

// calls lists every Call.
var calls = []Call{
	CallCreateSystem, CallOpenSystem, CallStart, CallShutdown, CallTerminate, CallCrash, CallPause,
	CallResume, CallSave, CallGetProperties, CallModify, CallSetSystemCallback, CallEnumerate,
	CallCreateProcess, CallOpenProcess, CallTerminateProcess, CallSignalProcess, CallGetProcessInfo,
	CallGetProcessProperties, CallModifyProcess, CallSetProcessCallback, CallGetServiceProperties,
	CallModifyServiceSettings, CallSubmitWerReport, CallCreateEmptyGuestStateFile,
	CallCreateEmptyRuntimeStateFile, CallGrantVMAccess, CallRevokeVMAccess, CallGrantVMGroupAccess,
	CallRevokeVMGroupAccess, CallProcessorCompatibility,
	CallNameToGuid, CallCreateSandboxLayer, CallExpandSandboxSize, CallActivateLayer,
	CallDeactivateLayer, CallPrepareLayer, CallUnprepareLayer, CallGetLayerMountPath,
	CallDestroyLayer, CallLayerExists, CallImportLayer, CallExportLayer, CallProcessBaseImage,
	CallProcessUtilityImage, CallGetBaseImages, CallHcsImportLayer, CallHcsExportLayer,
	CallHcsExportLegacyWritableLayer, CallHcsDestroyLayer, CallHcsSetupBaseOSLayer,
	CallHcsSetupBaseOSVolume, CallHcsInitializeWritableLayer, CallHcsInitializeLegacyWritableLayer,
	CallHcsAttachLayerStorageFilter, CallHcsDetachLayerStorageFilter, CallHcsFormatWritableLayerVhd,
	CallHcsGetLayerVhdMountPath,
}

// Valid reports whether c is one of the calls of this package.
func (c Call) Valid() bool { return slices.Contains(calls, c) }

// callFaults are the faults queued for one kind of call, each used by one
// call, in the order they were queued.
type callFaults struct {
	fail  []failure
	delay []time.Duration
	exit  int // ExitDuringNext count
}

// failure is an injected failure.
type failure struct {
	hr   hcs.HRESULT
	msg  string
	sync bool // returned by the call itself, not through its operation
}

// faultsFor returns the faults queued for call, creating the entry. s.mu is
// held.
func (s *Sim) faultsFor(call Call) *callFaults {
	f := s.faults[call]
	if f == nil {
		f = new(callFaults)
		s.faults[call] = f
	}
	return f
}

// takeFaults removes and returns the faults for the next call of kind call.
// s.mu is held.
func (s *Sim) takeFaults(call Call) (fail *failure, delay time.Duration, delayed, exit bool) {
	f := s.faults[call]
	if f == nil {
		return nil, 0, false, false
	}
	if len(f.fail) > 0 {
		fail = &f.fail[0]
		f.fail = f.fail[1:]
	}
	if len(f.delay) > 0 {
		delay, delayed = f.delay[0], true
		f.delay = f.delay[1:]
	}
	if f.exit > 0 {
		f.exit--
		exit = true
	}
	if len(f.fail) == 0 && len(f.delay) == 0 && f.exit == 0 {
		delete(s.faults, call)
	}
	return fail, delay, delayed, exit
}

// FailNext makes the next call of kind call fail with hr. A call that takes
// an operation returns success and the operation completes with hr and a
// ResultError document (to make the call itself return hr, use RejectNext);
// the call has no effect. A call without an operation
// (opening a system or process, setting a callback, the service calls)
// returns hr, with the document when it returns one. Faults queue: two
// FailNext fail the next two calls.
//
// The document's ErrorMessage is not message alone: like every failure the
// simulator reports, it names the call and what it acted on, the quoted
// system id and the process when there is one, before message:
//
//	HcsStartComputeSystem "web": guest unreachable
//	HcsSignalProcess "web" process 101: guest unreachable
//	HcsOpenComputeSystem: guest unreachable
//
// The *hcs.Error the caller gets carries that text as its message. An empty
// message stands for the description of hr.
func (s *Sim) FailNext(call Call, hr hcs.HRESULT, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faultsFor(call)
	f.fail = append(f.fail, failure{hr: hr, msg: message})
}

// RejectNext makes the next call of kind call return hr itself, at once,
// as HCS does when it rejects a call before starting it: an operation
// passed to the call is left unused and no result document is made.
// FailNext, by contrast, lets a call with an operation start and fails the
// operation. Rejections and failures share one queue per call.
func (s *Sim) RejectNext(call Call, hr hcs.HRESULT) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faultsFor(call)
	f.fail = append(f.fail, failure{hr: hr, sync: true})
}

// DelayNext makes the operation of the next call of kind call take d to
// complete instead of the latency. Other operations are not held up.
func (s *Sim) DelayNext(call Call, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faultsFor(call)
	f.delay = append(f.delay, max(d, 0))
}

// ExitDuringNext makes the compute system exit while the operation of the
// next call of kind call is pending: when the operation would complete, the
// system stops with ExitType UnexpectedExit (its callbacks receive
// SystemExited, its processes exit with code 1) and the operation fails
// with HCS_E_TERMINATED_DURING_START for CallStart, HCS_E_UNEXPECTED_EXIT
// otherwise. It concerns the calls that act on a system or on a process
// of a system through an operation; for the others it has no effect but is
// still used up. If the system has already stopped when the operation
// would complete, the call fails as it would anyway.
func (s *Sim) ExitDuringNext(call Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultsFor(call).exit++
}

// A Hold keeps the operation of one call pending until it is released
// (see HoldNext).
type Hold struct {
	s        *Sim
	call     Call
	made     chan struct{} // closed once the call is made
	released bool
	op       *operation // the operation held, once the call is made
}

// HoldNext makes the operation of the next call of kind call stay pending
// until the returned Hold is released: then it completes after its
// latency. It lets a test order events without sleeping, for instance give
// up on a call (end its context) once HCS has it, and only then let it
// complete. Close and Disconnect end a held operation like other pending
// ones; so does the stop of its system for a held
// HcsShutDownComputeSystem.
func (s *Sim) HoldNext(call Call) *Hold {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := &Hold{s: s, call: call, made: make(chan struct{})}
	s.holds[call] = append(s.holds[call], h)
	return h
}

// Made returns a channel that is closed once the call has been made: its
// operation is then pending, held unless released before.
func (h *Hold) Made() <-chan struct{} { return h.made }

// Release lets the held operation complete. It may be called more than
// once, and before the call is made, which then is not held.
func (h *Hold) Release() {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if h.released {
		return
	}
	h.released = true
	if h.op != nil {
		s.schedule(h.op)
		return
	}
	if i := slices.Index(s.holds[h.call], h); i >= 0 {
		s.holds[h.call] = slices.Delete(s.holds[h.call], i, i+1)
		if len(s.holds[h.call]) == 0 {
			delete(s.holds, h.call)
		}
	}
}

// takeHold removes and returns the Hold for the next call of kind call, or
// nil. s.mu is held.
func (s *Sim) takeHold(call Call) *Hold {
	hs := s.holds[call]
	if len(hs) == 0 {
		return nil
	}
	s.holds[call] = hs[1:]
	if len(hs) == 1 {
		delete(s.holds, call)
	}
	return hs[0]
}

// FailNextCreateProcessRunning makes the operation of the next
// HcsCreateProcess fail with hr although the process was created and runs,
// as hcsshim reports of process-isolated containers on Windows Server 2022
// (internal/hcs/v2/system.go, createProcess). The process handle the call
// returned refers to the process; HcsGetProcessInfo gives its pipes.
func (s *Sim) FailNextCreateProcessRunning(hr hcs.HRESULT) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failRunning = append(s.failRunning, hr)
}

// DropNextProcessExit makes the next process that exits send no
// ProcessExited event, as hcsshim reports of real HCS after a failed signal
// or termination (internal/hcs/process.go, processSignalResult). The
// process's properties still tell the exit.
func (s *Sim) DropNextProcessExit() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropExits++
}

// SetStoppedProcessError makes the calls that act on an exited process
// (HcsTerminateProcess, HcsSignalProcess, HcsModifyProcess,
// HcsGetProcessInfo) fail with hr instead of HCS_E_PROCESS_ALREADY_STOPPED:
// hcsshim reports E_ACCESSDENIED from terminating an exited process
// (TerminateProcess's documented answer, internal/hcs/process.go, Kill),
// and older hosts answer with the legacy 0xC037xxxx form of the code. Zero
// restores HCS_E_PROCESS_ALREADY_STOPPED.
func (s *Sim) SetStoppedProcessError(hr hcs.HRESULT) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stoppedHR = hr
}

// SystemExitDropsProcessExits makes the processes of a system that stops
// exit without sending ProcessExited, as hcsshim reports of containers
// that exit before their processes
// (cmd/containerd-shim-runhcs-v1/exec_hcs.go, waitForContainerExit).
func (s *Sim) SystemExitDropsProcessExits(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quietSystemExits = on
}

// SetLatency sets the time each asynchronous operation takes to complete,
// from the next call on (see WithLatency).
func (s *Sim) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = max(d, 0)
}

// Disconnect simulates the loss of the compute service: every event
// callback registered on a system or process handle receives
// ServiceDisconnect (with no data), every pending operation fails with HCS_E_SERVICE_DISCONNECT,
// and every later call fails with it, synchronously, until Reconnect. The
// systems and their processes are left as they are. Creating, closing and
// reading operations, and closing handles, keep working.
//
// The system and process handles open at the disconnection belonged to the
// lost connection: every call on them but closing fails with
// HCS_E_SERVICE_DISCONNECT, after Reconnect too, and the program opens the
// system (and the process) again. Microsoft does not document what a handle
// does after the service restarts; this models what a handle to a service
// connection that ended can do, rather than letting an old handle work.
func (s *Sim) Disconnect() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.disconnected || s.closed {
		return
	}
	s.disconnected = true
	for _, h := range s.handles {
		var l *listener
		switch h := h.(type) {
		case *systemHandle:
			h.stale = true
			l = h.l
		case *processHandle:
			h.stale = true
			l = h.l
		}
		if l != nil {
			s.post(l, backend.Event{Type: backend.EventServiceDisconnect})
		}
	}
	s.failPending(hcs.HCS_E_SERVICE_DISCONNECT, "the compute service disconnected")
}

// Reconnect ends a Disconnect: calls on the host, and on the handles opened
// from then on, work again. Handles opened before the disconnection stay
// unusable (see Disconnect).
func (s *Sim) Reconnect() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.disconnected = false
}

// FireLateEvents makes s deliver, when a handle with an event callback is
// closed, one more event to that callback's context a moment later (after
// the latency, or 1ms): SystemExited for a system handle, ProcessExited for
// a process handle. Real HCS can do this when an event races with
// HcsCloseComputeSystem or HcsCloseProcess; the caller must drop it.
func (s *Sim) FireLateEvents(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lateEvents = on
}
