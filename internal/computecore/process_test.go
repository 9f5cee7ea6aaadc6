//go:build windows

package computecore

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
	"github.com/gohcs/hcs/internal/winstr"
)

func processParams(cmd string, stdin, stdout, stderr bool) string {
	return fmt.Sprintf(`{"CommandLine":%q,"CreateStdInPipe":%t,"CreateStdOutPipe":%t,"CreateStdErrPipe":%t}`,
		cmd, stdin, stdout, stderr)
}

// proc is a process created by startProcess.
type proc struct {
	h      backend.Handle
	info   backend.ProcessInfo
	ctx    uintptr
	events chan backend.Event
	// early is the status startProcess read after registering the
	// callback, when the process had exited by then: its ProcessExited may
	// have been sent, or not (it exited before the registration).
	early *processStatus
}

// processStatus is the part of a ProcessStatus document the tests read.
type processStatus struct {
	ProcessId uint32
	Exited    bool
	ExitCode  uint32
}

// startProcess creates a process in sys with an event callback, and returns
// it with its stdio streams. The test's cleanup closes the handle and the
// streams.
//
// The callback can only be registered once HCS has returned the handle, and
// a short-lived process may exit before that, its ProcessExited going
// nowhere. So startProcess then asks for the process's status, as package
// hcs does: if the process has not exited yet, its ProcessExited is sure to
// come.
func startProcess(t *testing.T, b backend.Backend, sys backend.Handle, params string) *proc {
	t.Helper()
	p := &proc{}
	o := newOp(t, b)
	defer o.close(b)
	h, err := b.CreateProcess(sys, params, o.h)
	if err != nil {
		t.Fatalf("CreateProcess(%s): %v", params, err)
	}
	p.h = h
	p.ctx, p.events = disp.newEventContext()
	if err := b.SetProcessCallback(h, backend.EventOptionNone, p.ctx); err != nil {
		t.Fatalf("SetProcessCallback: %v", err)
	}
	t.Cleanup(func() {
		b.CloseProcess(h)
		disp.forget(p.ctx)
	})
	o.wait(t)
	info, doc, err := b.GetOperationResultAndProcessInfo(o.h)
	if err != nil {
		t.Fatalf("create process %s: %v (result %s)", params, err, doc)
	}
	p.info = info
	t.Cleanup(func() { closeInfo(info) })
	doc, err = do(t, b, func(op backend.Handle) error { return b.GetProcessProperties(h, op, "") })
	must(t, "GetProcessProperties", doc, err)
	var st processStatus
	decode(t, "process status", doc, &st)
	if st.Exited {
		p.early = &st
	}
	return p
}

// exitCode waits for ProcessExited and returns its ExitCode. For a process
// that had exited when startProcess read its status, it returns that
// status, after checking any ProcessExited already delivered against it.
func (p *proc) exitCode(t *testing.T) uint32 {
	t.Helper()
	st := p.early
	if st == nil {
		e := waitEvent(t, p.events, backend.EventProcessExited)
		st = new(processStatus)
		decode(t, "ProcessExited", e.Data, st)
	} else {
		select {
		case e := <-p.events:
			var ev processStatus
			decode(t, "ProcessExited", e.Data, &ev)
			if e.Type != backend.EventProcessExited || ev != *st {
				t.Errorf("event %#x %s, want ProcessExited with %+v", e.Type, e.Data, *st)
			}
		default:
		}
	}
	if !st.Exited || st.ProcessId != p.info.PID {
		t.Errorf("exit status %+v for pid %d", *st, p.info.PID)
	}
	return st.ExitCode
}

// closeInfo closes the streams of info.
func closeInfo(info backend.ProcessInfo) {
	for _, c := range []io.Closer{info.Stdin, info.Stdout, info.Stderr} {
		if c != nil {
			c.Close()
		}
	}
}

// readAll reads r to EOF with a deadline.
func readAll(t *testing.T, name string, r io.Reader) string {
	t.Helper()
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(r)
		ch <- result{b, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Errorf("reading %s: %v", name, r.err)
		}
		return string(r.b)
	case <-time.After(waitTimeout):
		t.Fatalf("reading %s: no EOF within %v", name, waitTimeout)
		return ""
	}
}

func TestProcessStdio(t *testing.T) {
	b := mock(t)
	_, sys := startedSystem(t, b)

	p := startProcess(t, b, sys, processParams("cmd /c echo héllo wörld", false, true, true))
	if p.info.Stdin != nil || p.info.Stdout == nil || p.info.Stderr == nil {
		t.Fatalf("streams %+v: want no stdin, stdout and stderr", p.info)
	}
	if p.info.PID == 0 {
		t.Error("PID 0")
	}
	if out := readAll(t, "stdout", p.info.Stdout); out != "héllo wörld\r\n" {
		t.Errorf("stdout %q", out)
	}
	if out := readAll(t, "stderr", p.info.Stderr); out != "" {
		t.Errorf("stderr %q", out)
	}
	if code := p.exitCode(t); code != 0 {
		t.Errorf("exit code %d", code)
	}

	// stdin → stdout, then close stdin through ModifyProcess-free EOF.
	cat := startProcess(t, b, sys, processParams("cat", true, true, false))
	go func() {
		io.WriteString(cat.info.Stdin, "through the pipe\n")
		cat.info.Stdin.Close()
	}()
	if out := readAll(t, "cat stdout", cat.info.Stdout); out != "through the pipe\n" {
		t.Errorf("cat copied %q", out)
	}
	cat.exitCode(t)

	spew := startProcess(t, b, sys, processParams("spew 70000 100000", false, true, true))
	errc := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(spew.info.Stderr)
		errc <- string(b)
	}()
	if out := readAll(t, "spew stdout", spew.info.Stdout); len(out) != 100000 {
		t.Errorf("spew stdout: %d bytes", len(out))
	}
	if e := <-errc; len(e) != 70000 {
		t.Errorf("spew stderr: %d bytes", len(e))
	}
	spew.exitCode(t)
}

// Closing a stream unblocks a Read pending on it.
func TestProcessStreamCloseUnblocksRead(t *testing.T) {
	b := mock(t)
	_, sys := startedSystem(t, b)
	p := startProcess(t, b, sys, processParams("wait", false, true, false))
	done := make(chan error, 1)
	go func() {
		_, err := p.info.Stdout.Read(make([]byte, 16))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	closed := make(chan struct{})
	go func() {
		p.info.Stdout.Close()
		close(closed)
	}()
	unblocked := false
	select {
	case err := <-done:
		unblocked = true
		if err == nil {
			t.Error("Read returned no error after Close")
		}
	case <-time.After(5 * time.Second):
		t.Errorf("Read still blocked 5s after Close (stream %T)", p.info.Stdout)
	}
	doc, err := do(t, b, func(op backend.Handle) error { return b.TerminateProcess(p.h, op, "") })
	must(t, "TerminateProcess", doc, err)
	<-closed
	if !unblocked {
		<-done
	}
	if code := p.exitCode(t); code != 1 {
		t.Errorf("exit code after terminate %d, want 1", code)
	}
}

func TestProcessControl(t *testing.T) {
	b := mock(t)
	_, sys := startedSystem(t, b)

	p := startProcess(t, b, sys, processParams("wait", true, true, true))
	doc, err := do(t, b, func(op backend.Handle) error {
		return b.ModifyProcess(p.h, op, `{"Operation":"ConsoleSize","ConsoleSize":{"Height":25,"Width":80}}`)
	})
	must(t, "ModifyProcess(ConsoleSize)", doc, err)
	doc, err = do(t, b, func(op backend.Handle) error { return b.GetProcessProperties(p.h, op, "") })
	must(t, "GetProcessProperties", doc, err)
	if !strings.Contains(doc, fmt.Sprint(p.info.PID)) {
		t.Errorf("process properties %s lack pid %d", doc, p.info.PID)
	}

	// A second handle on the same process, by pid: its process info has the
	// output pipes again, not stdin (the mock hands stdin out once; see
	// TestProcessInfoPipesAgain).
	h2, err := b.OpenProcess(sys, p.info.PID)
	if err != nil {
		t.Fatalf("OpenProcess(%d): %v", p.info.PID, err)
	}
	defer b.CloseProcess(h2)
	o := newOp(t, b)
	if err := b.GetProcessInfo(h2, o.h); err != nil {
		t.Fatalf("GetProcessInfo: %v", err)
	}
	o.wait(t)
	info, doc, err := b.GetOperationResultAndProcessInfo(o.h)
	o.close(b)
	must(t, "GetProcessInfo result", doc, err)
	if info.PID != p.info.PID || info.Stdin != nil || info.Stdout == nil || info.Stderr == nil {
		t.Errorf("second GetProcessInfo = %+v, want pid %d, stdout and stderr", info, p.info.PID)
	}
	closeInfo(info)

	doc, err = do(t, b, func(op backend.Handle) error { return b.SignalProcess(p.h, op, `{"Signal":"CtrlC"}`) })
	must(t, "SignalProcess", doc, err)
	if code := p.exitCode(t); code != 0xC000013A {
		t.Errorf("exit code after CtrlC %#x", code)
	}
	_, err = do(t, b, func(op backend.Handle) error { return b.TerminateProcess(p.h, op, "") })
	wantErr(t, "TerminateProcess(exited)", err, hrProcessStopped)

	var result *uint16
	err = optional(hcsWaitForProcessExit(p.h, 5000, &result))
	doc = winstr.Take(result)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Logf("HcsWaitForProcessExit: %v", err)
	} else if err != nil {
		t.Errorf("HcsWaitForProcessExit of an exited process: %v (result %s)", err, doc)
	}

	// Closing stdin through HCS (ModifyProcess) ends cat while our end of
	// the pipe is still open.
	cat := startProcess(t, b, sys, processParams("cat", true, true, false))
	if _, err := io.WriteString(cat.info.Stdin, "abc"); err != nil {
		t.Fatalf("write to cat: %v", err)
	}
	doc, err = do(t, b, func(op backend.Handle) error {
		return b.ModifyProcess(cat.h, op, `{"Operation":"CloseHandle","CloseHandle":{"Handle":"StdIn"}}`)
	})
	must(t, "ModifyProcess(CloseHandle StdIn)", doc, err)
	if out := readAll(t, "cat stdout", cat.info.Stdout); out != "abc" {
		t.Errorf("cat copied %q", out)
	}
	cat.exitCode(t)

	exit := startProcess(t, b, sys, processParams("exit 0x2a", false, false, false))
	if code := exit.exitCode(t); code != 42 {
		t.Errorf("exit 0x2a: code %d", code)
	}

	// Unknown commands fail the create operation.
	o = newOp(t, b)
	h, err := b.CreateProcess(sys, processParams("no-such-program", false, false, false), o.h)
	if err == nil {
		o.wait(t)
		_, doc, err = b.GetOperationResultAndProcessInfo(o.h)
		wantErr(t, "CreateProcess(unknown command)", err, hrFileNotFound)
		if !strings.Contains(doc, "Error") {
			t.Errorf("no ResultError: %q", doc)
		}
	} else {
		wantErr(t, "CreateProcess(unknown command)", err, hrFileNotFound)
	}
	if h != 0 {
		b.CloseProcess(h)
	}
	o.close(b)

	_, err = b.OpenProcess(sys, 0xFFFF)
	wantErr(t, "OpenProcess(unknown pid)", err, 1168) // ERROR_NOT_FOUND
}

// processInfoOf runs GetProcessInfo on h and returns its result.
func processInfoOf(t *testing.T, b backend.Backend, h backend.Handle) (backend.ProcessInfo, error) {
	t.Helper()
	o := newOp(t, b)
	defer o.close(b)
	if err := b.GetProcessInfo(h, o.h); err != nil {
		return backend.ProcessInfo{}, err
	}
	o.wait(t)
	info, _, err := b.GetOperationResultAndProcessInfo(o.h)
	return info, err
}

// HcsGetProcessInfo hands out the process's output pipes again, as new
// handles of the same pipes (HcsCreateProcess.md: "You can still get this
// through a call to HcsGetProcessInfo"); the mock hands stdin out once. Of
// an exited process it fails with HCS_E_PROCESS_ALREADY_STOPPED (hcsshim,
// internal/hcs/v2/system.go).
func TestProcessInfoPipesAgain(t *testing.T) {
	b := mock(t)
	_, sys := startedSystem(t, b)
	p := startProcess(t, b, sys, processParams("cat", true, true, true))

	again, err := processInfoOf(t, b, p.h)
	if err != nil {
		t.Fatalf("GetProcessInfo: %v", err)
	}
	defer closeInfo(again)
	if again.PID != p.info.PID || again.Stdin != nil || again.Stdout == nil || again.Stderr == nil {
		t.Fatalf("GetProcessInfo = %+v, want pid %d, stdout and stderr (stdin went to the creator)", again, p.info.PID)
	}
	third, err := processInfoOf(t, b, p.h)
	if err != nil {
		t.Fatalf("second GetProcessInfo: %v", err)
	}
	closeInfo(third) // closing a copy leaves the pipes to the others
	if third.Stdout == nil || third.Stdout == again.Stdout {
		t.Errorf("second GetProcessInfo: stdout %v, want a stream of its own", third.Stdout)
	}

	// The copy reads what the process writes: the creator's stdout is
	// closed, the copy is the only reader left.
	p.info.Stdout.Close()
	if _, err := io.WriteString(p.info.Stdin, "same pipe"); err != nil {
		t.Fatalf("write: %v", err)
	}
	p.info.Stdin.Close()
	if out := readAll(t, "stdout copy", again.Stdout); out != "same pipe" {
		t.Errorf("stdout copy read %q", out)
	}
	if out := readAll(t, "stderr copy", again.Stderr); out != "" {
		t.Errorf("stderr copy read %q", out)
	}
	if code := p.exitCode(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
	_, err = processInfoOf(t, b, p.h)
	wantErr(t, "GetProcessInfo of an exited process", err, hrProcessStopped)
}

// Streams a process does not have may come back as INVALID_HANDLE_VALUE
// rather than NULL (hcsshim, internal/hcs/v2/utils.go); the FFI turns both
// into no stream, and never closes or wraps the sentinel.
func TestInvalidStdio(t *testing.T) {
	b := mock(t)
	_, sys := startedSystem(t, b)
	mockctl.InvalidStdio(true)

	// The raw structure, to see the mode at work.
	o := newOp(t, b)
	h, err := b.CreateProcess(sys, processParams("wait", false, true, false), o.h)
	if err != nil {
		t.Fatalf("CreateProcess: %v", err)
	}
	defer b.CloseProcess(h)
	o.wait(t)
	var pi processInformation
	var result *uint16
	err = hcsGetOperationResultAndProcessInfo(o.h, &pi, &result)
	must(t, "create result", winstr.Take(result), err)
	o.close(b)
	if pi.StdInput != windows.InvalidHandle || pi.StdError != windows.InvalidHandle ||
		pi.StdOutput == 0 || pi.StdOutput == windows.InvalidHandle {
		t.Fatalf("HCS_PROCESS_INFORMATION %+v, want INVALID_HANDLE_VALUE for stdin and stderr", pi)
	}
	info := processInfo(&pi)
	if info.Stdin != nil || info.Stderr != nil || info.Stdout == nil {
		t.Errorf("processInfo = %+v, want stdout only", info)
	}
	closeInfo(info)

	// Through the backend, on HcsGetProcessInfo (where hcsshim saw it).
	again, err := processInfoOf(t, b, h)
	if err != nil {
		t.Fatalf("GetProcessInfo: %v", err)
	}
	if again.Stdin != nil || again.Stderr != nil || again.Stdout == nil {
		t.Errorf("GetProcessInfo = %+v, want stdout only", again)
	}
	closeInfo(again)

	doc, err := do(t, b, func(op backend.Handle) error { return b.TerminateProcess(h, op, "") })
	must(t, "TerminateProcess", doc, err)
}
