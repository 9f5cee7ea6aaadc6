package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/schema"
)

func init() {
	scenarios = append(scenarios, []scenario{
		{name: "ProcessExitCodes", fake: true, run: processExitCodes},
		{name: "ProcessEcho", fake: true, run: processEcho},
		{name: "ProcessStdinEcho10MiB", fake: true, run: processCat10MiB},
		{name: "ProcessStderrFloodBeforeStdout", fake: true, run: processStderrFlood},
		{name: "ProcessWaitManyGoroutines", fake: true, run: processWaitMany},
		{name: "ProcessSignalAndTerminate", fake: true, run: processSignalTerminate},
		{name: "ProcessResizeConsole", fake: true, run: processResize},
		{name: "ProcessCloseUnblocksRead", fake: true, run: processCloseUnblocksRead},
		{name: "ProcessRunCancel", fake: true, run: processRunCancel},
		{name: "CancelEachProcessCall", fake: true, faults: true, run: processCancelEach},
		{name: "ProcessOpen", fake: true, run: processOpen},
		{name: "ProcessOpenErrors", fake: true, run: processOpenErrors},
		{name: "ProcessUnknownCommand", fake: true, run: processUnknownCommand},
	}...)
}

func processExitCodes(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "codes")
	for _, code := range []uint32{0, 1, 255, 0xC000013A} {
		st, err := s.Run(ctx, &hcs.Cmd{Args: []string{"exit", itoa(code)}})
		if code == 0 {
			if err != nil || !st.Success() {
				t.Fatalf("exit 0: %v, %v", st, err)
			}
			continue
		}
		var ee *hcs.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("exit %d: error %v, want *hcs.ExitError", code, err)
		}
		if st.ExitCode() != int(code) || ee.ExitCode() != int(code) || st.Success() || !st.Exited() {
			t.Fatalf("exit %d: state %v (code %d)", code, st, st.ExitCode())
		}
	}
}

func itoa(v uint32) string {
	const digits = "0123456789"
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{digits[v%10]}, b...)
	}
	return string(b)
}

func processEcho(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "echo")
	var out, errOut bytes.Buffer
	st, err := s.Run(ctx, &hcs.Cmd{Args: []string{"echo", "hello", "wörld"}, Stdout: &out, Stderr: &errOut})
	if err != nil || !st.Success() {
		t.Fatalf("Run: %v, %v", st, err)
	}
	if got := out.String(); got != "hello wörld\r\n" {
		t.Fatalf("stdout %q, want %q", got, "hello wörld\r\n")
	}
	if errOut.Len() != 0 {
		t.Fatalf("stderr %q, want nothing", errOut.String())
	}
}

func processCat10MiB(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "cat")
	in := make([]byte, 10<<20)
	_, _ = rand.Read(in)
	var out bytes.Buffer
	began := time.Now()
	st, err := s.Run(ctx, &hcs.Cmd{Args: []string{"cat"}, Stdin: bytes.NewReader(in), Stdout: &out})
	elapsed := time.Since(began)
	if err != nil || !st.Success() {
		t.Fatalf("Run: %v, %v", st, err)
	}
	if !bytes.Equal(out.Bytes(), in) {
		t.Fatalf("echoed %d bytes, want the %d sent back unchanged", out.Len(), len(in))
	}
	t.Logf("10 MiB through cat on %s in %v (%.1f MiB/s)", e.target.Name, elapsed, 10/elapsed.Seconds())
}

func processStderrFlood(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "spew")
	var out, errOut countingWriter
	st, err := s.Run(ctx, &hcs.Cmd{Args: []string{"spew", "4194304", "1048576"}, Stdout: &out, Stderr: &errOut})
	if err != nil || !st.Success() {
		t.Fatalf("Run: %v, %v", st, err)
	}
	if errOut.n != 4<<20 || out.n != 1<<20 {
		t.Fatalf("got %d bytes of stderr and %d of stdout, want %d and %d", errOut.n, out.n, 4<<20, 1<<20)
	}
	// One writer for both streams.
	var both countingWriter
	if _, err := s.Run(ctx, &hcs.Cmd{Args: []string{"spew", "65536", "65536"}, Stdout: &both, Stderr: &both}); err != nil {
		t.Fatalf("Run with one writer: %v", err)
	}
	if both.n != 128<<10 {
		t.Fatalf("shared writer got %d bytes, want %d", both.n, 128<<10)
	}
}

type countingWriter struct {
	mu sync.Mutex
	n  int
}

func (w *countingWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n += len(b)
	return len(b), nil
}

// start creates a process running cmd with the given pipes.
func start(t *testing.T, s *hcs.System, cmd string, stdin, stdout bool) *hcs.Process {
	t.Helper()
	p, err := s.CreateProcess(ctxT(t), &schema.ProcessParameters{
		CommandLine:      cmd,
		CreateStdInPipe:  schema.Ptr(stdin),
		CreateStdOutPipe: schema.Ptr(stdout),
	})
	if err != nil {
		t.Fatalf("CreateProcess(%q): %v", cmd, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func processWaitMany(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "pwait")
	p := start(t, s, "wait", false, false)
	if p.ExitCode() != -1 {
		t.Fatalf("ExitCode of a running process = %d, want -1", p.ExitCode())
	}
	var wg sync.WaitGroup
	codes := make(chan int, 10)
	for range 10 {
		wg.Go(func() {
			st, err := p.Wait(ctx)
			if err != nil {
				t.Errorf("Wait: %v", err)
				return
			}
			codes <- st.ExitCode()
		})
	}
	if err := p.Terminate(ctx); err != nil {
		t.Fatalf("Terminate: %v", err)
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 1 {
			t.Errorf("Wait saw exit code %d, want 1 (terminated)", c)
		}
	}
	if p.ExitCode() != 1 {
		t.Errorf("ExitCode = %d, want 1", p.ExitCode())
	}
	p.Close()
	if st, err := p.Wait(ctx); err != nil || st.ExitCode() != 1 {
		t.Errorf("Wait after Close: %v, %v; want the recorded exit", st, err)
	}
}

func processSignalTerminate(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "signal")
	p := start(t, s, "wait", false, false)
	if err := p.Signal(ctx, &schema.SignalProcessOptions{Signal: schema.ProcessSignalCtrlC}); err != nil {
		t.Fatalf("Signal: %v", err)
	}
	st, err := p.Wait(ctx)
	if err != nil || st.ExitCode() != 0xC000013A {
		t.Fatalf("after CtrlC: %v, %v; want exit 0xC000013A", st, err)
	}
	if st.String() != "exit status 0xc000013a" {
		t.Errorf("String() = %q", st.String())
	}
	wantErr(t, p.Signal(ctx, &schema.SignalProcessOptions{Signal: schema.ProcessSignalCtrlC}), hcs.ErrAlreadyStopped, "signal")
	wantErr(t, p.Terminate(ctx), hcs.ErrAlreadyStopped, "terminate process")
	if err := p.Kill(ctx); err != nil {
		t.Fatalf("Kill of an exited process: %v", err)
	}
	// The options are optional: HCS sends its default signal.
	d := start(t, s, "wait", false, false)
	if err := d.Signal(ctx, nil); err != nil {
		t.Fatalf("Signal(nil): %v", err)
	}
	if st, err := d.Wait(ctx); err != nil || st.ExitCode() != 0xC000013A {
		t.Fatalf("after the default signal: %v, %v", st, err)
	}
	q := start(t, s, "wait", false, false)
	for range 2 {
		if err := q.Kill(ctx); err != nil {
			t.Fatalf("Kill: %v", err)
		}
	}
	if st, err := q.Wait(ctx); err != nil || st.ExitCode() != 1 {
		t.Fatalf("after Kill: %v, %v", st, err)
	}
}

func processResize(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "resize")
	p, err := s.CreateProcess(ctx, &schema.ProcessParameters{CommandLine: "wait", EmulateConsole: schema.Ptr(true)})
	if err != nil {
		t.Fatalf("CreateProcess: %v", err)
	}
	defer p.Close()
	if err := p.ResizeConsole(ctx, 120, 40); err != nil {
		t.Fatalf("ResizeConsole: %v", err)
	}
	if err := p.Kill(ctx); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if _, err := p.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	wantErr(t, p.ResizeConsole(ctx, 80, 25), hcs.ErrAlreadyStopped, "modify process")
}

func processCloseUnblocksRead(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "block")
	p := start(t, s, "wait", false, true)
	read := make(chan error, 1)
	out := p.Stdout()
	go func() {
		_, err := out.Read(make([]byte, 1))
		read <- err
	}()
	time.Sleep(20 * time.Millisecond)
	p.Close()
	select {
	case err := <-read:
		if err == nil {
			t.Fatal("Read returned data from a process that wrote nothing")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still blocked 5 s after Close")
	}
	// The process itself still runs: Close does not stop it.
	o, err := s.OpenProcess(ctx, p.PID())
	if err != nil {
		t.Fatalf("OpenProcess: %v", err)
	}
	defer o.Close()
	if err := o.Kill(ctx); err != nil {
		t.Fatalf("Kill: %v", err)
	}
}

func processRunCancel(t *testing.T, e *env) {
	s := e.running(t, "runcancel")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Run copies stdin once CreateProcess has returned: the process runs
	// when the context ends, whatever the time that took.
	var cancelled time.Time
	stdin := readFunc(func(b []byte) (int, error) {
		if cancelled.IsZero() {
			cancelled = time.Now()
			cancel()
		}
		return copy(b, "x"), io.EOF
	})
	var out bytes.Buffer
	st, err := s.Run(ctx, &hcs.Cmd{Args: []string{"wait"}, Stdin: stdin, Stdout: &out})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want the context's error", err)
	}
	if st == nil || st.ExitCode() != 1 {
		t.Fatalf("state of the killed process: %v, want exit status 1 (terminated)", st)
	}
	if d := time.Since(cancelled); d > 10*time.Second {
		t.Fatalf("Run took %v to return after its context ended", d)
	}
}

// readFunc is an io.Reader made of a function.
type readFunc func([]byte) (int, error)

func (f readFunc) Read(b []byte) (int, error) { return f(b) }

// processCancelEach cancels each process call, and a listing, while HCS is
// slow: the call returns the context's error at once, the operation ends in
// the background, and the handles stay usable.
func processCancelEach(t *testing.T, e *env) {
	s := e.running(t, "pcancel")
	ops := []struct {
		name, wireOp, fn string
		do               func(context.Context, *hcs.Process) error
	}{
		{"Properties", "process properties", "HcsGetProcessProperties", func(ctx context.Context, p *hcs.Process) error {
			_, err := p.Properties(ctx)
			return err
		}},
		{"ResizeConsole", "modify process", "HcsModifyProcess", func(ctx context.Context, p *hcs.Process) error {
			return p.ResizeConsole(ctx, 120, 40)
		}},
		{"CloseStdin", "modify process", "HcsModifyProcess", func(ctx context.Context, p *hcs.Process) error { return p.CloseStdin(ctx) }},
		{"Signal", "signal", "HcsSignalProcess", func(ctx context.Context, p *hcs.Process) error { return p.Signal(ctx, nil) }},
		{"Terminate", "terminate process", "HcsTerminateProcess", func(ctx context.Context, p *hcs.Process) error { return p.Terminate(ctx) }},
	}
	// The abandoned signal and termination still take effect.
	stops := map[string]bool{"Signal": true, "Terminate": true}
	cancelled := func(t *testing.T, wireOp, fn string, do func(context.Context) error) {
		t.Helper()
		ctx, release := e.abandon(t, fn)
		defer release()
		wantAbandoned(t, ctx, do(ctx), wireOp)
		release()
		if err := e.h.Drain(ctxT(t)); err != nil {
			t.Fatalf("Drain: %v", err)
		}
	}
	for _, o := range ops {
		t.Run(o.name, func(t *testing.T) {
			p := start(t, s, "wait", true, false)
			cancelled(t, o.wireOp, o.fn, func(ctx context.Context) error { return o.do(ctx, p) })
			if _, err := p.Properties(ctxT(t)); err != nil {
				t.Fatalf("Properties after the cancelled %s: %v", o.name, err)
			}
			if stops[o.name] {
				if _, err := p.Wait(ctxT(t)); err != nil {
					t.Fatalf("Wait after the cancelled %s: %v", o.name, err)
				}
			}
		})
	}
	t.Run("ListSystems", func(t *testing.T) {
		cancelled(t, "list", "HcsEnumerateComputeSystems", func(ctx context.Context) error {
			_, err := e.h.ListByOwner(ctx, e.owner)
			return err
		})
		if _, ok := e.listed(t, s.ID()); !ok {
			t.Fatalf("%s not listed after the cancelled listing", s.ID())
		}
	})
}

func processOpen(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "popen")
	p := start(t, s, "wait", true, true)
	o, err := s.OpenProcess(ctx, p.PID())
	if err != nil {
		t.Fatalf("OpenProcess: %v", err)
	}
	defer o.Close()
	if o.PID() != p.PID() || o.Stdin() != nil || o.Stdout() != nil || o.Stderr() != nil {
		t.Fatalf("opened process: pid %d, pipes %v %v %v; want pid %d and no pipes", o.PID(), o.Stdin(), o.Stdout(), o.Stderr(), p.PID())
	}
	st, err := o.Properties(ctx)
	if err != nil || st.ProcessID == nil || *st.ProcessID != p.PID() || (st.Exited != nil && *st.Exited) {
		t.Fatalf("Properties: %+v, %v", st, err)
	}
	if err := o.Terminate(ctx); err != nil {
		t.Fatalf("Terminate through the opened handle: %v", err)
	}
	if st, err := p.Wait(ctx); err != nil || st.ExitCode() != 1 {
		t.Fatalf("creator's Wait: %v, %v", st, err)
	}
	if _, err := io.ReadAll(p.Stdout()); err != nil {
		t.Fatalf("reading the exited process's stdout: %v", err)
	}
	if err := p.CloseStdin(ctx); err != nil {
		t.Fatalf("CloseStdin after exit: %v", err)
	}
}

func processOpenErrors(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "perr")
	_, err := s.OpenProcess(ctx, 999999)
	wantErr(t, err, hcs.ErrNotFound, "open process")
	var he *hcs.Error
	if errors.As(err, &he); he.PID != 999999 || he.ID != s.ID() {
		t.Fatalf("error %+v does not name the process and the system", he)
	}
	c := e.running(t, "pclosed")
	c.Close()
	_, err = c.OpenProcess(ctx, 4)
	wantErr(t, err, hcs.ErrClosed, "open process")
	_, err = c.CreateProcess(ctx, &schema.ProcessParameters{CommandLine: "echo"})
	wantErr(t, err, hcs.ErrClosed, "create process")
	stopped := e.create(t, "pstopped")
	_, err = stopped.CreateProcess(ctx, &schema.ProcessParameters{CommandLine: "echo"})
	wantErr(t, err, hcs.ErrInvalidState, "create process")
	_, err = s.CreateProcess(ctx, nil)
	wantErr(t, err, hcs.ErrInvalidArgument, "create process")
	// Terminate the closed system through a new handle.
	e.terminate(t, c.ID())
}

func processUnknownCommand(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "unknown")
	_, err := s.Run(ctx, &hcs.Cmd{Args: []string{"no-such-program.exe"}})
	wantErr(t, err, hcs.ErrNotFound, "create process")
	_, err = s.Run(ctx, &hcs.Cmd{})
	wantErr(t, err, hcs.ErrInvalidArgument, "run")
}
