package hcssim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
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

	// The outcome, set on completion.
	result string
	hr     hcs.HRESULT
	pid    uint32    // for the calls that report process information
	stdio  *stdioSet // the pipes, until GetOperationResultAndProcessInfo takes them
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
		ErrorEvents: []hcs.ErrorEvent{{
			Message:  full,
			Provider: "17103e3f-3c6e-4677-bb17-3b267eb5be57", // Microsoft-Windows-Hyper-V-Compute
			EventID:  1,
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

// newHandle registers v under a fresh handle. s.mu is held.
func (s *Sim) newHandle(v any) backend.Handle {
	s.lastHandle += 4
	s.handles[s.lastHandle] = v
	return s.lastHandle
}

// lookupOp returns the operation behind h. s.mu is held.
func (s *Sim) lookupOp(h backend.Handle) (*operation, error) {
	op, found := s.handles[h].(*operation)
	if !found {
		return nil, hcs.E_HANDLE
	}
	return op, nil
}

// available returns the error of every call while the service is not
// reachable. s.mu is held.
func (s *Sim) available() error {
	if s.closed || s.disconnected {
		return hcs.HCS_E_SERVICE_DISCONNECT
	}
	return nil
}

// begin starts operation h for call, acting on sys and proc (either may be
// nil). run computes the outcome, with s.mu held, when the operation
// completes. begin returns the error the call itself returns. s.mu is held.
func (s *Sim) begin(h backend.Handle, call Call, sys *system, proc *process, run func() outcome) error {
	op, err := s.lookupOp(h)
	if err != nil {
		return err
	}
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
	op.state, op.call, op.sys, op.proc, op.run = opPending, call, sys, proc, run
	switch {
	case f != nil:
		op.run = func() outcome { return fail(f.hr, "%s", f.msg) }
	case exit:
		op.run = func() outcome { return s.exitDuring(op, run) }
	}
	s.pending[op] = struct{}{}
	op.task = s.after(delay, func() { s.complete(op) })
	return nil
}

// exitDuring makes op's system exit, then fails op. s.mu is held.
func (s *Sim) exitDuring(op *operation, run func() outcome) outcome {
	sys := op.sys
	if op.proc != nil {
		sys = op.proc.sys
	}
	if op.call == CallCreateSystem {
		// The system exits as soon as it is created.
		if o := run(); o.hr.Failed() || !sys.registered {
			return o
		}
	} else if sys == nil || !sys.registered || sys.State == stateStopped {
		return run()
	}
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
	s.capturing = true
	o := op.run()
	caused := s.captured
	s.capturing, s.captured = false, nil
	s.finish(op, o, caused)
}

// failPending completes every pending operation with hr. s.mu is held.
func (s *Sim) failPending(hr hcs.HRESULT, msg string) {
	for op := range s.pending {
		s.finish(op, fail(hr, "%s", msg), nil)
	}
}

// finish records the outcome of op and queues its completion callback, to
// run after the events the operation caused on the listeners caused. s.mu
// is held.
func (s *Sim) finish(op *operation, o outcome, caused []*listener) {
	s.cancelTask(op.task)
	op.task, op.run = nil, nil
	op.state, op.result, op.hr, op.pid, op.stdio = opCompleted, o.result, o.hr, o.pid, o.stdio
	if o.hr.Failed() && op.result == "" {
		op.result = resultError(op.call, op.subject(), o.hr, o.msg)
	}
	delete(s.pending, op)
	close(op.done)
	if op.closed {
		op.stdio.close() // nobody can take them any more
		op.stdio = nil
		s.checkIdle()
		return
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
	op, err := s.lookupOp(h)
	if err != nil {
		return
	}
	delete(s.handles, h)
	op.closed = true
	op.stdio.close()
	op.stdio = nil
}

func (b *seam) CancelOperation(h backend.Handle) error {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.lookupOp(h); err != nil {
		return err
	}
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
	op, err := s.lookupOp(h)
	if err != nil {
		return "", err
	}
	return resultOf(op)
}

// GetOperationResultAndProcessInfo hands out the pipes of a completed
// process creation or GetProcessInfo once; later calls, and other
// operations, give the PID (or zero) without pipes.
func (b *seam) GetOperationResultAndProcessInfo(h backend.Handle) (backend.ProcessInfo, string, error) {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	op, err := s.lookupOp(h)
	if err != nil {
		return backend.ProcessInfo{}, "", err
	}
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
	s.mu.Lock()
	op, err := s.lookupOp(h)
	if err != nil {
		s.mu.Unlock()
		return "", err
	}
	if op.state == opNotStarted {
		s.mu.Unlock()
		return "", hcs.HCS_E_OPERATION_NOT_STARTED
	}
	done := op.done
	s.mu.Unlock()
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
	return resultOf(op)
}
