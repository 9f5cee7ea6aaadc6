package hcs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/schema"
)

// Regression tests for handle ownership and Run, driven through a spy
// around the simulator's backend that counts native closes.

const testConfig = `{"SchemaVersion":{"Major":2,"Minor":1},"Owner":"hcs-test","Container":{}}`

// spy wraps a backend, counting closes and the operations pending on each
// system handle.
type spy struct {
	backend.Backend
	duplicateCompletions bool
	garbleExitEvents     bool          // replace ProcessExited documents with junk
	dropStdout           bool          // close the stdout pipe HCS gives and report none
	extraStdout          *closeCounter // a stdout pipe to give when none was asked for
	// beforeSystemCallback runs before the first event callback is set on
	// a system handle.
	beforeSystemCallback func(backend.Handle)
	// failProperties, when not nil, makes process property reads fail with
	// what it returns, unless nil.
	failProperties func() error

	mu            sync.Mutex
	procClosed    map[backend.Handle]int
	pendingOnSys  map[backend.Handle]int
	opSystem      map[backend.Handle]backend.Handle
	closedPending []backend.Handle
}

func (s *spy) Init(cb backend.Callbacks) {
	complete := cb.Completion
	cb.Completion = func(op backend.Handle, ctx uintptr) {
		s.mu.Lock()
		if sys, ok := s.opSystem[op]; ok {
			s.pendingOnSys[sys]--
			delete(s.opSystem, op)
		}
		s.mu.Unlock()
		complete(op, ctx)
		if s.duplicateCompletions {
			complete(op, ctx)
		}
	}
	event := cb.Event
	cb.Event = func(ctx uintptr, e backend.Event) {
		if s.garbleExitEvents && e.Type == backend.EventProcessExited {
			e.Data = `{"ExitCode": "not a number"`
		}
		event(ctx, e)
	}
	s.Backend.Init(cb)
}

func (s *spy) CloseProcess(h backend.Handle) {
	s.mu.Lock()
	s.procClosed[h]++
	s.mu.Unlock()
	s.Backend.CloseProcess(h)
}

func (s *spy) CloseComputeSystem(h backend.Handle) {
	s.mu.Lock()
	if s.pendingOnSys[h] > 0 {
		s.closedPending = append(s.closedPending, h)
	}
	s.mu.Unlock()
	s.Backend.CloseComputeSystem(h)
}

func (s *spy) CreateProcess(sys backend.Handle, params string, op backend.Handle) (backend.Handle, error) {
	s.mu.Lock()
	s.pendingOnSys[sys]++
	s.opSystem[op] = sys
	s.mu.Unlock()
	h, err := s.Backend.CreateProcess(sys, params, op)
	s.opened(h)
	return h, err
}

func (s *spy) OpenProcess(sys backend.Handle, pid uint32) (backend.Handle, error) {
	h, err := s.Backend.OpenProcess(sys, pid)
	s.opened(h)
	return h, err
}

// opened starts counting the closes of a new process handle afresh: the
// value of a closed handle may come back.
func (s *spy) opened(h backend.Handle) {
	if h == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.procClosed, h)
}

func (s *spy) GetOperationResultAndProcessInfo(op backend.Handle) (backend.ProcessInfo, string, error) {
	info, doc, err := s.Backend.GetOperationResultAndProcessInfo(op)
	if s.dropStdout && info.Stdout != nil {
		info.Stdout.Close()
		info.Stdout = nil
	}
	if s.extraStdout != nil && err == nil && info.PID != 0 && info.Stdout == nil {
		info.Stdout = s.extraStdout
	}
	return info, doc, err
}

func (s *spy) SetComputeSystemCallback(h backend.Handle, options uint32, ctx uintptr) error {
	s.mu.Lock()
	hook := s.beforeSystemCallback
	s.beforeSystemCallback = nil
	s.mu.Unlock()
	if hook != nil {
		hook(h)
	}
	return s.Backend.SetComputeSystemCallback(h, options, ctx)
}

func (s *spy) GetProcessProperties(h, op backend.Handle, query string) error {
	if s.failProperties != nil {
		if err := s.failProperties(); err != nil {
			return err
		}
	}
	return s.Backend.GetProcessProperties(h, op, query)
}

// closeCounter is an io.ReadCloser with nothing to read that counts its
// closes.
type closeCounter struct{ n atomic.Int32 }

func (c *closeCounter) Read([]byte) (int, error) { return 0, io.EOF }
func (c *closeCounter) Close() error             { c.n.Add(1); return nil }

func (s *spy) checkClosedOnce(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, n := range s.procClosed {
		if n != 1 {
			t.Errorf("process handle %#x closed %d times", h, n)
		}
	}
	if len(s.closedPending) > 0 {
		t.Errorf("system handles closed while an operation was pending on them: %v", s.closedPending)
	}
}

// spyHost returns a host over sim whose backend is watched by a spy.
func spyHost(t *testing.T, sim *hcssim.Sim) (*hcs.Host, *spy) {
	t.Helper()
	var sp *spy
	newHost := backend.NewHost
	backend.NewHost = func(b backend.Backend, opts any) any {
		sp = &spy{Backend: b, procClosed: map[backend.Handle]int{},
			pendingOnSys: map[backend.Handle]int{}, opSystem: map[backend.Handle]backend.Handle{}}
		return newHost(sp, opts)
	}
	defer func() { backend.NewHost = newHost }()
	return sim.Host(), sp
}

func TestCreateProcessFailureClosesOnce(t *testing.T) {
	sim := newSim(t)
	h, sp := spyHost(t, sim)
	s := runningSystem(t, h, "once")
	ctx := context.Background()
	// The failure is reported as the caller's call, with HCS's code.
	wantOp := func(err error, op string) {
		t.Helper()
		var he *hcs.Error
		if !errors.As(err, &he) || he.Op != op || !errors.Is(err, hcs.E_FAIL) {
			t.Fatalf("error %v, want an *hcs.Error of op %q matching E_FAIL", err, op)
		}
	}
	sim.FailNext(hcssim.CallGetProcessProperties, hcs.E_FAIL, "injected")
	_, err := s.CreateProcess(ctx, &schema.ProcessParameters{CommandLine: "wait", CreateStdOutPipe: schema.Ptr(true)})
	wantOp(err, "create process")
	p, err := s.CreateProcess(ctx, &schema.ProcessParameters{CommandLine: "wait"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sim.FailNext(hcssim.CallGetProcessProperties, hcs.E_FAIL, "injected")
	_, err = s.OpenProcess(ctx, p.PID())
	wantOp(err, "open process")
	if err := p.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	p.Close()
	drain(t, h, sim)
	sp.checkClosedOnce(t)
	if n := sim.LiveHandles(); n != 1 { // the system's
		t.Errorf("%d handles open, want 1", n)
	}
}

func TestSystemOutlivesAbandonedCreateProcess(t *testing.T) {
	sim := newSim(t)
	h, sp := spyHost(t, sim)
	s := runningSystem(t, h, "pending")
	create := sim.HoldNext(hcssim.CallCreateProcess)
	defer create.Release()
	if _, err := s.CreateProcess(abandonOnceMade(t, create), &schema.ProcessParameters{CommandLine: "wait"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateProcess: %v, want the context's error", err)
	}
	s.Close()
	create.Release()
	drain(t, h, sim)
	sp.checkClosedOnce(t)
}

func TestDuplicateCompletionCleansUpOnce(t *testing.T) {
	sim := newSim(t)
	h, sp := spyHost(t, sim)
	sp.duplicateCompletions = true
	create := sim.HoldNext(hcssim.CallCreateSystem)
	defer create.Release()
	if _, err := h.CreateSystem(abandonOnceMade(t, create), "dup", testConfig); !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateSystem: %v", err)
	}
	create.Release()
	drain(t, h, sim)
	if infos := sim.Systems(); len(infos) != 0 {
		t.Fatalf("systems left: %+v", infos)
	}
}

func TestDrainWhileCallsAreAbandoned(t *testing.T) {
	sim := newSim(t, hcssim.WithLatency(2*time.Millisecond))
	h := sim.Host()
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			_ = h.Drain(ctx)
		}
	})
	for range 50 {
		c, cancel := context.WithTimeout(ctx, time.Millisecond)
		_, _ = h.ListSystems(c, nil)
		cancel()
	}
	close(stop)
	wg.Wait()
	drain(t, h, sim)
}

type funcWriter func([]byte) (int, error)

func (f funcWriter) Write(b []byte) (int, error) { return f(b) }

func TestRunWithUncomparableWriter(t *testing.T) {
	sim := newSim(t)
	s := runningSystem(t, sim.Host(), "cmp")
	var mu sync.Mutex
	var got []byte
	w := funcWriter(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, b...)
		return len(b), nil
	})
	if _, err := s.Run(context.Background(), &hcs.Cmd{Args: []string{"echo", "hi"}, Stdout: w, Stderr: w}); err != nil {
		t.Fatal(err)
	}
	if string(got) != "hi\r\n" {
		t.Fatalf("output %q", got)
	}
}

func TestProcessWaitEndsOnDisconnect(t *testing.T) {
	sim := newSim(t)
	s := runningSystem(t, sim.Host(), "disc")
	ctx := context.Background()
	p, err := s.CreateProcess(ctx, &schema.ProcessParameters{CommandLine: "wait"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sim.Disconnect()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := p.Wait(wctx); !errors.Is(err, hcs.ErrServiceDisconnect) {
		t.Errorf("Wait after the service disconnected: %v", err)
	}
	sim.Reconnect()
}

func TestRunWaitDelayBoundsBlockedStdin(t *testing.T) {
	sim := newSim(t)
	s := runningSystem(t, sim.Host(), "stdin")
	pr, pw := io.Pipe()
	defer pw.Close() // ends the copy Run left behind
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := s.Run(ctx, &hcs.Cmd{Args: []string{"wait"}, Stdin: pr, Stdout: io.Discard, WaitDelay: 100 * time.Millisecond})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Run: %v, want the context's error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run still blocked 5 s after its context ended, with WaitDelay set")
	}
}

func TestRunEmulateConsoleHasNoStderr(t *testing.T) {
	sim := newSim(t)
	s := runningSystem(t, sim.Host(), "tty")
	var out, errOut writerBuf
	_, err := s.Run(context.Background(), &hcs.Cmd{Args: []string{"echo", "hi"},
		ProcessParameters: &schema.ProcessParameters{EmulateConsole: schema.Ptr(true)}, Stdout: &out, Stderr: &errOut})
	if err != nil {
		t.Fatal(err)
	}
	if string(out.b) != "hi\r\n" {
		t.Fatalf("console output %q", out.b)
	}
}

type writerBuf struct {
	mu sync.Mutex
	b  []byte
}

func (w *writerBuf) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b = append(w.b, p...)
	return len(p), nil
}

func TestUnreadableExitDocumentFallsBackToProperties(t *testing.T) {
	sim := newSim(t)
	h, sp := spyHost(t, sim)
	sp.garbleExitEvents = true
	s := runningSystem(t, h, "garbled")
	ctx := context.Background()
	p, err := s.CreateProcess(ctx, &schema.ProcessParameters{CommandLine: "wait"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Terminate(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := p.Wait(ctx)
	if err != nil || st.ExitCode() != 1 {
		t.Fatalf("Wait: %v, %v; want exit code 1 from the process's properties", st, err)
	}
}

func TestLoggingNamesCallsAndNeverDocuments(t *testing.T) {
	sim := newSim(t)
	var buf writerBuf
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := runningSystem(t, sim.Host(hcs.WithLogger(logger)), "logged")
	const secret = "s3cr3t-value"
	_, err := s.Run(context.Background(), &hcs.Cmd{
		Args:              []string{"exit", "3"},
		ProcessParameters: &schema.ProcessParameters{Environment: map[string]string{"TOKEN": secret}},
	})
	if err == nil {
		t.Fatal("exit 3 gave no error")
	}
	log := string(buf.b)
	for _, want := range []string{"op=start", "id=logged", "op=\"create process\"", "pid="} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, secret) || strings.Contains(err.Error(), secret) {
		t.Errorf("an environment value reached the log or the error:\n%s\n%v", log, err)
	}
}

func TestOutput(t *testing.T) {
	sim := newSim(t)
	// noisy writes n bytes of a counting pattern to stderr in uneven
	// chunks, "out" to stdout, and exits 3.
	pattern := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a' + byte(i%26)
		}
		return b
	}
	sim.HandleCommand("noisy", func(ctx context.Context, p *hcssim.ProcessIO) uint32 {
		n, _ := strconv.Atoi(p.Args[1])
		b := pattern(n)
		for chunk := 1; len(b) > 0; chunk = chunk*3 + 1 {
			k := min(chunk, len(b))
			p.Stderr.Write(b[:k])
			b = b[k:]
		}
		io.WriteString(p.Stdout, "out")
		return 3
	})
	s := runningSystem(t, sim.Host(), "output")
	ctx := context.Background()

	out, err := s.Output(ctx, &hcs.Cmd{Args: []string{"echo", "hi"}})
	if err != nil || string(out) != "hi\r\n" {
		t.Errorf("Output(echo hi) = %q, %v", out, err)
	}

	const kept = 32 << 10
	for _, n := range []int{0, 100, 2 * kept, 2*kept + 1, 5*kept + 17} {
		cmd := &hcs.Cmd{Args: []string{"noisy", strconv.Itoa(n)}}
		out, err := s.Output(ctx, cmd)
		var exit *hcs.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 3 {
			t.Fatalf("noisy %d: %v, want an exit error with code 3", n, err)
		}
		if string(out) != "out" {
			t.Errorf("noisy %d: stdout %q", n, out)
		}
		if cmd.Stdout != nil || cmd.Stderr != nil {
			t.Errorf("Output modified the Cmd")
		}
		full := pattern(n)
		want := full
		if n > 2*kept {
			want = append(append([]byte(nil), full[:kept]...),
				fmt.Sprintf("\n... omitting %d bytes ...\n", n-2*kept)...)
			want = append(want, full[n-kept:]...)
		}
		if !bytes.Equal(exit.Stderr, want) {
			t.Errorf("noisy %d: Stderr has %d bytes, want %d; starts %.40q, ends %.40q", n, len(exit.Stderr), len(want),
				exit.Stderr, exit.Stderr[max(0, len(exit.Stderr)-40):])
		}
	}

	// A Stderr of the caller's gets the stream; the ExitError does not.
	var errOut writerBuf
	_, err = s.Output(ctx, &hcs.Cmd{Args: []string{"noisy", "10"}, Stderr: &errOut})
	var exit *hcs.ExitError
	if !errors.As(err, &exit) {
		t.Errorf("Output with Stderr set: %v, want an exit error", err)
	} else if exit.Stderr != nil || string(errOut.b) != "abcdefghij" {
		t.Errorf("Output with Stderr set: ExitError.Stderr %q, writer got %q", exit.Stderr, errOut.b)
	}

	// Cancelled: the context's error, and the standard error so far.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sim.HandleCommand("stuck", func(ctx context.Context, p *hcssim.ProcessIO) uint32 {
		io.WriteString(p.Stderr, "partial")
		// Run copies stdin once CreateProcess has returned: cancel then.
		io.ReadFull(p.Stdin, make([]byte, 1))
		cancel()
		<-ctx.Done()
		return 1
	})
	_, err = s.Output(cctx, &hcs.Cmd{Args: []string{"stuck"}, Stdin: strings.NewReader("x")})
	if !errors.Is(err, context.Canceled) || !errors.As(err, &exit) || string(exit.Stderr) != "partial" {
		t.Errorf("Output cancelled: %v (stderr %q), want the context's error and the stderr so far", err, exitStderr(err))
	}

	// A console has one stream: the whole output is stdout.
	out, err = s.Output(ctx, &hcs.Cmd{Args: []string{"sleep", "soon"},
		ProcessParameters: &schema.ProcessParameters{EmulateConsole: schema.Ptr(true)}})
	if !errors.As(err, &exit) || len(exit.Stderr) != 0 || !strings.Contains(string(out), "bad duration") {
		t.Errorf("Output with a console: %q, %v (stderr %q)", out, err, exitStderr(err))
	}

	_, err = s.Output(ctx, &hcs.Cmd{Args: []string{"echo"}, Stdout: io.Discard})
	if !errors.Is(err, hcs.ErrInvalidArgument) || !strings.Contains(err.Error(), "Stdout already set") {
		t.Errorf("Output with Stdout set: %v", err)
	}
}

// exitStderr returns the Stderr of the *hcs.ExitError in err, if any.
func exitStderr(err error) []byte {
	var exit *hcs.ExitError
	if errors.As(err, &exit) {
		return exit.Stderr
	}
	return nil
}

// TestRunWriterFailureClosesPipe is the regression test of a Run that hung
// until its context ended when the caller's writer failed: the copy gave
// up without closing the pipe, so the process filled it and blocked.
func TestRunWriterFailureClosesPipe(t *testing.T) {
	sim := newSim(t)
	s := runningSystem(t, sim.Host(), "broken")
	errWrite := errors.New("the reader went away")
	broken := funcWriter(func([]byte) (int, error) { return 0, errWrite })
	for _, tc := range []struct {
		name string
		cmd  *hcs.Cmd
	}{
		{"Stdout", &hcs.Cmd{Args: []string{"spew", "0", "1048576"}, Stdout: broken, Stderr: io.Discard}},
		{"Stderr", &hcs.Cmd{Args: []string{"spew", "1048576", "0"}, Stdout: io.Discard, Stderr: broken}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), hangTimeout)
			defer cancel()
			st, err := s.Run(ctx, tc.cmd)
			if ctx.Err() != nil {
				t.Fatalf("Run hung until its context ended: %v", err)
			}
			if !errors.Is(err, errWrite) {
				t.Fatalf("Run: %v, want the writer's error", err)
			}
			// The process's writes failed once the pipe was closed: spew exits 1.
			var exit *hcs.ExitError
			if !errors.As(err, &exit) || st == nil || st.ExitCode() != 1 {
				t.Errorf("Run: %v, %v; want also the process's exit status 1", st, err)
			}
		})
	}
}

// TestRunCancelKeepsOutput is the regression test of the output a process
// wrote before its context ended being lost: Run closed the pipes before
// the copies had drained them.
func TestRunCancelKeepsOutput(t *testing.T) {
	sim := newSim(t)
	written := make(chan struct{}, 1)
	sim.HandleCommand("partial", func(ctx context.Context, p *hcssim.ProcessIO) uint32 {
		// Run copies stdin once CreateProcess has returned: write then.
		io.ReadFull(p.Stdin, make([]byte, 1))
		io.WriteString(p.Stdout, "partial out")
		io.WriteString(p.Stderr, "partial err")
		written <- struct{}{}
		<-ctx.Done()
		return 1
	})
	s := runningSystem(t, sim.Host(), "partial")
	for i := range 50 {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-written
			cancel()
		}()
		out, err := s.Output(ctx, &hcs.Cmd{Args: []string{"partial"}, Stdin: strings.NewReader("x")})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("run %d: %v, want the context's error", i, err)
		}
		if string(out) != "partial out" || string(exitStderr(err)) != "partial err" {
			t.Fatalf("run %d: stdout %q, stderr %q; want what the process wrote before the cancel", i, out, exitStderr(err))
		}
	}
}

// TestRunMissingPipe checks that Run copies the pipes HCS gave, when it
// gave fewer than asked for.
func TestRunMissingPipe(t *testing.T) {
	sim := newSim(t)
	h, sp := spyHost(t, sim)
	sp.dropStdout = true
	s := runningSystem(t, h, "nopipe")
	var out, errOut writerBuf
	st, err := s.Run(context.Background(), &hcs.Cmd{Args: []string{"spew", "3", "0"}, Stdout: &out, Stderr: &errOut})
	if err != nil || !st.Success() {
		t.Fatalf("Run: %v, %v", st, err)
	}
	if len(out.b) != 0 || string(errOut.b) != "EEE" {
		t.Errorf("stdout %q, stderr %q; want only the stderr HCS gave", out.b, errOut.b)
	}
}
