package hcssim

import (
	"context"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
)

// Tests of the behaviours of real HCS that make the simulator less kind
// than a naive model: orders HCS does not promise, and what hcsshim's
// comments report of real hosts.

func TestSeed(t *testing.T) {
	if got := New(WithSeed(42)).Seed(); got != 42 {
		t.Errorf("Seed() = %d, want 42", got)
	}
	t.Setenv(SeedEnv, "7")
	if got := New().Seed(); got != 7 {
		t.Errorf("Seed() with %s=7: %d", SeedEnv, got)
	}
	if got := New(WithSeed(9)).Seed(); got != 9 {
		t.Errorf("WithSeed does not override %s: %d", SeedEnv, got)
	}
	os.Unsetenv(SeedEnv)
	if a, b := New().Seed(), New().Seed(); a == b {
		t.Errorf("two Sims without a seed share seed %d", a)
	}
}

func TestExitDuringNextRespectsState(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	ctx := h.listen(sys)
	h.s.ExitDuringNext(CallStart)
	_, err := h.call(h.start(sys))
	wantHR(t, err, hcs.HCS_E_INVALID_STATE)
	h.idle()
	if got := h.state("s"); got != stateRunning {
		t.Errorf("state = %s after an invalid start, want Running", got)
	}
	if ev := h.eventsOf(ctx); len(ev) != 0 {
		t.Errorf("events %v after an invalid start", ev)
	}
}

// TestProcessCallsQueuePerSystemHandle checks that the calls on a process
// through one system handle run one at a time, so that a termination waits
// behind a pending signal unless it goes through another system handle
// (hcsshim, internal/hcs/process.go, Kill).
func TestProcessCallsQueuePerSystemHandle(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	p, info, _ := h.process(sys, `{"CommandLine":"wait"}`)
	defer h.b.CloseProcess(p)
	hold := h.s.HoldNext(CallSignalProcess)
	signal, signalled := h.op()
	if err := h.b.SignalProcess(p, signal, `{"Signal":"CtrlBreak"}`); err != nil {
		t.Fatal(err)
	}
	// Behind it: a termination through the same handle, and one through
	// another handle of the process opened through the same system handle.
	terminate, terminated := h.op()
	if err := h.b.TerminateProcess(p, terminate, ""); err != nil {
		t.Fatal(err)
	}
	same, err := h.b.OpenProcess(sys, info.PID)
	if err != nil {
		t.Fatal(err)
	}
	defer h.b.CloseProcess(same)
	terminate2, terminated2 := h.op()
	if err := h.b.TerminateProcess(same, terminate2, ""); err != nil {
		t.Fatal(err)
	}
	// Through another system handle, the termination runs at once.
	other, err := h.b.OpenComputeSystem("s")
	if err != nil {
		t.Fatal(err)
	}
	defer h.b.CloseComputeSystem(other)
	otherP, err := h.b.OpenProcess(other, info.PID)
	if err != nil {
		t.Fatal(err)
	}
	defer h.b.CloseProcess(otherP)
	h.mustCall(func(op backend.Handle) error { return h.b.TerminateProcess(otherP, op, "") })
	if isDone(terminated) || isDone(terminated2) || isDone(signalled) {
		t.Fatal("a call queued behind the held signal completed")
	}
	hold.Release()
	_, err = h.await(signal, signalled)
	wantHR(t, err, hcs.HCS_E_PROCESS_ALREADY_STOPPED)
	for _, c := range []struct {
		op   backend.Handle
		done chan struct{}
	}{{terminate, terminated}, {terminate2, terminated2}} {
		_, err = h.await(c.op, c.done)
		wantHR(t, err, hcs.HCS_E_PROCESS_ALREADY_STOPPED)
	}
}

// TestOutputEndsAfterExit checks that a process's output may reach end of
// file a moment after the process exits, and that nothing written before
// the exit is lost either way.
func TestOutputEndsAfterExit(t *testing.T) {
	late := map[bool]bool{}
	for seed := range uint64(16) {
		h := newHarness(t, WithSeed(seed))
		written := make(chan struct{})
		h.s.HandleCommand("say", func(ctx context.Context, p *ProcessIO) uint32 {
			io.WriteString(p.Stdout, "said")
			close(written)
			<-ctx.Done()
			return 0
		})
		sys := h.system("s", stateRunning)
		p, info, _ := h.process(sys, `{"CommandLine":"say","CreateStdOutPipe":true}`)
		<-written
		h.s.mu.Lock()
		proc := h.s.lookupProcess("test", p).proc
		h.s.exitProcess(proc, 1, ErrTerminated, false)
		_, waiting := h.s.lateEOF[proc]
		h.s.mu.Unlock()
		late[waiting] = true
		if rest, err := io.ReadAll(info.Stdout); err != nil || string(rest) != "said" {
			t.Errorf("seed %d: after the exit, read %q, %v; want the output written before it", seed, rest, err)
		}
		info.Stdout.Close()
		h.b.CloseProcess(p)
	}
	if !late[true] || !late[false] {
		t.Fatalf("16 seeds gave only late end of file %v", late)
	}
}

func TestPendingShutdownEndsWhenSystemStops(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	hold := h.s.HoldNext(CallShutdown)
	defer hold.Release()
	shutdown, shut := h.op()
	if err := h.b.ShutDownComputeSystem(sys, shutdown, ""); err != nil {
		t.Fatal(err)
	}
	h.mustCall(func(op backend.Handle) error { return h.b.TerminateComputeSystem(sys, op, "") })
	_, err := h.await(shutdown, shut) // held, yet it ends with the system
	wantHR(t, err, hcs.HCS_E_SYSTEM_ALREADY_STOPPED)
}

func TestHoldNext(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateCreated)
	hold := h.s.HoldNext(CallStart)
	if isDone(hold.Made()) {
		t.Fatal("Made before the call")
	}
	op, done := h.op()
	if err := h.b.StartComputeSystem(sys, op, ""); err != nil {
		t.Fatal(err)
	}
	if !isDone(hold.Made()) {
		t.Fatal("not Made after the call")
	}
	if _, err := h.b.GetOperationResult(op); err != hcs.HCS_E_OPERATION_PENDING {
		t.Fatalf("held operation: %v, want HCS_E_OPERATION_PENDING", err)
	}
	h.mustCall(func(op backend.Handle) error { return h.b.GetComputeSystemProperties(sys, op, "") }) // others go on
	hold.Release()
	hold.Release()
	if _, err := h.await(op, done); err != nil {
		t.Fatal(err)
	}
	// Released before the call: the call is not held.
	h.s.HoldNext(CallPause).Release()
	h.mustCall(h.pause(sys))
	// Close ends a held operation.
	h.s.HoldNext(CallResume)
	op, done = h.op()
	if err := h.b.ResumeComputeSystem(sys, op, ""); err != nil {
		t.Fatal(err)
	}
	h.s.Close()
	_, err := h.await(op, done)
	wantHR(t, err, hcs.HCS_E_SERVICE_DISCONNECT)
}

func TestFailCreateProcessRunning(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	h.s.FailNextCreateProcessRunning(hcs.E_INVALIDARG)
	p, info, ctx, doc, err := h.tryProcess(sys, `{"CommandLine":"cat","CreateStdInPipe":true,"CreateStdOutPipe":true}`)
	wantHR(t, err, hcs.E_INVALIDARG)
	wantResultError(t, doc, hcs.E_INVALIDARG, string(CallCreateProcess))
	if info != (backend.ProcessInfo{}) {
		t.Errorf("failed creation gave %+v", info)
	}
	if got := h.s.Systems()[0].Processes; got != 1 {
		t.Fatalf("%d processes run, want the one whose creation failed", got)
	}
	// The handle reaches the process, and HcsGetProcessInfo its pipes.
	op, done := h.op()
	if err := h.b.GetProcessInfo(p, op); err != nil {
		t.Fatal(err)
	}
	<-done
	got, _, err := h.b.GetOperationResultAndProcessInfo(op)
	h.b.CloseOperation(op)
	if err != nil || got.PID == 0 || got.Stdin == nil || got.Stdout == nil {
		t.Fatalf("GetProcessInfo = %+v, %v", got, err)
	}
	if _, err := got.Stdin.Write([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	got.Stdin.Close()
	if out, err := io.ReadAll(got.Stdout); err != nil || string(out) != "hi" {
		t.Errorf("output %q, %v", out, err)
	}
	got.Stdout.Close()
	if code := h.exitCode(ctx); code != 0 {
		t.Errorf("exit code %d", code)
	}
	h.b.CloseProcess(p)
}

func TestDropNextProcessExit(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	p, _, ctx := h.process(sys, `{"CommandLine":"wait"}`)
	defer h.b.CloseProcess(p)
	h.s.DropNextProcessExit()
	h.mustCall(func(op backend.Handle) error { return h.b.TerminateProcess(p, op, "") })
	h.idle()
	if ev := h.eventsOf(ctx); len(ev) != 0 {
		t.Fatalf("events %v, want none", ev)
	}
	doc := h.mustCall(func(op backend.Handle) error { return h.b.GetProcessProperties(p, op, "") })
	if doc != `{"ProcessId":100,"Exited":true,"ExitCode":1,"LastWaitResult":0}` {
		t.Errorf("properties %s, want the exit", doc)
	}
	// Only the next exit.
	q, _, qctx := h.process(sys, `{"CommandLine":"exit 3"}`)
	defer h.b.CloseProcess(q)
	if code := h.exitCode(qctx); code != 3 {
		t.Errorf("exit code %d, want 3", code)
	}
}

func TestStoppedProcessError(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	p, _, ctx := h.process(sys, `{"CommandLine":"exit 0"}`)
	defer h.b.CloseProcess(p)
	h.exitCode(ctx)
	legacy := hcs.HRESULT(int32(-0x3FC8FEE1)) // 0xC037011F
	for _, hr := range []hcs.HRESULT{hcs.E_ACCESSDENIED, legacy, 0} {
		h.s.SetStoppedProcessError(hr)
		want := hr
		if hr == 0 {
			want = hcs.HCS_E_PROCESS_ALREADY_STOPPED
		}
		for name, call := range map[string]func(op backend.Handle) error{
			"terminate": func(op backend.Handle) error { return h.b.TerminateProcess(p, op, "") },
			"signal":    func(op backend.Handle) error { return h.b.SignalProcess(p, op, "") },
			"modify": func(op backend.Handle) error {
				return h.b.ModifyProcess(p, op, `{"Operation":"ConsoleSize","ConsoleSize":{"Height":1,"Width":1}}`)
			},
			"get info": func(op backend.Handle) error { return h.b.GetProcessInfo(p, op) },
		} {
			_, err := h.call(call)
			if hr, ok := err.(hcs.HRESULT); !ok || hr != want {
				t.Errorf("%s of an exited process with %#x set: %v, want %v", name, uint32(hr), err, want)
			}
		}
	}
}

func TestSystemExitDropsProcessExits(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(strconv.FormatBool(on), func(t *testing.T) {
			h := newHarness(t)
			sys := h.system("s", stateRunning)
			p, _, ctx := h.process(sys, `{"CommandLine":"wait"}`)
			defer h.b.CloseProcess(p)
			h.s.SystemExitDropsProcessExits(on)
			h.mustCall(func(op backend.Handle) error { return h.b.TerminateComputeSystem(sys, op, "") })
			h.idle()
			if n := len(h.eventsOf(ctx)); n == 0 != on {
				t.Errorf("%d ProcessExited events", n)
			}
		})
	}
}
