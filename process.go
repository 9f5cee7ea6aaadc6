package hcs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/schema"
)

// Process is an open handle to a process running in a compute system. It
// is safe for concurrent use. Like os.Process, it learns of its exit from
// HCS (the ProcessExited event, never by polling): Wait returns the state,
// and ExitCode reports -1 until then.
//
// Like its System, a Process lives no longer than the connection to the
// compute service: after a disconnection this package refuses its calls and
// Wait with an error matching ErrServiceDisconnect, also once the service is
// back. Open the system again, then the process with System.OpenProcess (by
// PID), and Close the old Process.
type Process struct {
	sys    *System
	pid    uint32
	handle backend.Handle
	sink   *eventSink
	life   *lifetime
	leak   runtime.Cleanup

	stdin  *stdioPipe // nil when not requested
	stdout *stdioPipe
	stderr *stdioPipe

	mu   sync.Mutex
	lost error // why the exit was recorded without HCS reporting it, or nil
}

// CreateProcess starts a process in the system as params describe. The
// pipes params asks for (CreateStdInPipe, CreateStdOutPipe,
// CreateStdErrPipe) are returned by Stdin, Stdout and Stderr; the caller
// reads and writes them, and Close closes any left open. A pipe HCS hands
// out without being asked for it is closed.
//
// If ctx ends before HCS has created the process, CreateProcess returns an
// error matching ctx.Err(); the process HCS creates later is terminated and
// its pipes and handle closed. When HCS fails the creation, a process it
// started nonetheless (as Windows Server 2022 can) is terminated too; in
// both cases in the background (see Host.Drain), so that CreateProcess
// returns at once.
func (s *System) CreateProcess(ctx context.Context, params *schema.ProcessParameters) (*Process, error) {
	if params == nil {
		return nil, &Error{Op: "create process", ID: s.id, Err: fmt.Errorf("%w: nil process parameters", ErrInvalidArgument)}
	}
	b, err := params.MarshalJSON()
	if err != nil {
		return nil, &Error{Op: "create process", ID: s.id, Err: fmt.Errorf("%w: %w", ErrInvalidSchema, err)}
	}
	return s.CreateProcessJSON(ctx, b)
}

// CreateProcessJSON is CreateProcess with the ProcessParameters document as
// JSON. The document may be UTF-16 or start with a byte order mark: it is
// sent as UTF-8 (schema.ToUTF8).
func (s *System) CreateProcessJSON(ctx context.Context, params json.RawMessage) (*Process, error) {
	const op = "create process"
	start := time.Now()
	doc, err := utf8Text(params)
	var p *Process
	if err != nil {
		err = &Error{Op: op, ID: s.id, Err: fmt.Errorf("%w: %w", ErrInvalidSchema, err)}
	} else {
		p, err = s.createProcess(ctx, op, doc)
	}
	s.h.log(ctx, op, s.id, start, err)
	return p, err
}

func (s *System) createProcess(ctx context.Context, op, params string) (*Process, error) {
	if err := s.life.acquire(); err != nil {
		return nil, &Error{Op: op, ID: s.id, Err: err}
	}
	// The system's handle stays referenced until HCS completes the create,
	// also when the caller gives up first: the cleanup releases it then.
	released := false
	defer func() {
		if !released {
			s.life.release()
		}
	}()
	if err := ctx.Err(); err != nil {
		return nil, &Error{Op: op, ID: s.id, Err: err}
	}
	if isClosed(s.sink.disconnected) {
		return nil, &Error{Op: op, ID: s.id, Err: errStaleSystem}
	}
	h, b := s.h, s.h.b
	var handle backend.Handle
	c, err := h.startCall(func(o backend.Handle) error {
		var err error
		handle, err = b.CreateProcess(s.handle, params, o)
		return err
	})
	if err != nil {
		if handle != 0 {
			b.CloseProcess(handle)
		}
		return nil, newError(op, s.id, 0, err, "")
	}
	stop := stops{s.life.closing, s.sink.disconnected}
	if !isClosed(s.sink.exited) {
		stop[2] = s.sink.exited
	}
	r, reason := c.wait(ctx, true, stop, s.life, func(r result) {
		closeStdio(r.info)
		h.terminateOrphan("process", h.processLifetime(handle), h.terminateProcess(handle))
	})
	switch reason {
	case waitContext:
		released = true
		return nil, &Error{Op: op, ID: s.id, Err: ctx.Err()}
	case waitStopped:
		released = true
		return nil, &Error{Op: op, ID: s.id, Err: s.stopReason()}
	}
	if r.err != nil {
		// HCS may have started the process all the same (hcsshim,
		// internal/hcs/v2/system.go, createProcess): terminate it.
		closeStdio(r.info)
		h.terminateOrphan("process", h.processLifetime(handle), h.terminateProcess(handle))
		return nil, newError(op, s.id, 0, r.err, r.doc)
	}
	// From here the Process owns the handle and the pipes, on error too.
	return s.newProcess(ctx, op, handle, r.info.PID, requested(params, r.info), true)
}

// requested returns info without the pipes params did not ask for, which
// it closes: a process whose caller did not ask for its output must not
// block on a pipe nobody reads.
func requested(params string, info backend.ProcessInfo) backend.ProcessInfo {
	var want struct{ CreateStdInPipe, CreateStdOutPipe, CreateStdErrPipe bool }
	if json.Unmarshal([]byte(params), &want) != nil {
		return info // HCS accepted it; keep what it gave
	}
	for _, p := range []struct {
		want bool
		c    io.Closer
	}{{want.CreateStdInPipe, info.Stdin}, {want.CreateStdOutPipe, info.Stdout}, {want.CreateStdErrPipe, info.Stderr}} {
		if !p.want && p.c != nil {
			p.c.Close()
		}
	}
	if !want.CreateStdInPipe {
		info.Stdin = nil
	}
	if !want.CreateStdOutPipe {
		info.Stdout = nil
	}
	if !want.CreateStdErrPipe {
		info.Stderr = nil
	}
	return info
}

// processLifetime returns a lifetime that closes handle, for a process
// handle no Process owns.
func (h *Host) processLifetime(handle backend.Handle) *lifetime {
	return newLifetime(func() { h.b.CloseProcess(handle) })
}

// terminateProcess returns the call that terminates the process of handle.
func (h *Host) terminateProcess(handle backend.Handle) func(o backend.Handle) error {
	return func(o backend.Handle) error { return h.b.TerminateProcess(handle, o, "") }
}

// OpenProcess opens the process with the given id in the system. A pid
// that does not exist gives an error matching ErrNotFound. The Process has
// no pipes: HCS hands them out once, to the creator.
func (s *System) OpenProcess(ctx context.Context, pid uint32) (*Process, error) {
	const op = "open process"
	start := time.Now()
	p, err := s.openProcess(ctx, op, pid)
	s.h.log(ctx, op, s.id, start, err)
	return p, err
}

func (s *System) openProcess(ctx context.Context, op string, pid uint32) (*Process, error) {
	if err := s.life.acquire(); err != nil {
		return nil, &Error{Op: op, ID: s.id, PID: pid, Err: err}
	}
	defer s.life.release()
	if err := ctx.Err(); err != nil {
		return nil, &Error{Op: op, ID: s.id, PID: pid, Err: err}
	}
	if isClosed(s.sink.disconnected) {
		return nil, &Error{Op: op, ID: s.id, PID: pid, Err: errStaleSystem}
	}
	handle, err := s.h.b.OpenProcess(s.handle, pid)
	if err != nil {
		return nil, newError(op, s.id, pid, backendError(err), "")
	}
	return s.newProcess(ctx, op, handle, pid, backend.ProcessInfo{}, false)
}

// newProcess wraps an open process handle and its pipes, registers its
// event callback and learns whether it already exited (an exit before the
// registration sends no event). It owns handle and info from the start: on
// failure it closes them, and terminates the process, in the background,
// if created is true (nobody will be able to reach it).
func (s *System) newProcess(ctx context.Context, op string, handle backend.Handle, pid uint32, info backend.ProcessInfo, created bool) (*Process, error) {
	h := s.h
	sink := newEventSink(EventProcessExited)
	if err := h.b.SetProcessCallback(handle, backend.EventOptionNone, sink.key); err != nil {
		sink.close()
		closeStdio(info)
		life := h.processLifetime(handle)
		if created {
			h.terminateOrphan("process", life, h.terminateProcess(handle))
		} else {
			life.close()
		}
		return nil, newError(op, s.id, pid, backendError(err), "")
	}
	p := &Process{sys: s, pid: pid, handle: handle, sink: sink,
		stdin: newStdioPipe(info.Stdin), stdout: newStdioPipe(info.Stdout), stderr: newStdioPipe(info.Stderr)}
	p.life = newLifetime(func() {
		sink.close()
		h.b.CloseProcess(handle)
	})
	p.leak = runtime.AddCleanup(p, leakedProcess, leakedHandle{h: h, id: s.id, life: p.life, sink: sink, pipes: p.pipes()})
	doc, err := p.run(ctx, "process properties", func(ph, o backend.Handle) error {
		return h.b.GetProcessProperties(ph, o, "")
	})
	if err != nil {
		// Report the failure as the caller's call, not as the status read.
		var he *Error
		if errors.As(err, &he) {
			e := *he
			e.Op = op
			err = &e
		}
		if created {
			p.abandon()
		} else {
			p.Close()
		}
		return nil, err
	}
	p.recordExit(doc)
	return p, nil
}

// abandon closes p, terminating its process first, in the background: p
// was created for a caller that will not get it.
func (p *Process) abandon() {
	p.leak.Stop()
	p.closePipes()
	p.sink.close()
	h := p.sys.h
	h.terminateOrphan("process", p.life, h.terminateProcess(p.handle))
}

// leakedProcess closes a Process nobody closed, as Close does: the native
// handle is closed once the calls HCS has not completed are done.
func leakedProcess(l leakedHandle) {
	for _, c := range l.pipes {
		c.Close()
	}
	l.sink.close()
	l.life.close()
	if l.h.logger != nil {
		l.h.logger.Warn("hcs: process handle leaked; closed it", "id", l.id)
	}
}

// pipes returns the standard pipes the process has.
func (p *Process) pipes() []io.Closer {
	var cs []io.Closer
	for _, s := range []*stdioPipe{p.stdin, p.stdout, p.stderr} {
		if s != nil {
			cs = append(cs, s)
		}
	}
	return cs
}

// closePipes closes the standard pipes the caller has not closed.
func (p *Process) closePipes() {
	for _, c := range p.pipes() {
		c.Close()
	}
}

// PID returns the process identifier inside the compute system.
func (p *Process) PID() uint32 { return p.pid }

// Stdin returns the process's standard input, or nil when it was not
// requested (or HCS gave none, as for a process opened by OpenProcess).
// Closing it gives the process end of file.
func (p *Process) Stdin() io.WriteCloser {
	if p.stdin == nil {
		return nil
	}
	return stdinPipe{p.stdin}
}

// Stdout returns the process's standard output, or nil when it was not
// requested or HCS gave none.
func (p *Process) Stdout() io.ReadCloser {
	if p.stdout == nil {
		return nil
	}
	return outputPipe{p.stdout}
}

// Stderr returns the process's standard error, or nil when it was not
// requested or HCS gave none (a process with EmulateConsole has one output:
// Stdout).
func (p *Process) Stderr() io.ReadCloser {
	if p.stderr == nil {
		return nil
	}
	return outputPipe{p.stderr}
}

// CloseStdin closes the process's standard input, so that it reads end of
// file: it closes the pipe and asks HCS to close the process's end. A
// process without a standard input pipe, or that has exited, is left alone.
// It is safe to call more than once.
func (p *Process) CloseStdin(ctx context.Context) error {
	if p.stdin == nil {
		return nil
	}
	p.stdin.Close()
	if isClosed(p.sink.exited) {
		return nil
	}
	err := p.Modify(ctx, &schema.ProcessModifyRequest{
		Operation:   schema.ModifyOperationCloseHandle,
		CloseHandle: &schema.CloseHandle{Handle: schema.StdHandleStdIn},
	})
	if isAlreadyStopped(err) {
		return nil
	}
	return err
}

// Signal sends a signal to the process, such as CtrlC or CtrlBreak (opts
// nil sends HCS's default). A process that has exited gives an error
// matching ErrAlreadyStopped; its exit is then recorded, for Wait, if HCS
// did not report it.
func (p *Process) Signal(ctx context.Context, opts *schema.SignalProcessOptions) error {
	doc, err := optionsDocument(opts)
	if err != nil {
		return &Error{Op: "signal", ID: p.sys.id, PID: p.pid, Err: err}
	}
	_, err = p.run(ctx, "signal", func(ph, o backend.Handle) error {
		return p.sys.h.b.SignalProcess(ph, o, doc)
	})
	if err != nil && mayBeGone(err) && !isClosed(p.sink.exited) {
		// HCS may send no ProcessExited after a failed signal (hcsshim,
		// internal/hcs/process.go): ask.
		p.settle(ctx, err, func(issue func(ph, o backend.Handle) error) (string, error) {
			return p.run(ctx, "process properties", issue)
		})
	}
	return err
}

// Terminate stops the process forcefully. A process that has exited gives
// an error matching ErrAlreadyStopped; see Kill for a call that does not
// care. HCS runs the calls on a process one at a time, per system handle:
// Terminate goes through handles of its own, so that it does not wait
// behind a signal HCS has not completed.
func (p *Process) Terminate(ctx context.Context) error {
	_, err := p.terminate(ctx)
	return err
}

// Kill terminates the process unless it has already exited: unlike
// Terminate, it succeeds on an exited process, so it can be called any
// number of times. HCS answers a termination of an exited process in
// several ways (HCS_E_PROCESS_ALREADY_STOPPED or its legacy 0xC037011F,
// E_ACCESSDENIED, ERROR_NOT_FOUND, ...), and may then send no
// ProcessExited: Kill asks HCS for the process's status, records the exit
// for Wait, and fails only if the process still runs. If ctx ends first,
// Kill returns the context's error and the termination goes on.
func (p *Process) Kill(ctx context.Context) error {
	if isClosed(p.sink.exited) {
		return nil
	}
	gone, err := p.terminate(ctx)
	if gone {
		return nil
	}
	return err
}

// terminate terminates the process through a detour, and reports whether
// it turned out to have exited already, in which case the exit is
// recorded.
func (p *Process) terminate(ctx context.Context) (gone bool, err error) {
	const op = "terminate process"
	d, err := p.openDetour(ctx, op)
	if err != nil {
		if isGone(err) {
			// The system or the process is gone with it.
			p.lose(err)
			return true, err
		}
		return false, err
	}
	defer d.close()
	_, err = d.call(ctx, op, func(ph, o backend.Handle) error {
		return p.sys.h.b.TerminateProcess(ph, o, "")
	})
	if err == nil || !mayBeGone(err) {
		return false, err
	}
	return p.settle(ctx, err, func(issue func(ph, o backend.Handle) error) (string, error) {
		return d.call(ctx, "process properties", issue)
	}), err
}

// settle learns whether the process has exited, after a call on it failed
// with cause, an error that may mean it has (see mayBeGone), by reading
// its status through query. It records the exit and reports true when HCS
// says the process has exited, or when HCS cannot tell because the
// process or its system is gone; then Wait returns. It reports false when
// the process runs, or when the question could not be answered.
func (p *Process) settle(ctx context.Context, cause error, query func(issue func(ph, o backend.Handle) error) (string, error)) bool {
	doc, err := query(func(ph, o backend.Handle) error {
		return p.sys.h.b.GetProcessProperties(ph, o, "")
	})
	switch {
	case err == nil:
		return p.recordExit(doc)
	case isGone(err):
		p.lose(cause)
		return true
	}
	return false
}

// recordExit records the exit doc reports, a ProcessStatus, if it reports
// one, as a ProcessExited event would, and reports whether it did.
func (p *Process) recordExit(doc string) bool {
	var st schema.ProcessStatus
	if json.Unmarshal([]byte(doc), &st) != nil || st.Exited == nil || !*st.Exited {
		return false
	}
	p.sink.deliver(Event{Type: EventProcessExited, Data: []byte(doc)})
	return true
}

// lose records that the process has exited without HCS saying how: the
// system or the process is gone and no ProcessExited came. cause says what
// showed it; Wait reports it, with a state whose exit code is unknown.
func (p *Process) lose(cause error) {
	data, _ := json.Marshal(struct {
		ProcessID uint32 `json:"ProcessId"`
		Exited    bool
	}{p.pid, true})
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sink.deliver(Event{Type: EventProcessExited, Data: data}) {
		p.lost = cause
	}
}

// ResizeConsole sets the size of the process's console, for processes
// created with EmulateConsole.
func (p *Process) ResizeConsole(ctx context.Context, width, height uint16) error {
	return p.Modify(ctx, &schema.ProcessModifyRequest{
		Operation:   schema.ModifyOperationConsoleSize,
		ConsoleSize: &schema.ConsoleSize{Width: &width, Height: &height},
	})
}

// Modify changes the process as req describes (console size, closing a
// standard handle).
func (p *Process) Modify(ctx context.Context, req *schema.ProcessModifyRequest) error {
	doc, err := optionsDocument(req)
	if err == nil && doc == "" {
		err = fmt.Errorf("%w: nil request", ErrInvalidArgument)
	}
	if err != nil {
		return &Error{Op: "modify process", ID: p.sys.id, PID: p.pid, Err: err}
	}
	_, err = p.run(ctx, "modify process", func(ph, o backend.Handle) error {
		return p.sys.h.b.ModifyProcess(ph, o, doc)
	})
	return err
}

// Properties returns the process's status as HCS reports it.
func (p *Process) Properties(ctx context.Context) (*schema.ProcessStatus, error) {
	doc, err := p.run(ctx, "process properties", func(ph, o backend.Handle) error {
		return p.sys.h.b.GetProcessProperties(ph, o, "")
	})
	if err != nil {
		return nil, err
	}
	var st schema.ProcessStatus
	if err := unmarshalResult([]byte(doc), &st); err != nil {
		return nil, &Error{Op: "process properties", ID: p.sys.id, PID: p.pid, Err: err}
	}
	return &st, nil
}

// Wait waits for the process to exit and returns its state. It can be
// called any number of times, from any goroutine, before and after the exit
// and after Close once the exit was seen. It fails with
// ErrServiceDisconnect when the service disconnects and with ErrClosed when
// the handle is closed before the process exits.
//
// HCS may report no exit for a process whose system exits (hcsshim records
// containers that exit before their processes), or after a failed signal
// or termination. Wait notices the exit of the system (through its System,
// while that is open) and asks HCS for the process's status; when HCS
// cannot tell it, Wait returns a state whose exit code is unknown (-1)
// together with an error saying why: one matching ErrUnexpectedExit when
// the system exited.
func (p *Process) Wait(ctx context.Context) (*ProcessState, error) {
	for {
		if isClosed(p.sink.exited) {
			return p.exitState(ctx)
		}
		select {
		case <-p.sink.exited:
		case <-p.sink.disconnected:
			return nil, &Error{Op: "wait process", ID: p.sys.id, PID: p.pid, Err: errStaleProcess}
		case <-p.sys.sink.disconnected:
			return nil, &Error{Op: "wait process", ID: p.sys.id, PID: p.pid, Err: errStaleProcess}
		case <-p.sys.sink.exited:
			if err := p.systemExited(ctx); err != nil {
				return nil, err
			}
		case <-p.life.closing:
			return nil, &Error{Op: "wait process", ID: p.sys.id, PID: p.pid, Err: ErrClosed}
		case <-ctx.Done():
			return nil, &Error{Op: "wait process", ID: p.sys.id, PID: p.pid, Err: ctx.Err()}
		}
	}
}

// systemExited learns the process's exit once its system has exited:
// ProcessExited may be on its way, or may never come. A failure to ask
// that is not HCS saying that the process is gone (the context ended, the
// handle was closed) is returned.
func (p *Process) systemExited(ctx context.Context) error {
	doc, err := p.run(ctx, "wait process", func(ph, o backend.Handle) error {
		return p.sys.h.b.GetProcessProperties(ph, o, "")
	})
	if err == nil && p.recordExit(doc) {
		return nil
	}
	if err != nil && !isGone(err) && !errors.Is(err, ErrUnexpectedExit) {
		return err
	}
	cause := fmt.Errorf("%w: the compute system exited and HCS did not report the process's exit", ErrUnexpectedExit)
	if err != nil {
		cause = fmt.Errorf("%w (reading its status: %w)", cause, err)
	}
	p.lose(cause)
	return nil
}

// ExitCode returns the exit code of the exited process, or -1 while it
// runs (or when HCS could not learn the code).
func (p *Process) ExitCode() int {
	if !isClosed(p.sink.exited) {
		return -1
	}
	return p.state().ExitCode()
}

// state reads the process's state from its exit document.
func (p *Process) state() *ProcessState {
	return parseProcessState(p.pid, p.sink.exitDocument())
}

// exitState is state, asking HCS for the process's status when the exit
// event's document did not carry a usable exit code, with the error that
// says why the code is unknown when the exit was recorded without HCS.
func (p *Process) exitState(ctx context.Context) (*ProcessState, error) {
	ps := p.state()
	p.mu.Lock()
	lost := p.lost
	p.mu.Unlock()
	if lost != nil {
		return ps, &Error{Op: "wait process", ID: p.sys.id, PID: p.pid, Err: lost}
	}
	if ps.Exited() {
		return ps, nil
	}
	if st, err := p.Properties(ctx); err == nil && st.Exited != nil && *st.Exited {
		ps.status = *st
	}
	return ps, nil
}

// Close closes the handle and any standard pipe the caller has not closed.
// It does not stop the process (see Kill). Calls still waiting return an
// error matching ErrClosed. Close is idempotent and safe to call
// concurrently with any method; it always returns nil.
func (p *Process) Close() error {
	if !p.life.close() {
		return nil
	}
	p.leak.Stop()
	p.sink.close()
	p.closePipes()
	return nil
}

// run makes one asynchronous call on the process.
func (p *Process) run(ctx context.Context, op string, issue func(ph, o backend.Handle) error) (string, error) {
	start := time.Now()
	doc, err := p.runErr(ctx, op, issue)
	p.sys.h.logProcess(ctx, op, p.sys.id, p.pid, start, err)
	return doc, err
}

func (p *Process) runErr(ctx context.Context, op string, issue func(ph, o backend.Handle) error) (string, error) {
	return p.sys.h.call(ctx, p.callee(op, p.life), func(o backend.Handle) error { return issue(p.handle, o) })
}

// callee describes a call of op on the process, through a handle of
// lifetime life.
func (p *Process) callee(op string, life *lifetime) callee {
	return callee{
		op: op, id: p.sys.id, pid: p.pid, life: life,
		stop:    stops{p.life.closing, p.sink.disconnected, p.sys.sink.disconnected},
		stopped: p.stopReason,
	}
}

// stopReason says why a pending call on the process stopped waiting.
func (p *Process) stopReason() error {
	if isClosed(p.life.closing) {
		return ErrClosed
	}
	return errStaleProcess
}

// ProcessState describes an exited process, like os.ProcessState.
type ProcessState struct {
	pid    uint32
	status schema.ProcessStatus
}

// parseProcessState reads a ProcessStatus document. A document HCS got
// wrong yields a state whose exit code is unknown (-1).
func parseProcessState(pid uint32, doc []byte) *ProcessState {
	ps := &ProcessState{pid: pid}
	if len(doc) > 0 {
		_ = json.Unmarshal(doc, &ps.status) // unreadable: the code stays unknown
	}
	return ps
}

// PID returns the identifier of the exited process inside the compute
// system, the same value as Process.PID.
//
// os.ProcessState spells it Pid and returns an int; this package follows
// Go's initialisms and HCS's type, uint32, the type of Process.PID,
// Error.PID and System.OpenProcess's argument, so that no conversion stands
// between them.
func (ps *ProcessState) PID() uint32 { return ps.pid }

// Exited reports whether HCS reported the process's exit with a valid exit
// code.
func (ps *ProcessState) Exited() bool {
	s := ps.status
	return s.Exited != nil && *s.Exited && s.ExitCode != nil && (s.LastWaitResult == nil || *s.LastWaitResult == 0)
}

// ExitCode returns the exit code, or -1 when it is unknown. Windows exit
// codes are 32-bit unsigned values: on 64-bit platforms NTSTATUS-style
// codes such as 0xC000013A come back as large positive numbers (on 32-bit
// ones, as os.ProcessState does, as negative numbers).
func (ps *ProcessState) ExitCode() int {
	if !ps.Exited() {
		return -1
	}
	return int(*ps.status.ExitCode)
}

// Success reports whether the process exited with code 0.
func (ps *ProcessState) Success() bool { return ps.ExitCode() == 0 }

// Status returns the ProcessStatus document HCS sent with the exit.
func (ps *ProcessState) Status() schema.ProcessStatus { return ps.status }

// String returns "exit status N", in hexadecimal for NTSTATUS-style codes,
// or "exit status unknown".
func (ps *ProcessState) String() string {
	if !ps.Exited() {
		return "exit status unknown"
	}
	code := *ps.status.ExitCode
	if code >= 0xC0000000 {
		return "exit status 0x" + strconv.FormatUint(uint64(code), 16)
	}
	return "exit status " + strconv.FormatUint(uint64(code), 10)
}

// ExitError reports a process that exited with a non-zero code, like
// exec.ExitError.
type ExitError struct {
	*ProcessState
	// Stderr holds the process's standard error when System.Output
	// collected it (Cmd.Stderr was nil): all of it, or its first and last
	// 32 KiB with a line in between saying how much was left out.
	Stderr []byte
}

// Error returns the state's String.
func (e *ExitError) Error() string { return e.ProcessState.String() }

// stdioPipe is one of a process's standard pipes, closed exactly once.
type stdioPipe struct {
	c    io.Closer // the backend's io.WriteCloser (stdin) or io.ReadCloser
	once sync.Once
	err  error
}

// newStdioPipe wraps a pipe from the backend; nil stays nil.
func newStdioPipe(c io.Closer) *stdioPipe {
	if c == nil {
		return nil
	}
	return &stdioPipe{c: c}
}

// stdinPipe is the caller's side of a process's standard input.
type stdinPipe struct{ *stdioPipe }

func (w stdinPipe) Write(b []byte) (int, error) { return w.c.(io.Writer).Write(b) }

// outputPipe is the caller's side of a process's standard output or error.
type outputPipe struct{ *stdioPipe }

func (r outputPipe) Read(b []byte) (int, error) { return r.c.(io.Reader).Read(b) }

// Close closes the pipe; later calls return the first call's result.
func (s *stdioPipe) Close() error {
	s.once.Do(func() { s.err = s.c.Close() })
	return s.err
}

// closeStdio closes the pipes of a process nobody will use.
func closeStdio(info backend.ProcessInfo) {
	for _, c := range []io.Closer{info.Stdin, info.Stdout, info.Stderr} {
		if c != nil {
			c.Close()
		}
	}
}

// isAlreadyStopped reports whether err says the target already exited.
func isAlreadyStopped(err error) bool {
	return err != nil && errors.Is(err, ErrAlreadyStopped)
}

// isGone reports whether err says that the system or process a call acted
// on does not run any more: it stopped, it is not found, or (a process
// whose creation failed) it has no process information.
func isGone(err error) bool {
	return errors.Is(err, ErrAlreadyStopped) || errors.Is(err, ErrNotFound) ||
		errors.Is(err, HCS_E_PROCESS_INFO_NOT_AVAILABLE)
}

// mayBeGone reports whether err, from a call acting on a process, may mean
// that the process has exited: isGone, or the answers hcsshim reports for
// an exited process (internal/hcs/process.go): E_ACCESSDENIED, which
// TerminateProcess returns once a process has terminated, and
// HCS_E_INVALID_STATE. Only the process's status can tell.
func mayBeGone(err error) bool {
	return isGone(err) || errors.Is(err, E_ACCESSDENIED) || errors.Is(err, ErrInvalidState)
}
