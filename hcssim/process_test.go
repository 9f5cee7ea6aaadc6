package hcssim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/schema"
)

// process creates a process in sys and returns its handle, its
// information and the context of the event callback set on the handle.
func (h *harness) process(sys backend.Handle, params string) (backend.Handle, backend.ProcessInfo, uintptr) {
	h.t.Helper()
	p, info, ctx, doc, err := h.tryProcess(sys, params)
	if err != nil {
		h.b.CloseProcess(p)
		h.t.Fatalf("create process %s: %v (%s)", params, err, doc)
	}
	return p, info, ctx
}

// tryProcess creates a process and returns the outcome. It sets the
// process's event callback before the creation completes, as a caller must
// to see the exit of a process that exits at once: the creation is held
// until the callback is set.
func (h *harness) tryProcess(sys backend.Handle, params string) (backend.Handle, backend.ProcessInfo, uintptr, string, error) {
	h.t.Helper()
	op, done := h.op()
	defer h.b.CloseOperation(op)
	hold := h.s.HoldNext(CallCreateProcess)
	p, err := h.b.CreateProcess(sys, params, op)
	if err != nil {
		h.t.Fatalf("CreateProcess: %v", err)
	}
	ctx := h.listenProcess(p)
	hold.Release()
	select {
	case <-done:
	case <-time.After(testTimeout):
		h.t.Fatal("process creation did not complete")
	}
	info, doc, err := h.b.GetOperationResultAndProcessInfo(op)
	return p, info, ctx, doc, err
}

// exitCode waits for the ProcessExited event of a process and returns its
// exit code. ctx is the context of the process's callback.
func (h *harness) exitCode(ctx uintptr) uint32 {
	h.t.Helper()
	ev := h.waitEvents(ctx, 1)[0]
	var st struct {
		ProcessID      uint32 `json:"ProcessId"`
		Exited         bool
		ExitCode       uint32
		LastWaitResult int32
	}
	if ev.Type != backend.EventProcessExited || json.Unmarshal([]byte(ev.Data), &st) != nil || !st.Exited {
		h.t.Fatalf("event = %+v", ev)
	}
	return st.ExitCode
}

// run creates a process with params, feeds it stdin if it has an input
// pipe, reads its outputs concurrently and returns them with the exit code.
func (h *harness) run(sys backend.Handle, params string, stdin []byte) (stdout, stderr []byte, code uint32) {
	h.t.Helper()
	p, info, ctx := h.process(sys, params)
	defer h.b.CloseProcess(p)
	var wg sync.WaitGroup
	var outErr, errErr, inErr error
	var outBuf, errBuf bytes.Buffer
	if info.Stdin != nil {
		wg.Go(func() {
			_, inErr = info.Stdin.Write(stdin)
			info.Stdin.Close()
		})
	}
	if info.Stdout != nil {
		wg.Go(func() { _, outErr = io.Copy(&outBuf, info.Stdout); info.Stdout.Close() })
	}
	if info.Stderr != nil {
		wg.Go(func() { _, errErr = io.Copy(&errBuf, info.Stderr); info.Stderr.Close() })
	}
	wg.Wait()
	if err := errors.Join(inErr, outErr, errErr); err != nil {
		h.t.Fatalf("stdio: %v", err)
	}
	return outBuf.Bytes(), errBuf.Bytes(), h.exitCode(ctx)
}

func TestBuiltinCommands(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	const pipes = `,"CreateStdInPipe":true,"CreateStdOutPipe":true,"CreateStdErrPipe":true}`
	for _, tc := range []struct {
		line           string
		stdin          string
		stdout, stderr string
		code           uint32
	}{
		{line: `echo hello world`, stdout: "hello world\r\n"},
		{line: `cmd /c echo  two  spaces `, stdout: " two  spaces \r\n"},
		{line: `CMD.EXE /C ECHO upper`, stdout: "upper\r\n"},
		{line: `echo`, stdout: "\r\n"},
		{line: `exit`},
		{line: `exit 0`},
		{line: `exit 1`, code: 1},
		{line: `exit 255`, code: 255},
		{line: `exit 0xC000013A`, code: 0xC000013A},
		{line: `exit 4294967295`, code: 0xFFFFFFFF},
		{line: `exit 4294967296`, stderr: "exit: bad exit code \"4294967296\"\r\n", code: 1},
		{line: `cat`, stdin: "line 1\r\nline 2", stdout: "line 1\r\nline 2"},
		{line: `cat.exe`, stdout: ""},
		{line: `spew 3 0x2`, stdout: "OO", stderr: "EEE"},
		{line: `spew 1`, stderr: "usage: spew STDERR-BYTES STDOUT-BYTES\r\n", code: 1},
		{line: `spew x 1`, stderr: "spew: bad size \"x\"\r\n", code: 1},
		{line: `sleep 10`},
		{line: `sleep`, stderr: "usage: sleep MILLISECONDS\r\n", code: 1},
		{line: `sleep -1`, stderr: "sleep: bad duration \"-1\"\r\n", code: 1},
	} {
		t.Run(tc.line, func(t *testing.T) {
			params, _ := json.Marshal(tc.line)
			stdout, stderr, code := h.run(sys, `{"CommandLine":`+string(params)+pipes, []byte(tc.stdin))
			if string(stdout) != tc.stdout || string(stderr) != tc.stderr || code != tc.code {
				t.Errorf("got stdout %q, stderr %q, exit %#x; want %q, %q, %#x",
					stdout, stderr, code, tc.stdout, tc.stderr, tc.code)
			}
		})
	}
}

func TestCreateProcessErrors(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	for _, tc := range []struct {
		params string
		want   hcs.HRESULT
	}{
		{`{"CommandLine":"notepad.exe"}`, hcs.ERROR_FILE_NOT_FOUND},
		{`{"CreateStdOutPipe":true}`, hcs.E_INVALIDARG},
		{`{"CommandLine":"  "}`, hcs.ERROR_FILE_NOT_FOUND},
		{`{"CommandLine":"cmd /c"}`, hcs.ERROR_FILE_NOT_FOUND},
		{`{"CommandLine":`, hcs.HCS_E_INVALID_JSON},
		{`{"CreateStdInPipe":"yes"}`, hcs.HCS_E_INVALID_JSON},
	} {
		p, info, _, doc, err := h.tryProcess(sys, tc.params)
		wantHR(t, err, tc.want)
		wantResultError(t, doc, tc.want, string(CallCreateProcess), `"s"`)
		if info != (backend.ProcessInfo{}) {
			t.Errorf("failed creation gave %+v", info)
		}
		// Calls on the handle of a failed creation find no process.
		_, err = h.call(func(op backend.Handle) error { return h.b.GetProcessInfo(p, op) })
		wantHR(t, err, hcs.HCS_E_PROCESS_INFO_NOT_AVAILABLE)
		h.b.CloseProcess(p)
	}
	op, _ := h.op()
	_, err := h.b.CreateProcess(sys, "", op)
	wantHR(t, err, hcs.E_INVALIDARG)
	h.b.CloseOperation(op)

	for _, state := range []string{stateCreated, statePaused, stateStopped} {
		other := h.system("in-"+state, state)
		p, _, _, _, err := h.tryProcess(other, `{"CommandLine":"echo hi"}`)
		wantHR(t, err, hcs.HCS_E_INVALID_STATE)
		h.b.CloseProcess(p)
	}
}

func TestProcessArguments(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	got := make(chan *ProcessIO, 1)
	h.s.HandleCommand("Show.EXE", func(_ context.Context, p *ProcessIO) uint32 {
		got <- p
		return 7
	})
	params, _ := json.Marshal(map[string]any{
		"CommandLine":      `cmd /c show "a b" c\\\"d "" "x""y"`,
		"WorkingDirectory": `C:\w`,
		"Environment":      map[string]string{"K": "V"},
		"ConsoleSize":      []uint16{25, 80},
	})
	_, _, code := h.run(sys, string(params), nil)
	if code != 7 {
		t.Errorf("exit code %d, want 7", code)
	}
	p := <-got
	want := []string{"show", "a b", `c\"d`, "", `x"y`}
	if fmt.Sprintf("%q", p.Args) != fmt.Sprintf("%q", want) || p.Env["K"] != "V" || p.WorkingDirectory != `C:\w` ||
		p.PID != 100 || !strings.HasPrefix(p.CommandLine, "cmd /c show") {
		t.Errorf("ProcessIO = %+v, args %q", p, p.Args)
	}
	if hgt, w := p.ConsoleSize(); hgt != 25 || w != 80 {
		t.Errorf("ConsoleSize = %d, %d", hgt, w)
	}

	_, _, code = h.run(sys, `{"CommandArgs":["cmd","/c","show","x y"]}`, nil)
	if p := <-got; code != 7 || fmt.Sprintf("%q", p.Args) != `["show" "x y"]` || p.PID != 104 {
		t.Errorf("CommandArgs: Args %q, PID %d", p.Args, p.PID)
	}
	stdout, _, _ := h.run(sys, `{"CommandArgs":["echo","x","y"],"CreateStdOutPipe":true}`, nil)
	if string(stdout) != "x y\r\n" {
		t.Errorf("echo from CommandArgs wrote %q", stdout)
	}

	// ApplicationName stands in for an empty CommandLine; a user command
	// overrides a built-in; a nil function removes the command.
	h.s.HandleCommand("echo", func(context.Context, *ProcessIO) uint32 { return 9 })
	if _, _, code := h.run(sys, `{"ApplicationName":"echo"}`, nil); code != 9 {
		t.Errorf("overridden echo exited %d", code)
	}
	h.s.HandleCommand("echo", nil)
	h.s.HandleCommand("show", nil)
	if _, _, code := h.run(sys, `{"ApplicationName":"echo"}`, nil); code != 0 {
		t.Errorf("built-in echo exited %d", code)
	}
	p2, _, _, _, err := h.tryProcess(sys, `{"CommandLine":"show"}`)
	wantHR(t, err, hcs.ERROR_FILE_NOT_FOUND)
	h.b.CloseProcess(p2)
}

func TestNextArg(t *testing.T) {
	for line, want := range map[string][]string{
		``:                       nil,
		`  `:                     nil,
		`a`:                      {"a"},
		` a  b	c `:               {"a", "b", "c"},
		`"a b" c`:                {"a b", "c"},
		`a\\b`:                   {`a\\b`},
		`a\\"b c"`:               {`a\b c`},
		`a\"b`:                   {`a"b`},
		`a\\\"b`:                 {`a\"b`},
		`"a""b"`:                 {`a"b`},
		`""`:                     {""},
		`"" ""`:                  {"", ""},
		`"C:\Program Files\x" y`: {`C:\Program Files\x`, "y"},
		`"unterminated arg`:      {"unterminated arg"},
	} {
		var got []string
		for a, rest, found := nextArg(line); found; a, rest, found = nextArg(rest) {
			got = append(got, a)
		}
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
			t.Errorf("split %q = %q, want %q", line, got, want)
		}
	}
}

func TestLargeOutputs(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)

	in := make([]byte, 10<<20)
	rand.Read(in)
	begin := time.Now()
	stdout, _, code := h.run(sys, `{"CommandLine":"cat","CreateStdInPipe":true,"CreateStdOutPipe":true}`, in)
	d := time.Since(begin)
	if code != 0 || !bytes.Equal(stdout, in) {
		t.Fatalf("cat of 10 MiB: exit %d, %d bytes back, equal %v", code, len(stdout), bytes.Equal(stdout, in))
	}
	t.Logf("10 MiB through cat in %v (%.0f MiB/s)", d, 10/d.Seconds())

	// The child fills stderr before writing any stdout: reading both
	// concurrently must not deadlock.
	stdout, stderr, code := h.run(sys,
		`{"CommandLine":"spew 4194304 1048576","CreateStdOutPipe":true,"CreateStdErrPipe":true}`, nil)
	if code != 0 || len(stderr) != 4<<20 || len(stdout) != 1<<20 ||
		strings.Trim(string(stderr), "E") != "" || strings.Trim(string(stdout), "O") != "" {
		t.Errorf("spew: exit %d, %d bytes of stderr, %d of stdout", code, len(stderr), len(stdout))
	}
}

func TestProcessPipes(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)

	// No pipes requested: none handed out, output discarded, input empty.
	p, info, ctx := h.process(sys, `{"CommandLine":"cat"}`)
	if info.PID != 100 || info.Stdin != nil || info.Stdout != nil || info.Stderr != nil {
		t.Errorf("info = %+v", info)
	}
	if code := h.exitCode(ctx); code != 0 {
		t.Errorf("cat without stdin exited %d", code)
	}
	h.b.CloseProcess(p)

	// EmulateConsole: stderr goes to stdout; no stderr pipe.
	stdout, _, _ := h.run(sys, `{"CommandLine":"spew 2 1","EmulateConsole":true,"CreateStdOutPipe":true,"CreateStdErrPipe":true}`, nil)
	if string(stdout) != "EEO" {
		t.Errorf("console output %q", stdout)
	}

	// A short output is buffered: the process exits before anyone reads.
	p, info, ctx = h.process(sys, `{"CommandLine":"echo buffered","CreateStdOutPipe":true}`)
	h.exitCode(ctx)
	if b, err := io.ReadAll(info.Stdout); err != nil || string(b) != "buffered\r\n" {
		t.Errorf("read after exit = %q, %v", b, err)
	}
	info.Stdout.Close()
	if err := info.Stdout.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	h.b.CloseProcess(p)

	// Closing the reader unblocks the writer: spew fails and exits 1.
	p, info, ctx = h.process(sys, `{"CommandLine":"spew 0 10485760","CreateStdOutPipe":true}`)
	if _, err := io.ReadFull(info.Stdout, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	info.Stdout.Close()
	if code := h.exitCode(ctx); code != 1 {
		t.Errorf("spew into a closed pipe exited %d", code)
	}
	h.b.CloseProcess(p)

	// Close while a Read is blocked returns promptly.
	p, info, ctx = h.process(sys, `{"CommandLine":"wait","CreateStdOutPipe":true,"CreateStdInPipe":true}`)
	readErr := make(chan error)
	go func() {
		_, err := info.Stdout.Read(make([]byte, 10))
		readErr <- err
	}()
	time.Sleep(10 * time.Millisecond)
	info.Stdout.Close()
	select {
	case err := <-readErr:
		if !errors.Is(err, io.ErrClosedPipe) {
			t.Errorf("blocked Read returned %v", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Close did not unblock Read")
	}
	if _, err := info.Stdout.Read(nil); err != nil {
		t.Errorf("empty read = %v", err)
	}
	// Writing to the input of a process that exited fails.
	h.mustCall(func(op backend.Handle) error { return h.b.TerminateProcess(p, op, "") })
	h.exitCode(ctx)
	if _, err := info.Stdin.Write([]byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("write to an exited process = %v", err)
	}
	if n, err := info.Stdin.(io.Reader).Read(make([]byte, 1)); n != 0 || err == nil {
		t.Errorf("reading stdin = %d, %v", n, err)
	}
	info.Stdin.Close()
	if _, err := info.Stdin.Write([]byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("write after Close = %v", err)
	}
	h.b.CloseProcess(p)
}

// TestProcessInfo checks that a creation hands out the pipes once, and
// that HcsGetProcessInfo hands out new ends of them, as HcsCreateProcess's
// reference page says.
func TestProcessInfo(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	op, done := h.op()
	p, err := h.b.CreateProcess(sys, `{"CommandLine":"cat","CreateStdInPipe":true,"CreateStdOutPipe":true}`, op)
	if err != nil {
		t.Fatal(err)
	}
	<-done
	if n := h.s.LiveHandles(); n != 5 { // system, operation, process and two pipes
		t.Errorf("LiveHandles = %d, want 5", n)
	}
	info, _, err := h.b.GetOperationResultAndProcessInfo(op)
	if err != nil || info.Stdin == nil || info.Stdout == nil || info.Stderr != nil {
		t.Fatalf("info = %+v, %v", info, err)
	}
	again, _, err := h.b.GetOperationResultAndProcessInfo(op)
	if err != nil || again.PID != info.PID || again.Stdin != nil || again.Stdout != nil {
		t.Errorf("second read = %+v, %v", again, err)
	}
	h.b.CloseOperation(op)

	op, done = h.op()
	if err := h.b.GetProcessInfo(p, op); err != nil {
		t.Fatal(err)
	}
	<-done
	got, _, err := h.b.GetOperationResultAndProcessInfo(op)
	if err != nil || got.PID != info.PID || got.Stdin != nil || got.Stdout == nil || got.Stderr != nil {
		t.Fatalf("GetProcessInfo = %+v, %v; want stdout again, not stdin", got, err)
	}
	h.b.CloseOperation(op)
	// Both ends of stdout read the one pipe; it closes with the last.
	if _, err := info.Stdin.Write([]byte("twice")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(got.Stdout, buf); err != nil || string(buf) != "twice" {
		t.Fatalf("read %q, %v through the second end", buf, err)
	}
	got.Stdout.Close()
	if _, err := info.Stdin.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	ctx := h.listenProcess(p)
	info.Stdin.Close()
	if rest, err := io.ReadAll(info.Stdout); err != nil || string(rest) != "x" {
		t.Fatalf("read %q, %v through the first end after the second closed", rest, err)
	}
	info.Stdout.Close()
	// An exited process gives no pipes.
	h.exitCode(ctx)
	_, err = h.call(func(op backend.Handle) error { return h.b.GetProcessInfo(p, op) })
	wantHR(t, err, hcs.HCS_E_PROCESS_ALREADY_STOPPED)
	h.b.CloseProcess(p)

	// Pipes nobody took are closed with their operation: the process's
	// writes fail instead of blocking forever.
	op, done = h.op()
	p, err = h.b.CreateProcess(sys, `{"CommandLine":"spew 0 1048576","CreateStdOutPipe":true}`, op)
	if err != nil {
		t.Fatal(err)
	}
	ctx = h.listenProcess(p)
	<-done
	if _, err := h.b.GetOperationResult(op); err != nil {
		t.Fatal(err)
	}
	before := h.s.LiveHandles()
	h.b.CloseOperation(op)
	if after := h.s.LiveHandles(); after != before-2 {
		t.Errorf("closing the operation took LiveHandles from %d to %d, want -2 (operation and pipe)", before, after)
	}
	if code := h.exitCode(ctx); code != 1 {
		t.Errorf("exit code %d", code)
	}
	h.b.CloseProcess(p)

	// A result read with GetOperationResultAndProcessInfo on another
	// operation has no process information.
	doc, err := h.call(func(op backend.Handle) error { return h.b.EnumerateComputeSystems("", op) })
	if err != nil || doc == "" {
		t.Fatal(err)
	}
	op, done = h.op()
	if err := h.b.EnumerateComputeSystems("", op); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.b.GetOperationResultAndProcessInfo(op); err != nil {
		wantHR(t, err, hcs.HCS_E_OPERATION_PENDING)
	}
	<-done
	if info, doc, err := h.b.GetOperationResultAndProcessInfo(op); err != nil || info != (backend.ProcessInfo{}) || doc == "" {
		t.Errorf("enumeration as process info = %+v, %q, %v", info, doc, err)
	}
	h.b.CloseOperation(op)
}

func TestSignalTerminateModify(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	signal := func(p backend.Handle, sig string) error {
		_, err := h.call(func(op backend.Handle) error { return h.b.SignalProcess(p, op, `{"Signal":"`+sig+`"}`) })
		return err
	}
	terminate := func(p backend.Handle) error {
		_, err := h.call(func(op backend.Handle) error { return h.b.TerminateProcess(p, op, "") })
		return err
	}
	modify := func(p backend.Handle, doc string) error {
		_, err := h.call(func(op backend.Handle) error { return h.b.ModifyProcess(p, op, doc) })
		return err
	}

	for _, sig := range []string{"CtrlC", "CtrlBreak", "CtrlClose", "CtrlLogOff", "CtrlShutdown"} {
		p, _, ctx := h.process(sys, `{"CommandLine":"wait"}`)
		if err := signal(p, sig); err != nil {
			t.Fatal(err)
		}
		if code := h.exitCode(ctx); code != 0xC000013A {
			t.Errorf("wait after %s exited %#x", sig, code)
		}
		wantHR(t, signal(p, sig), hcs.HCS_E_PROCESS_ALREADY_STOPPED)
		wantHR(t, terminate(p), hcs.HCS_E_PROCESS_ALREADY_STOPPED)
		wantHR(t, modify(p, `{"Operation":"ConsoleSize","ConsoleSize":{"Height":1,"Width":2}}`), hcs.HCS_E_PROCESS_ALREADY_STOPPED)
		h.b.CloseProcess(p)
	}

	p, _, ctx := h.process(sys, `{"CommandLine":"sleep 100000"}`)
	wantHR(t, signal(p, "CtrlZ"), hcs.E_INVALIDARG)
	_, err := h.call(func(op backend.Handle) error { return h.b.SignalProcess(p, op, `{`) })
	wantHR(t, err, hcs.HCS_E_INVALID_JSON)
	op, _ := h.op()
	wantHR(t, h.b.ModifyProcess(p, op, ""), hcs.E_INVALIDARG)
	h.b.CloseOperation(op)
	wantHR(t, modify(p, `{"Operation":"Resize"}`), hcs.E_INVALIDARG)
	wantHR(t, modify(p, `{"Operation":"CloseHandle","CloseHandle":{"Handle":"StdFoo"}}`), hcs.E_INVALIDARG)
	wantHR(t, modify(p, `[`), hcs.HCS_E_INVALID_JSON)
	if err := terminate(p); err != nil {
		t.Fatal(err)
	}
	if code := h.exitCode(ctx); code != 1 {
		t.Errorf("terminated sleep exited %d", code)
	}
	wantHR(t, terminate(p), hcs.HCS_E_PROCESS_ALREADY_STOPPED)
	h.b.CloseProcess(p)

	// ConsoleSize and CloseHandle on a running process.
	sizes := make(chan [2]uint16, 1)
	h.s.HandleCommand("tty", func(ctx context.Context, p *ProcessIO) uint32 {
		io.Copy(io.Discard, p.Stdin) // until CloseHandle StdIn
		hgt, w := p.ConsoleSize()
		sizes <- [2]uint16{hgt, w}
		return 0
	})
	p, info, ctx := h.process(sys, `{"CommandLine":"tty","CreateStdInPipe":true}`)
	if err := modify(p, `{"Operation":"ConsoleSize","ConsoleSize":{"Height":50,"Width":132}}`); err != nil {
		t.Fatal(err)
	}
	if err := modify(p, `{"Operation":"CloseHandle","CloseHandle":{"Handle":"StdIn"}}`); err != nil {
		t.Fatal(err)
	}
	if got := <-sizes; got != [2]uint16{50, 132} {
		t.Errorf("console size %v", got)
	}
	h.exitCode(ctx)
	info.Stdin.Close()
	h.b.CloseProcess(p)

	p, info, ctx = h.process(sys, `{"CommandLine":"spew 0 100000000","CreateStdOutPipe":true,"CreateStdErrPipe":true}`)
	if err := modify(p, `{"Operation":"CloseHandle","CloseHandle":{"Handle":"All"}}`); err != nil {
		t.Fatal(err)
	}
	if code := h.exitCode(ctx); code != 1 {
		t.Errorf("spew after its pipes closed exited %d", code)
	}
	info.Stdout.Close()
	info.Stderr.Close()
	h.b.CloseProcess(p)
}

func TestHandleCommandSignals(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	causes := make(chan error, 1)
	h.s.HandleCommand("server", func(ctx context.Context, p *ProcessIO) uint32 {
		fmt.Fprintln(p.Stdout, "ready")
		<-ctx.Done()
		causes <- context.Cause(ctx)
		fmt.Fprintln(p.Stdout, "bye") // a handler can still write
		return 42
	})
	p, info, ctx := h.process(sys, `{"CommandLine":"server","CreateStdOutPipe":true}`)
	// The name matches in any case; SignalError spells it as the schema does.
	if _, err := h.call(func(op backend.Handle) error { return h.b.SignalProcess(p, op, `{"Signal":"ctrlbreak"}`) }); err != nil {
		t.Fatal(err)
	}
	var sig *SignalError
	if err := <-causes; !errors.As(err, &sig) || sig.Signal != schema.ProcessSignalCtrlBreak || err.Error() != "hcssim: process received CtrlBreak" {
		t.Errorf("cause = %v", err)
	}
	if code := h.exitCode(ctx); code != 42 {
		t.Errorf("exit code %d", code)
	}
	if out, _ := io.ReadAll(info.Stdout); string(out) != "ready\nbye\n" {
		t.Errorf("stdout %q", out)
	}
	info.Stdout.Close()
	h.b.CloseProcess(p)

	// Without options, or without a signal in them, the signal is CtrlC.
	for _, options := range []string{"", `{}`} {
		p, _, ctx = h.process(sys, `{"CommandLine":"server"}`)
		h.mustCall(func(op backend.Handle) error { return h.b.SignalProcess(p, op, options) })
		if err := <-causes; !errors.As(err, &sig) || sig.Signal != "CtrlC" {
			t.Errorf("options %q: cause = %v", options, err)
		}
		h.exitCode(ctx)
		h.b.CloseProcess(p)
	}

	// Terminated: exit code 1 whatever the function returns.
	p, _, ctx = h.process(sys, `{"CommandLine":"server"}`)
	h.mustCall(func(op backend.Handle) error { return h.b.TerminateProcess(p, op, "") })
	if err := <-causes; err != ErrTerminated {
		t.Errorf("cause = %v", err)
	}
	if code := h.exitCode(ctx); code != 1 {
		t.Errorf("exit code %d", code)
	}
	h.b.CloseProcess(p)
}

func TestProcessesOfAStoppingSystem(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	p1, _, c1 := h.process(sys, `{"CommandLine":"wait"}`)
	p2, _, c2 := h.process(sys, `{"CommandLine":"exit 5"}`)
	if code := h.exitCode(c2); code != 5 {
		t.Fatalf("exit code %d", code)
	}
	doc := h.mustCall(func(op backend.Handle) error {
		return h.b.GetComputeSystemProperties(sys, op, `{"PropertyTypes":["ProcessList"]}`)
	})
	var props properties
	if err := json.Unmarshal([]byte(doc), &props); err != nil || props.ProcessList == nil ||
		len(*props.ProcessList) != 1 || (*props.ProcessList)[0].ProcessID != 100 || (*props.ProcessList)[0].ImageName != "wait" {
		t.Errorf("process list %s", doc)
	}
	if info := h.s.Systems()[0]; info.Processes != 1 {
		t.Errorf("Systems().Processes = %d", info.Processes)
	}

	h.mustCall(func(op backend.Handle) error { return h.b.ShutDownComputeSystem(sys, op, "") })
	if code := h.exitCode(c1); code != 1 {
		t.Errorf("process of a stopped system exited %d", code)
	}
	// Exited processes stay openable with their status.
	for pid, want := range map[uint32]string{
		100: `{"ProcessId":100,"Exited":true,"ExitCode":1,"LastWaitResult":0}`,
		104: `{"ProcessId":104,"Exited":true,"ExitCode":5,"LastWaitResult":0}`,
	} {
		p, err := h.b.OpenProcess(sys, pid)
		if err != nil {
			t.Fatal(err)
		}
		doc := h.mustCall(func(op backend.Handle) error { return h.b.GetProcessProperties(p, op, "") })
		if doc != want {
			t.Errorf("properties of %d = %s, want %s", pid, doc, want)
		}
		h.b.CloseProcess(p)
	}
	_, err := h.b.OpenProcess(sys, 7)
	wantHR(t, err, hcs.ERROR_NOT_FOUND)
	h.b.CloseProcess(p1)
	h.b.CloseProcess(p2)
}

func TestProcessCallbacks(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	_, err := h.b.OpenProcess(sys, 100)
	wantHR(t, err, hcs.ERROR_NOT_FOUND)
	p, _, c1 := h.process(sys, `{"CommandLine":"wait"}`)
	other, err := h.b.OpenProcess(sys, 100)
	if err != nil {
		t.Fatal(err)
	}
	c2 := h.listenProcess(other)
	wantHR(t, h.b.SetProcessCallback(p, 0, 9), hcs.HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET)
	wantHR(t, h.b.SetProcessCallback(other, 5, 9), hcs.E_INVALIDARG)
	doc := h.mustCall(func(op backend.Handle) error { return h.b.GetProcessProperties(other, op, `{}`) })
	if doc != `{"ProcessId":100,"Exited":false,"ExitCode":0,"LastWaitResult":0}` {
		t.Errorf("properties %s", doc)
	}
	_, err = h.call(func(op backend.Handle) error { return h.b.GetProcessProperties(other, op, `{`) })
	wantHR(t, err, hcs.HCS_E_INVALID_JSON)
	h.mustCall(func(op backend.Handle) error { return h.b.TerminateProcess(other, op, "") })
	if h.exitCode(c1) != 1 || h.exitCode(c2) != 1 {
		t.Error("wrong exit codes")
	}
	h.b.CloseProcess(p)
	h.b.CloseProcess(other)
	// A system's callbacks do not receive ProcessExited.
	sctx := h.listen(sys)
	p, _, _ = h.process(sys, `{"CommandLine":"exit"}`)
	h.idle()
	if ev := h.eventsOf(sctx); len(ev) != 0 {
		t.Errorf("system callback got %v", ev)
	}
	h.b.CloseProcess(p)

	// OpenProcess on a forgotten system.
	h.s.FailNext(CallOpenProcess, hcs.E_ACCESSDENIED, "")
	_, err = h.b.OpenProcess(sys, 100)
	wantHR(t, err, hcs.E_ACCESSDENIED)
}
