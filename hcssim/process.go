package hcssim

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/schema"
)

// process is a process in a compute system.
type process struct {
	processRecord
	sys     *system
	handles map[*processHandle]struct{}
	// The process's ends of its pipes; nil when not requested.
	stdin, stdout, stderr *pipe
	stdinGiven            bool                    // the caller's end of stdin was handed out
	cancel                context.CancelCauseFunc // ends the command's context
}

// processHandle is an HCS_PROCESS.
type processHandle struct {
	proc    *process
	l       *listener
	via     *systemHandle // the system handle it was created or opened through
	pending int           // operations pending on the handle
	// stale is set when the service disconnects, as for a systemHandle.
	stale bool
}

// stdioSet holds the caller's ends of a new process's pipes until they are
// handed out.
type stdioSet struct {
	stdin, stdout, stderr *stdioEnd
}

// close closes the ends in st; st may be nil.
func (st *stdioSet) close() {
	if st == nil {
		return
	}
	for _, e := range []*stdioEnd{st.stdin, st.stdout, st.stderr} {
		if e != nil {
			e.Close()
		}
	}
}

// processParameters is the part of the schema's ProcessParameters the
// simulator uses.
type processParameters struct {
	ApplicationName  string
	CommandLine      string
	CommandArgs      []string
	WorkingDirectory string
	Environment      map[string]string
	EmulateConsole   bool
	CreateStdInPipe  bool
	CreateStdOutPipe bool
	CreateStdErrPipe bool
	ConsoleSize      []uint16 // height, width
}

// processStatus returns a ProcessStatus document.
func processStatus(pid uint32, exited bool, code uint32) string {
	doc, _ := json.Marshal(struct {
		ProcessID      uint32 `json:"ProcessId"`
		Exited         bool
		ExitCode       uint32
		LastWaitResult int32
	}{pid, exited, code, 0})
	return string(doc)
}

// startProcess completes the creation of p from its parameters. s.mu is
// held.
func (s *Sim) startProcess(p *process, parameters string) outcome {
	sys := p.sys
	if !sys.registered {
		return fail(hcs.HCS_E_SYSTEM_NOT_FOUND, "the compute system does not exist")
	}
	if sys.State != stateRunning {
		return fail(hcs.HCS_E_INVALID_STATE, "cannot create a process in state %s", sys.State)
	}
	var params processParameters
	if err := json.Unmarshal([]byte(parameters), &params); err != nil {
		return fail(hcs.HCS_E_INVALID_JSON, "invalid process parameters: %v", err)
	}
	if params.CommandLine == "" && params.ApplicationName == "" && len(params.CommandArgs) == 0 {
		return fail(hcs.E_INVALIDARG, "no command line")
	}
	cmd := parseCommand(params)
	fn := s.lookupCommand(cmd.name())
	if fn == nil {
		return fail(hcs.ERROR_FILE_NOT_FOUND, "no such command: %q", cmd.name())
	}

	p.PID = sys.NextPID
	sys.NextPID += 4
	sys.procs[p.PID] = p
	p.CommandLine = params.CommandLine
	p.ImageName = cmd.name()
	p.CreatedAt = s.now()
	if len(params.ConsoleSize) == 2 {
		p.ConsoleHeight, p.ConsoleWidth = params.ConsoleSize[0], params.ConsoleSize[1]
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	p.cancel = cancel
	pio := &ProcessIO{
		PID:              p.PID,
		CommandLine:      params.CommandLine,
		Args:             cmd.args,
		Env:              params.Environment,
		WorkingDirectory: params.WorkingDirectory,
		Stdin:            eofReader{},
		Stdout:           io.Discard,
		Stderr:           io.Discard,
		text:             cmd.text,
		sim:              s,
		proc:             p,
	}
	if params.CreateStdInPipe {
		p.stdin = newPipe()
		pio.Stdin = procReader{ctx, p.stdin}
	}
	if params.CreateStdOutPipe {
		p.stdout = newPipe()
		pio.Stdout = procWriter{ctx, p.stdout}
	}
	switch {
	case params.EmulateConsole:
		pio.Stderr = pio.Stdout // a console has one output
	case params.CreateStdErrPipe:
		p.stderr = newPipe()
		pio.Stderr = procWriter{ctx, p.stderr}
	}
	context.AfterFunc(ctx, func() {
		for _, pp := range []*pipe{p.stdin, p.stdout, p.stderr} {
			if pp != nil {
				pp.wake()
			}
		}
	})
	s.wg.Add(1)
	go s.runCommand(ctx, p, fn, pio)
	return outcome{pid: p.PID}
}

// newEnds returns new caller's ends of the pipes of p: HCS hands them out
// with the creation of the process, and again with each HcsGetProcessInfo
// (HcsCreateProcess's reference page), except for standard input, which
// goes out once so that closing it gives the process end of file. s.mu is
// held.
func (s *Sim) newEnds(p *process) *stdioSet {
	st := new(stdioSet)
	if p.stdin != nil && !p.stdinGiven {
		p.stdinGiven = true
		st.stdin = newStdioEnd(p.stdin, true, &s.openStdio)
	}
	if p.stdout != nil {
		st.stdout = newStdioEnd(p.stdout, false, &s.openStdio)
	}
	if p.stderr != nil {
		st.stderr = newStdioEnd(p.stderr, false, &s.openStdio)
	}
	return st
}

// runCommand runs the command of p and makes p exit with its code.
func (s *Sim) runCommand(ctx context.Context, p *process, fn CommandFunc, pio *ProcessIO) {
	defer s.wg.Done()
	code := fn(ctx, pio)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exitProcess(p, code, errExited, false)
}

// maxLateEOF bounds how long after its process's exit an output pipe may
// reach end of file.
const maxLateEOF = 2 * time.Millisecond

// exitProcess makes p exit with code, unless it has exited: its command's
// context ends with cause, its pipes close and every callback on its
// handles receives ProcessExited, unless quiet is true or
// DropNextProcessExit asked for silence. The process can write no more,
// but its output pipes reach end of file a moment later, as they may on
// Windows, where the pipes are closed after the process. s.mu is held.
func (s *Sim) exitProcess(p *process, code uint32, cause error, quiet bool) {
	if p.Exited {
		return
	}
	p.Exited, p.ExitCode = true, code
	p.cancel(cause)
	if p.stdin != nil {
		p.stdin.closeRead()
	}
	for _, pp := range []*pipe{p.stdout, p.stderr} {
		if pp != nil {
			pp.stopWrites()
		}
	}
	if s.closed || s.chance() {
		s.endOutput(p)
	} else {
		s.lateEOF[p] = struct{}{}
		s.after(time.Duration(s.rng.Int64N(int64(maxLateEOF))), func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.endOutput(p)
		})
	}
	if s.dropExits > 0 && !quiet {
		s.dropExits--
		quiet = true
	}
	if quiet {
		return
	}
	data := processStatus(p.PID, true, code)
	for ph := range p.handles {
		if ph.l != nil {
			s.post(ph.l, backend.Event{Type: backend.EventProcessExited, Data: data})
		}
	}
}

// endOutput closes the process's ends of the output pipes of p: their
// readers get end of file once they have read what is buffered. s.mu is
// held.
func (s *Sim) endOutput(p *process) {
	delete(s.lateEOF, p)
	for _, pp := range []*pipe{p.stdout, p.stderr} {
		if pp != nil {
			pp.closeWrite()
		}
	}
}

// addProcessHandle returns a new handle to p, reached through via. s.mu is
// held.
func (s *Sim) addProcessHandle(p *process, via *systemHandle) (backend.Handle, *processHandle) {
	ph := &processHandle{proc: p, via: via}
	p.handles[ph] = struct{}{}
	return s.newHandle(ph), ph
}

// The seam's process calls.

func (b *seam) CreateProcess(h backend.Handle, parameters string, op backend.Handle) (backend.Handle, error) {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.lookupSystem(string(CallCreateProcess), h)
	o := s.lookupOp(string(CallCreateProcess), op)
	if err := s.availableTo(sh.stale); err != nil {
		return 0, err
	}
	if sh.l.takesOperations() {
		return 0, hcs.HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET
	}
	if parameters == "" {
		return 0, hcs.E_INVALIDARG
	}
	p := &process{sys: sh.sys, handles: make(map[*processHandle]struct{})}
	var failRunning hcs.HRESULT
	run := func() outcome {
		o := s.startProcess(p, parameters)
		switch {
		case o.hr.Failed():
			return o
		case failRunning.Failed():
			return fail(failRunning, "the operation failed; the process runs")
		}
		o.stdio = s.newEnds(p)
		return o
	}
	if err := s.begin(op, CallCreateProcess, target{proc: p, sh: sh}, run); err != nil {
		return 0, err
	}
	if len(s.failRunning) > 0 {
		failRunning = s.failRunning[0]
		s.failRunning = s.failRunning[1:]
	}
	handle, ph := s.addProcessHandle(p, sh)
	s.onHandles(o, nil, ph)
	return handle, nil
}

func (b *seam) OpenProcess(h backend.Handle, pid uint32) (backend.Handle, error) {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.lookupSystem(string(CallOpenProcess), h)
	if err := s.availableTo(sh.stale); err != nil {
		return 0, err
	}
	if err := s.syncFault(CallOpenProcess); err != nil {
		return 0, err
	}
	if !sh.sys.registered {
		return 0, hcs.HCS_E_SYSTEM_NOT_FOUND
	}
	p := sh.sys.procs[pid]
	if p == nil {
		return 0, hcs.ERROR_NOT_FOUND
	}
	handle, _ := s.addProcessHandle(p, sh)
	return handle, nil
}

func (b *seam) CloseProcess(h backend.Handle) {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	const fn = "HcsCloseProcess"
	ph := s.lookupProcess(fn, h)
	s.closingPending(fn, h, ph.pending, func(op *operation) bool { return op.ph == ph })
	s.dropHandle(h, fn)
	delete(ph.proc.handles, ph)
	p := ph.proc
	s.closeListener(ph.l, backend.Event{Type: backend.EventProcessExited, Data: processStatus(p.PID, true, p.ExitCode)})
}

// processCall starts call on the process behind h; run computes its
// outcome on completion, if the process was created. A non-empty required
// argument is checked first.
func (s *Sim) processCall(h, op backend.Handle, call Call, required *string, run func(p *process) outcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ph := s.lookupProcess(string(call), h)
	s.lookupOp(string(call), op)
	if err := s.availableTo(ph.stale); err != nil {
		return err
	}
	if ph.l.takesOperations() {
		return hcs.HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET
	}
	if required != nil && *required == "" {
		return hcs.E_INVALIDARG
	}
	p := ph.proc
	return s.begin(op, call, target{proc: p, ph: ph}, func() outcome {
		if p.PID == 0 {
			return fail(hcs.HCS_E_PROCESS_INFO_NOT_AVAILABLE, "the process was not created")
		}
		return run(p)
	})
}

// alreadyStopped is the failure of a call on an exited process:
// HCS_E_PROCESS_ALREADY_STOPPED, or the code SetStoppedProcessError set.
// s.mu is held.
func (s *Sim) alreadyStopped() outcome {
	if s.stoppedHR.Failed() {
		return fail(s.stoppedHR, "the process has exited")
	}
	return fail(hcs.HCS_E_PROCESS_ALREADY_STOPPED, "the process has exited")
}

func (b *seam) TerminateProcess(h, op backend.Handle, _ string) error {
	s := (*Sim)(b)
	return s.processCall(h, op, CallTerminateProcess, nil, func(p *process) outcome {
		if p.Exited {
			return s.alreadyStopped()
		}
		s.exitProcess(p, 1, ErrTerminated, false)
		return ok("")
	})
}

// The signals of the schema's ProcessSignal.
var signals = []schema.ProcessSignal{
	schema.ProcessSignalCtrlC, schema.ProcessSignalCtrlBreak, schema.ProcessSignalCtrlClose,
	schema.ProcessSignalCtrlLogOff, schema.ProcessSignalCtrlShutdown,
}

// SignalProcess sends CtrlC when options, or its Signal, is empty.
func (b *seam) SignalProcess(h, op backend.Handle, options string) error {
	s := (*Sim)(b)
	return s.processCall(h, op, CallSignalProcess, nil, func(p *process) outcome {
		var opts struct{ Signal string }
		if options != "" {
			if err := json.Unmarshal([]byte(options), &opts); err != nil {
				return fail(hcs.HCS_E_INVALID_JSON, "invalid signal options: %v", err)
			}
		}
		if opts.Signal == "" {
			opts.Signal = "CtrlC"
		}
		if p.Exited {
			return s.alreadyStopped()
		}
		sig, known := signalNamed(opts.Signal)
		if !known {
			return fail(hcs.E_INVALIDARG, "unknown signal %q", opts.Signal)
		}
		p.cancel(&SignalError{Signal: sig})
		return ok("")
	})
}

// signalNamed returns the signal whose name is name, ignoring case, in
// the schema's spelling.
func signalNamed(name string) (schema.ProcessSignal, bool) {
	for _, sig := range signals {
		if strings.EqualFold(string(sig), name) {
			return sig, true
		}
	}
	return "", false
}

func (b *seam) GetProcessInfo(h, op backend.Handle) error {
	s := (*Sim)(b)
	return s.processCall(h, op, CallGetProcessInfo, nil, func(p *process) outcome {
		if p.Exited {
			return s.alreadyStopped()
		}
		return outcome{pid: p.PID, stdio: s.newEnds(p)}
	})
}

func (b *seam) GetProcessProperties(h, op backend.Handle, query string) error {
	s := (*Sim)(b)
	return s.processCall(h, op, CallGetProcessProperties, nil, func(p *process) outcome {
		if query != "" && !json.Valid([]byte(query)) {
			return fail(hcs.HCS_E_INVALID_JSON, "invalid property query")
		}
		return ok(processStatus(p.PID, p.Exited, p.ExitCode))
	})
}

func (b *seam) ModifyProcess(h, op backend.Handle, settings string) error {
	s := (*Sim)(b)
	return s.processCall(h, op, CallModifyProcess, &settings, func(p *process) outcome {
		var req struct {
			Operation   string
			ConsoleSize *struct{ Height, Width uint16 }
			CloseHandle *struct{ Handle string }
		}
		if err := json.Unmarshal([]byte(settings), &req); err != nil {
			return fail(hcs.HCS_E_INVALID_JSON, "invalid process modification: %v", err)
		}
		if p.Exited {
			return s.alreadyStopped()
		}
		switch {
		case req.Operation == "ConsoleSize" && req.ConsoleSize != nil:
			p.ConsoleHeight, p.ConsoleWidth = req.ConsoleSize.Height, req.ConsoleSize.Width
		case req.Operation == "CloseHandle" && req.CloseHandle != nil:
			return p.closeHandle(req.CloseHandle.Handle)
		default:
			return fail(hcs.E_INVALIDARG, "unsupported modification %q", req.Operation)
		}
		return ok("")
	})
}

// closeHandle closes the process's side of one of its stdio pipes, or all
// of them: closing StdIn gives the process EOF.
func (p *process) closeHandle(which string) outcome {
	var closeIn, closeOut, closeErr bool
	switch which {
	case "StdIn":
		closeIn = true
	case "StdOut":
		closeOut = true
	case "StdErr":
		closeErr = true
	case "All":
		closeIn, closeOut, closeErr = true, true, true
	default:
		return fail(hcs.E_INVALIDARG, "unknown handle %q", which)
	}
	if closeIn && p.stdin != nil {
		p.stdin.closeWrite()
	}
	if closeOut && p.stdout != nil {
		p.stdout.closeRead()
	}
	if closeErr && p.stderr != nil {
		p.stderr.closeRead()
	}
	return ok("")
}

func (b *seam) SetProcessCallback(h backend.Handle, options uint32, ctx uintptr) error {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	ph := s.lookupProcess(string(CallSetProcessCallback), h)
	if err := s.availableTo(ph.stale); err != nil {
		return err
	}
	if options > backend.EventOptionEnableOperationCallbacks {
		return hcs.E_INVALIDARG
	}
	if err := s.syncFault(CallSetProcessCallback); err != nil {
		return err
	}
	if ph.l != nil {
		return hcs.HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET
	}
	ph.l = &listener{ctx: ctx, options: options}
	return nil
}
