package hcssim

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
)

// system is a compute system: its record and what refers to it.
type system struct {
	systemRecord
	// registered is true from the successful completion of the creation
	// until the system is forgotten (stopped, last handle closed).
	registered bool
	handles    map[*systemHandle]struct{}
	procs      map[uint32]*process
}

// systemHandle is an HCS_SYSTEM.
type systemHandle struct {
	sys     *system
	l       *listener // the event callback, once set
	pending int       // operations pending on the handle
	// stale is set when the service disconnects: the handle belonged to
	// the lost connection and every call on it fails, after Reconnect too.
	stale bool
}

// addSystemHandle returns a new handle to sys. s.mu is held.
func (s *Sim) addSystemHandle(sys *system) (backend.Handle, *systemHandle) {
	sh := &systemHandle{sys: sys}
	sys.handles[sh] = struct{}{}
	return s.newHandle(sh), sh
}

// syncFault returns the injected failure of a call that has no operation,
// if there is one. s.mu is held.
func (s *Sim) syncFault(call Call) error {
	if f, _, _, _ := s.takeFaults(call); f != nil {
		return f.hr
	}
	return nil
}

// syncFaultDoc is syncFault for the calls that return a document.
func (s *Sim) syncFaultDoc(call Call) (string, error) {
	f, _, _, _ := s.takeFaults(call)
	if f == nil {
		return "", nil
	}
	if f.sync {
		return "", f.hr
	}
	return resultError(call, "", f.hr, f.msg), f.hr
}

// newGUID returns a random (version 4) GUID in its usual text form.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails
	return formatGUID(b, 4)
}

// guidNamespace is the namespace of the simulator's name-based GUIDs.
var guidNamespace = [16]byte{0x6b, 0x1e, 0x3f, 0x52, 0x9a, 0x0c, 0x4d, 0x27, 0x8e, 0x61, 0x05, 0xb4, 0xc9, 0x3a, 0x7d, 0x10}

// nameGUID returns the name-based (version 5, RFC 9562) GUID of name: the
// same name always gives the same GUID.
func nameGUID(name string) string {
	h := sha1.New()
	h.Write(guidNamespace[:])
	h.Write([]byte(name))
	var b [16]byte
	copy(b[:], h.Sum(nil))
	return formatGUID(b, 5)
}

// formatGUID sets the version and variant bits of b and writes it in the
// usual text form.
func formatGUID(b [16]byte, version byte) string {
	b[6] = b[6]&0x0f | version<<4
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// present reports whether a JSON member was given and is not null.
func present(m json.RawMessage) bool { return len(m) > 0 && string(m) != "null" }

// create completes the creation of sys from configuration. s.mu is held.
func (s *Sim) create(sys *system, configuration string) outcome {
	var doc struct {
		Owner                             string
		Container                         json.RawMessage
		VirtualMachine                    json.RawMessage
		ShouldTerminateOnLastHandleClosed bool
	}
	if err := json.Unmarshal([]byte(configuration), &doc); err != nil {
		return fail(hcs.HCS_E_INVALID_JSON, "invalid configuration: %v", err)
	}
	switch {
	case present(doc.Container):
		sys.Type = "Container"
	case present(doc.VirtualMachine):
		sys.Type = "VirtualMachine"
	default:
		return fail(hcs.HCS_E_INVALID_JSON, "the configuration has neither Container nor VirtualMachine")
	}
	if _, taken := s.systems[sys.ID]; taken {
		return fail(hcs.HCS_E_SYSTEM_ALREADY_EXISTS, "a compute system with this id already exists")
	}
	if o, ok := s.checkStorage(sys, configuration); !ok {
		return o
	}
	sys.Owner = doc.Owner
	sys.TerminateOnLastHandleClosed = doc.ShouldTerminateOnLastHandleClosed
	sys.RuntimeID = newGUID()
	sys.State = stateCreated
	sys.NextPID = 100
	sys.registered = true
	s.systems[sys.ID] = sys
	if len(sys.handles) == 0 && sys.TerminateOnLastHandleClosed {
		s.stopSystem(sys, exitForced) // its handle was closed during the creation
	}
	return ok("")
}

// stopSystem moves sys to Stopped: its processes exit with code 1 and every
// callback on its handles receives SystemExited. A pending shutdown of sys
// (other than the operation being completed) ends now, failing with
// HCS_E_SYSTEM_ALREADY_STOPPED, rather than when its time would have come.
// A system without handles is forgotten. s.mu is held.
func (s *Sim) stopSystem(sys *system, exitType string) {
	sys.setState(stateStopped, s.now())
	sys.ExitType = exitType
	for _, p := range sys.procs {
		s.exitProcess(p, 1, ErrTerminated, s.quietSystemExits)
	}
	data := exitStatus(exitType)
	for sh := range sys.handles {
		if sh.l != nil {
			s.post(sh.l, backend.Event{Type: backend.EventSystemExited, Data: data})
		}
	}
	for op := range s.pending {
		if op.call == CallShutdown && op.sys == sys && op != s.current {
			s.finish(op, fail(hcs.HCS_E_SYSTEM_ALREADY_STOPPED, "the compute system stopped"), nil)
		}
	}
	if len(sys.handles) == 0 {
		s.forget(sys)
	}
}

// forget removes sys from the registry. s.mu is held.
func (s *Sim) forget(sys *system) {
	delete(s.systems, sys.ID)
	sys.registered = false
}

// exitStatus returns the SystemExited document.
func exitStatus(exitType string) string {
	doc, _ := json.Marshal(struct {
		Status   int32
		ExitType string
	}{0, exitType})
	return string(doc)
}

// crashReport returns the document of the crash events of sys.
func crashReport(sys *system) string {
	doc, _ := json.Marshal(struct {
		SystemID        string `json:"SystemId"`
		ActivityID      string `json:"ActivityId"`
		CrashParameters []uint64
		Status          int32
	}{sys.ID, newGUID(), []uint64{0xE2, 0, 0, 0, 0}, 0}) // MANUALLY_INITIATED_CRASH
	return string(doc)
}

// closeListener detaches l from its closed handle: its undelivered events
// are dropped, and with late events on, e reaches its context a moment
// later. l may be nil. s.mu is held.
func (s *Sim) closeListener(l *listener, e backend.Event) {
	if l == nil {
		return
	}
	l.closed = true
	if !s.lateEvents || s.closed {
		return
	}
	late := &listener{ctx: l.ctx, options: l.options}
	s.after(max(s.latency, time.Millisecond), func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.post(late, e)
	})
}

// The seam's compute system calls.

func (b *seam) CreateComputeSystem(id, configuration string, op backend.Handle) (backend.Handle, error) {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookupOp(string(CallCreateSystem), op)
	if err := s.available(); err != nil {
		return 0, err
	}
	if id == "" || configuration == "" {
		return 0, hcs.E_INVALIDARG
	}
	sys := &system{
		systemRecord: systemRecord{ID: id},
		handles:      make(map[*systemHandle]struct{}),
		procs:        make(map[uint32]*process),
	}
	if err := s.begin(op, CallCreateSystem, target{sys: sys}, func() outcome { return s.create(sys, configuration) }); err != nil {
		return 0, err
	}
	h, sh := s.addSystemHandle(sys)
	s.onHandles(s.lookupOp(string(CallCreateSystem), op), sh, nil)
	return h, nil
}

func (b *seam) OpenComputeSystem(id string) (backend.Handle, error) {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.available(); err != nil {
		return 0, err
	}
	if id == "" {
		return 0, hcs.E_INVALIDARG
	}
	if err := s.syncFault(CallOpenSystem); err != nil {
		return 0, err
	}
	sys := s.systems[id]
	if sys == nil {
		return 0, hcs.HCS_E_SYSTEM_NOT_FOUND
	}
	h, _ := s.addSystemHandle(sys)
	return h, nil
}

func (b *seam) CloseComputeSystem(h backend.Handle) {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	const fn = "HcsCloseComputeSystem"
	sh := s.lookupSystem(fn, h)
	s.closingPending(fn, h, sh.pending, func(op *operation) bool { return op.sh == sh })
	s.dropHandle(h, fn)
	sys := sh.sys
	delete(sys.handles, sh)
	exitType := sys.ExitType
	if exitType == "" {
		exitType = exitForced
	}
	s.closeListener(sh.l, backend.Event{Type: backend.EventSystemExited, Data: exitStatus(exitType)})
	if len(sys.handles) > 0 || !sys.registered {
		return
	}
	switch {
	case sys.State == stateStopped:
		s.forget(sys)
	case sys.TerminateOnLastHandleClosed:
		s.stopSystem(sys, exitForced)
	}
}

// systemCall starts call on the system behind h; run computes its outcome
// on completion, if the system still exists. A non-empty required argument
// is checked first.
func (s *Sim) systemCall(h, op backend.Handle, call Call, required *string, run func(sys *system) outcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.lookupSystem(string(call), h)
	s.lookupOp(string(call), op)
	if err := s.availableTo(sh.stale); err != nil {
		return err
	}
	if sh.l.takesOperations() {
		return hcs.HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET
	}
	if required != nil && *required == "" {
		return hcs.E_INVALIDARG
	}
	sys := sh.sys
	return s.begin(op, call, target{sys: sys, sh: sh}, func() outcome {
		if !sys.registered {
			return fail(hcs.HCS_E_SYSTEM_NOT_FOUND, "the compute system does not exist")
		}
		return run(sys)
	})
}

// invalidState is the failure of a call not valid in the state of sys.
func invalidState(sys *system) outcome {
	if sys.State == stateStopped {
		return fail(hcs.HCS_E_SYSTEM_ALREADY_STOPPED, "the compute system has stopped")
	}
	return fail(hcs.HCS_E_INVALID_STATE, "not valid in state %s", sys.State)
}

// notValid is the failure of a call not valid in the state of sys, for the
// calls that do not report a stopped system as such.
func notValid(sys *system) outcome {
	return fail(hcs.HCS_E_INVALID_STATE, "not valid in state %s", sys.State)
}

// setState moves sys to state, now.
func (s *Sim) setState(sys *system, state string) outcome {
	sys.setState(state, s.now())
	return ok("")
}

func (b *seam) StartComputeSystem(h, op backend.Handle, _ string) error {
	s := (*Sim)(b)
	return s.systemCall(h, op, CallStart, nil, func(sys *system) outcome {
		if sys.State != stateCreated {
			return notValid(sys)
		}
		return s.setState(sys, stateRunning)
	})
}

func (b *seam) ShutDownComputeSystem(h, op backend.Handle, _ string) error {
	s := (*Sim)(b)
	return s.systemCall(h, op, CallShutdown, nil, func(sys *system) outcome {
		if sys.State != stateRunning && sys.State != statePaused {
			return invalidState(sys)
		}
		s.stopSystem(sys, exitGraceful)
		return ok("")
	})
}

func (b *seam) TerminateComputeSystem(h, op backend.Handle, _ string) error {
	s := (*Sim)(b)
	return s.systemCall(h, op, CallTerminate, nil, func(sys *system) outcome {
		if sys.State == stateStopped {
			return invalidState(sys)
		}
		s.stopSystem(sys, exitForced)
		return ok("")
	})
}

func (b *seam) CrashComputeSystem(h, op backend.Handle, options string) error {
	s := (*Sim)(b)
	return s.systemCall(h, op, CallCrash, nil, func(sys *system) outcome {
		if options != "" {
			var opts struct{ Type string }
			if err := json.Unmarshal([]byte(options), &opts); err != nil {
				return fail(hcs.HCS_E_INVALID_JSON, "invalid crash options: %v", err)
			}
		}
		if sys.State != stateRunning && sys.State != statePaused {
			return invalidState(sys)
		}
		report := crashReport(sys)
		for sh := range sys.handles {
			if sh.l != nil {
				s.post(sh.l, backend.Event{Type: backend.EventSystemCrashInitiated, Data: report})
				s.post(sh.l, backend.Event{Type: backend.EventSystemCrashReport, Data: report})
			}
		}
		s.stopSystem(sys, exitUnexpected)
		return ok("")
	})
}

func (b *seam) PauseComputeSystem(h, op backend.Handle, _ string) error {
	s := (*Sim)(b)
	return s.systemCall(h, op, CallPause, nil, func(sys *system) outcome {
		if sys.State != stateRunning {
			return notValid(sys)
		}
		return s.setState(sys, statePaused)
	})
}

func (b *seam) ResumeComputeSystem(h, op backend.Handle, _ string) error {
	s := (*Sim)(b)
	return s.systemCall(h, op, CallResume, nil, func(sys *system) outcome {
		if sys.State != statePaused {
			return notValid(sys)
		}
		return s.setState(sys, stateRunning)
	})
}

func (b *seam) SaveComputeSystem(h, op backend.Handle, options string) error {
	s := (*Sim)(b)
	return s.systemCall(h, op, CallSave, nil, func(sys *system) outcome {
		var opts struct {
			SaveType          string
			SaveStateFilePath string
		}
		if options != "" {
			if err := json.Unmarshal([]byte(options), &opts); err != nil {
				return fail(hcs.HCS_E_INVALID_JSON, "invalid save options: %v", err)
			}
		}
		if opts.SaveType != "" && opts.SaveType != "ToFile" && opts.SaveType != "AsTemplate" {
			return fail(hcs.E_INVALIDARG, "unknown SaveType %q", opts.SaveType)
		}
		if sys.State != statePaused {
			return notValid(sys)
		}
		if opts.SaveStateFilePath != "" {
			s.files[opts.SaveStateFilePath] = true
		}
		if opts.SaveType == "AsTemplate" {
			return s.setState(sys, stateSavedAsTemplate)
		}
		return ok("")
	})
}

func (b *seam) GetComputeSystemProperties(h, op backend.Handle, query string) error {
	s := (*Sim)(b)
	return s.systemCall(h, op, CallGetProperties, nil, func(sys *system) outcome {
		return s.properties(sys, query)
	})
}

func (b *seam) ModifyComputeSystem(h, op backend.Handle, configuration string) error {
	s := (*Sim)(b)
	return s.systemCall(h, op, CallModify, &configuration, func(sys *system) outcome {
		var req map[string]json.RawMessage
		if err := json.Unmarshal([]byte(configuration), &req); err != nil {
			return fail(hcs.HCS_E_INVALID_JSON, "invalid modification request: %v", err)
		}
		if sys.State == stateStopped {
			return notValid(sys)
		}
		return ok("")
	})
}

func (b *seam) SetComputeSystemCallback(h backend.Handle, options uint32, ctx uintptr) error {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.lookupSystem(string(CallSetSystemCallback), h)
	if err := s.availableTo(sh.stale); err != nil {
		return err
	}
	if options > backend.EventOptionEnableOperationCallbacks {
		return hcs.E_INVALIDARG
	}
	if err := s.syncFault(CallSetSystemCallback); err != nil {
		return err
	}
	if sh.l != nil {
		return hcs.HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET
	}
	sh.l = &listener{ctx: ctx, options: options}
	return nil
}

func (b *seam) EnumerateComputeSystems(query string, op backend.Handle) error {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookupOp(string(CallEnumerate), op)
	if err := s.available(); err != nil {
		return err
	}
	return s.begin(op, CallEnumerate, target{}, func() outcome { return s.enumerate(query) })
}
