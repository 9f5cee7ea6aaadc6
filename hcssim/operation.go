package hcssim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/schema"
)

type opState int

const (
	opNotStarted opState = iota
	opPending
	opCompleted
)

// operation is an HCS_OPERATION.
type operation struct {
	handle backend.Handle
	ctx    uintptr
	state  opState
	closed bool          // its handle was closed
	done   chan struct{} // closed on completion
	task   *task         // the completion, while it waits for its time

	// The call, set when it starts.
	call Call
	sys  *system  // the system the call acts on, or nil
	proc *process // the process the call acts on, or nil
	run  func() outcome
	// sh and ph are the handles the call was made on, or that it created:
	// closing them while the operation is pending is a misuse.
	sh    *systemHandle
	ph    *processHandle
	queue *opQueue      // the queue it waits in, for a signal or termination
	hold  *Hold         // holds it until released, or nil
	delay time.Duration // how long it takes once it may run

	// The outcome, set on completion.
	result string
	hr     hcs.HRESULT
	pid    uint32    // for the calls that report process information
	stdio  *stdioSet // the pipes, until GetOperationResultAndProcessInfo takes them
}

// target is what a call acts on and the handle it was made on.
type target struct {
	sys  *system
	proc *process
	sh   *systemHandle
	ph   *processHandle
}

// opQueue is the queue of the signals and terminations of one process
// through one system handle: HCS runs them one at a time, in order. The
// first one runs; the others wait for it to complete.
type opQueue struct {
	key queueKey
	ops []*operation
}

// queueKey identifies an opQueue.
type queueKey struct {
	via  *systemHandle
	proc *process
}

// outcome is how a call ends: a result document and a code. A failure
// without a document gets a ResultError made of msg.
type outcome struct {
	result string
	hr     hcs.HRESULT
	msg    string
	pid    uint32    // process information, for the calls that report it
	stdio  *stdioSet // the pipes handed out with it, if any
}

// ok returns a success with result document doc.
func ok(doc string) outcome { return outcome{result: doc} }

// fail returns a failure with hr, described by the printf-style format.
func fail(hr hcs.HRESULT, format string, args ...any) outcome {
	return outcome{hr: hr, msg: fmt.Sprintf(format, args...)}
}

// resultError returns the ResultError document for a failure of call on
// subject (a quoted system id and maybe a process, or "").
func resultError(call Call, subject string, hr hcs.HRESULT, msg string) string {
	if msg == "" {
		msg = hr.Error()
		if _, text, found := strings.Cut(msg, ": "); found {
			msg = text
		}
	}
	full := string(call)
	if subject != "" {
		full += " " + subject
	}
	full += ": " + msg
	doc, _ := json.Marshal(hcs.ResultError{
		Error:        hr,
		ErrorMessage: full,
		ErrorEvents: []schema.ErrorEvent{{
			Message:  full,
			Provider: "17103e3f-3c6e-4677-bb17-3b267eb5be57", // Microsoft-Windows-Hyper-V-Compute
			EventID:  schema.Ptr[uint16](1),
			Source:   "hcssim",
		}},
	})
	return string(doc)
}

// subject names what an operation acts on, for messages.
func (op *operation) subject() string {
	switch {
	case op.proc != nil && op.proc.PID != 0:
		return fmt.Sprintf("%s process %d", strconv.Quote(op.proc.sys.ID), op.proc.PID)
	case op.proc != nil:
		return strconv.Quote(op.proc.sys.ID)
	case op.sys != nil:
		return strconv.Quote(op.sys.ID)
	}
	return ""
}

// available returns the error of every call while the service is not
// reachable. s.mu is held.
func (s *Sim) available() error {
	if s.closed || s.disconnected {
		return hcs.HCS_E_SERVICE_DISCONNECT
	}
	return nil
}

// availableTo returns the error of a call on a handle: that of every call
// while the service is not reachable, and HCS_E_SERVICE_DISCONNECT for a
// stale handle (opened before a disconnection), after Reconnect too. s.mu
// is held.
func (s *Sim) availableTo(stale bool) error {
	if stale {
		return hcs.HCS_E_SERVICE_DISCONNECT
	}
	return s.available()
}

// begin starts operation h for call, acting on t. run computes the
// outcome, with s.mu held, when the operation completes. begin returns the
// error the call itself returns. s.mu is held.
func (s *Sim) begin(h backend.Handle, call Call, t target, run func() outcome) error {
	op := s.lookupOp(string(call), h)
	if op.state != opNotStarted {
		return hcs.HCS_E_OPERATION_ALREADY_STARTED
	}
	f, delay, delayed, exit := s.takeFaults(call)
	if f != nil && f.sync {
		return f.hr
	}
	if !delayed {
		delay = s.latency
	}
	op.state, op.call, op.sys, op.proc, op.run = opPending, call, t.sys, t.proc, run
	op.delay = delay
	switch {
	case f != nil:
		op.run = func() outcome { return fail(f.hr, "%s", f.msg) }
	case exit:
		op.run = func() outcome { return s.exitDuring(op, run) }
	}
	s.pending[op] = struct{}{}
	s.onHandles(op, t.sh, t.ph)
	if t.ph != nil && (call == CallSignalProcess || call == CallTerminateProcess) {
		// HCS serialises the signals to a process sent through one system
		// handle (hcsshim, internal/hcs/process.go, Kill).
		key := queueKey{t.ph.via, t.ph.proc}
		q := s.queues[key]
		if q == nil {
			q = &opQueue{key: key}
			s.queues[key] = q
		}
		q.ops = append(q.ops, op)
		op.queue = q
	}
	if hold := s.takeHold(call); hold != nil {
		hold.op = op
		op.hold = hold
		close(hold.made)
	}
	s.schedule(op)
	return nil
}

// onHandles records that op is pending on sh and ph (either may be nil).
// s.mu is held.
func (s *Sim) onHandles(op *operation, sh *systemHandle, ph *processHandle) {
	if sh != nil {
		op.sh = sh
		sh.pending++
	}
	if ph != nil {
		op.ph = ph
		ph.pending++
	}
}

// schedule makes op complete after its delay, unless it waits in its queue
// or is held. s.mu is held.
func (s *Sim) schedule(op *operation) {
	switch {
	case op.state != opPending || op.task != nil:
	case op.hold != nil && !op.hold.released:
	case op.queue != nil && op.queue.ops[0] != op:
	default:
		op.task = s.after(op.delay, func() { s.complete(op) })
	}
}

// exitDuring makes op's system exit while op is pending: op has its effect,
// then the system stops and op fails. A call that fails anyway (not valid
// in the system's state, say) fails as it would, and the system goes on.
// s.mu is held.
func (s *Sim) exitDuring(op *operation, run func() outcome) outcome {
	sys := op.sys
	if op.proc != nil {
		sys = op.proc.sys
	}
	o := run()
	if o.hr.Failed() || sys == nil || !sys.registered || sys.State == stateStopped {
		return o
	}
	o.stdio.close() // a process the call created: nobody will have its pipes
	s.stopSystem(sys, exitUnexpected)
	if op.call == CallStart {
		return fail(hcs.HCS_E_TERMINATED_DURING_START, "the compute system exited while starting")
	}
	return fail(hcs.HCS_E_UNEXPECTED_EXIT, "the compute system exited during the operation")
}

// complete completes op when its time has come.
func (s *Sim) complete(op *operation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if op.state != opPending {
		return // failed by Disconnect or Close meanwhile
	}
	s.capturing, s.current = true, op
	o := op.run()
	caused := s.captured
	s.capturing, s.captured, s.current = false, nil, nil
	s.finish(op, o, caused)
}

// failPending completes every pending operation with hr. s.mu is held.
func (s *Sim) failPending(hr hcs.HRESULT, msg string) {
	for op := range s.pending {
		s.finish(op, fail(hr, "%s", msg), nil)
	}
}

// finish records the outcome of op and queues its completion callback.
// HCS does not say whether the events an operation causes (a SystemExited
// for a shutdown, say) reach their callbacks before its completion
// callback runs, so the simulator chooses at random: the completion runs
// after the events on the listeners caused, or right away. s.mu is held.
func (s *Sim) finish(op *operation, o outcome, caused []*listener) {
	s.cancelTask(op.task)
	op.task, op.run = nil, nil
	op.state, op.result, op.hr, op.pid, op.stdio = opCompleted, o.result, o.hr, o.pid, o.stdio
	if o.hr.Failed() && op.result == "" {
		op.result = resultError(op.call, op.subject(), o.hr, o.msg)
	}
	delete(s.pending, op)
	s.dequeue(op)
	if op.sh != nil {
		op.sh.pending--
	}
	if op.ph != nil {
		op.ph.pending--
	}
	close(op.done)
	if s.chance() {
		caused = nil
	}
	s.afterEvents(caused, func() {
		s.enqueue(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.callback(func(cb backend.Callbacks) {
				if cb.Completion != nil {
					cb.Completion(op.handle, op.ctx)
				}
			})
		})
	})
}

// dequeue removes op from its queue and lets the next operation there run.
// s.mu is held.
func (s *Sim) dequeue(op *operation) {
	q := op.queue
	if q == nil {
		return
	}
	op.queue = nil
	if i := slices.Index(q.ops, op); i >= 0 {
		q.ops = slices.Delete(q.ops, i, i+1)
	}
	if len(q.ops) == 0 {
		delete(s.queues, q.key)
		return
	}
	s.schedule(q.ops[0])
}

// The seam's operation calls.

func (b *seam) CreateOperation(ctx uintptr) (backend.Handle, error) {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	op := &operation{ctx: ctx, done: make(chan struct{})}
	op.handle = s.newHandle(op)
	return op.handle, nil
}

func (b *seam) CloseOperation(h backend.Handle) {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	const fn = "HcsCloseOperation"
	op := s.lookupOp(fn, h)
	if op.state == opPending {
		misused("%s: operation %#x closed while its %s call is pending", fn, uintptr(h), op.call)
	}
	s.dropHandle(h, fn)
	op.closed = true
	op.stdio.close()
	op.stdio = nil
}

func (b *seam) CancelOperation(h backend.Handle) error {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookupOp("HcsCancelOperation", h)
	return hcs.E_NOTIMPL
}

// resultOf returns the result of op as GetOperationResult does. s.mu is
// held.
func resultOf(op *operation) (string, error) {
	switch op.state {
	case opNotStarted:
		return "", hcs.HCS_E_OPERATION_NOT_STARTED
	case opPending:
		return "", hcs.HCS_E_OPERATION_PENDING
	}
	if op.hr.Failed() {
		return op.result, op.hr
	}
	return op.result, nil
}

func (b *seam) GetOperationResult(h backend.Handle) (string, error) {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	return resultOf(s.lookupOp("HcsGetOperationResult", h))
}

// GetOperationResultAndProcessInfo hands out the pipes of a completed
// process creation or GetProcessInfo once; later calls, and other
// operations, give the PID (or zero) without pipes.
func (b *seam) GetOperationResultAndProcessInfo(h backend.Handle) (backend.ProcessInfo, string, error) {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	op := s.lookupOp("HcsGetOperationResultAndProcessInfo", h)
	result, err := resultOf(op)
	if op.state != opCompleted || err != nil {
		return backend.ProcessInfo{}, result, err
	}
	info := backend.ProcessInfo{PID: op.pid}
	if st := op.stdio; st != nil {
		op.stdio = nil
		if st.stdin != nil {
			info.Stdin = st.stdin
		}
		if st.stdout != nil {
			info.Stdout = st.stdout
		}
		if st.stderr != nil {
			info.Stderr = st.stderr
		}
	}
	return info, result, nil
}

func (b *seam) WaitForOperationResult(h backend.Handle, timeoutMs uint32) (string, error) {
	s := (*Sim)(b)
	const fn = "HcsWaitForOperationResult"
	done, err := func() (chan struct{}, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		op := s.lookupOp(fn, h)
		if op.state == opNotStarted {
			return nil, hcs.HCS_E_OPERATION_NOT_STARTED
		}
		return op.done, nil
	}()
	if err != nil {
		return "", err
	}
	if timeoutMs != 0xFFFFFFFF { // INFINITE
		t := time.NewTimer(time.Duration(timeoutMs) * time.Millisecond)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			return "", hcs.HCS_E_OPERATION_TIMEOUT
		}
	}
	<-done
	s.mu.Lock()
	defer s.mu.Unlock()
	return resultOf(s.lookupOp(fn, h))
}
