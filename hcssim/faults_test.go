package hcssim

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
)

func TestFailNext(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateCreated)
	h.s.FailNext(CallStart, hcs.HCS_E_CONNECT_FAILED, "injected")
	h.s.FailNext(CallStart, hcs.E_ACCESSDENIED, "again")
	doc, err := h.call(h.start(sys))
	wantHR(t, err, hcs.HCS_E_CONNECT_FAILED)
	wantResultError(t, doc, hcs.HCS_E_CONNECT_FAILED, string(CallStart), `"s"`, "injected")
	_, err = h.call(h.start(sys))
	wantHR(t, err, hcs.E_ACCESSDENIED)
	if got := h.state("s"); got != stateCreated {
		t.Fatalf("failed start changed the state to %s", got)
	}
	h.mustCall(h.start(sys)) // faults are used up

	// A failed creation leaves no system behind.
	h.s.FailNext(CallCreateSystem, hcs.HCS_E_IMAGE_MISMATCH, "wrong image")
	sys2, doc, err := h.create("c", container("o"))
	wantHR(t, err, hcs.HCS_E_IMAGE_MISMATCH)
	wantResultError(t, doc, hcs.HCS_E_IMAGE_MISMATCH, "wrong image")
	h.b.CloseComputeSystem(sys2)
	if h.state("c") != "" {
		t.Error("failed creation is listed")
	}

	// Calls without an operation fail synchronously.
	h.s.FailNext(CallOpenSystem, hcs.HCS_E_ACCESS_DENIED, "no")
	_, err = h.b.OpenComputeSystem("s")
	wantHR(t, err, hcs.HCS_E_ACCESS_DENIED)
	h.s.FailNext(CallGetServiceProperties, hcs.E_FAIL, "service says no")
	doc, err = h.b.GetServiceProperties("")
	wantHR(t, err, hcs.E_FAIL)
	wantResultError(t, doc, hcs.E_FAIL, "service says no")
	h.s.FailNext(CallSetSystemCallback, hcs.E_OUTOFMEMORY, "")
	wantHR(t, h.b.SetComputeSystemCallback(sys, 0, 1), hcs.E_OUTOFMEMORY)
}

func TestRejectNext(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateCreated)
	h.s.RejectNext(CallStart, hcs.HCS_E_SERVICE_NOT_AVAILABLE)
	op, _ := h.op()
	wantHR(t, h.b.StartComputeSystem(sys, op, ""), hcs.HCS_E_SERVICE_NOT_AVAILABLE)
	_, err := h.b.GetOperationResult(op)
	wantHR(t, err, hcs.HCS_E_OPERATION_NOT_STARTED) // the operation can be used again
	h.b.CloseOperation(op)
	h.s.RejectNext(CallGetServiceProperties, hcs.E_FAIL)
	doc, err := h.b.GetServiceProperties("")
	wantHR(t, err, hcs.E_FAIL)
	if doc != "" {
		t.Errorf("synchronous failure returned document %s", doc)
	}
	h.mustCall(h.start(sys))
}

func TestDelayNext(t *testing.T) {
	h := newHarness(t)
	a := h.system("a", stateCreated)
	b := h.system("b", stateCreated)
	h.s.DelayNext(CallStart, time.Hour)
	slowOp, slowDone := h.op()
	if err := h.b.StartComputeSystem(a, slowOp, ""); err != nil {
		t.Fatal(err)
	}
	h.mustCall(h.start(b)) // not held up by the slow one
	select {
	case <-slowDone:
		t.Fatal("delayed operation completed")
	default:
	}
	if h.s.PendingOperations() != 1 {
		t.Errorf("PendingOperations = %d, want 1", h.s.PendingOperations())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := h.s.WaitIdle(ctx); err != context.DeadlineExceeded {
		t.Errorf("WaitIdle with a pending operation = %v", err)
	}
	// Close completes the pending operation.
	h.s.Close()
	_, err := h.await(slowOp, slowDone)
	wantHR(t, err, hcs.HCS_E_SERVICE_DISCONNECT)
}

func TestLatency(t *testing.T) {
	h := newHarness(t, WithLatency(30*time.Millisecond))
	begin := time.Now()
	h.system("s", stateRunning) // two operations
	if d := time.Since(begin); d < 60*time.Millisecond {
		t.Errorf("two operations took %v with 30ms latency", d)
	}
	h.s.SetLatency(0)
	begin = time.Now()
	h.system("t", stateCreated)
	if d := time.Since(begin); d > 25*time.Millisecond {
		t.Errorf("operation took %v without latency", d)
	}
}

func TestExitDuringNext(t *testing.T) {
	for _, tc := range []struct {
		call  Call
		from  string
		do    func(h *harness, sys backend.Handle) func(op backend.Handle) error
		want  hcs.HRESULT
		after string
	}{
		{CallStart, stateCreated, func(h *harness, sys backend.Handle) func(backend.Handle) error { return h.start(sys) },
			hcs.HCS_E_TERMINATED_DURING_START, stateStopped},
		{CallPause, stateRunning, func(h *harness, sys backend.Handle) func(backend.Handle) error { return h.pause(sys) },
			hcs.HCS_E_UNEXPECTED_EXIT, stateStopped},
		{CallGetProperties, stateRunning, func(h *harness, sys backend.Handle) func(backend.Handle) error {
			return func(op backend.Handle) error { return h.b.GetComputeSystemProperties(sys, op, "") }
		}, hcs.HCS_E_UNEXPECTED_EXIT, stateStopped},
	} {
		t.Run(string(tc.call), func(t *testing.T) {
			h := newHarness(t, WithLatency(5*time.Millisecond))
			sys := h.system("s", tc.from)
			ctx := h.listen(sys)
			h.s.ExitDuringNext(tc.call)
			doc, err := h.call(tc.do(h, sys))
			wantHR(t, err, tc.want)
			wantResultError(t, doc, tc.want, string(tc.call))
			ev := h.waitEvents(ctx, 1)
			if ev[0].Type != backend.EventSystemExited || ev[0].Data != `{"Status":0,"ExitType":"UnexpectedExit"}` {
				t.Errorf("event = %+v", ev[0])
			}
			if got := h.state("s"); got != tc.after {
				t.Errorf("state = %s, want %s", got, tc.after)
			}
		})
	}

	t.Run("create", func(t *testing.T) {
		h := newHarness(t)
		h.s.ExitDuringNext(CallCreateSystem)
		sys, _, err := h.create("c", container("o"))
		wantHR(t, err, hcs.HCS_E_UNEXPECTED_EXIT)
		if got := h.state("c"); got != stateStopped {
			t.Errorf("state = %q, want Stopped", got)
		}
		h.b.CloseComputeSystem(sys)
	})

	t.Run("process", func(t *testing.T) {
		h := newHarness(t)
		sys := h.system("s", stateRunning)
		p, _, pctx := h.process(sys, `{"CommandLine":"wait"}`)
		h.s.ExitDuringNext(CallSignalProcess)
		_, err := h.call(func(op backend.Handle) error { return h.b.SignalProcess(p, op, `{"Signal":"CtrlC"}`) })
		wantHR(t, err, hcs.HCS_E_UNEXPECTED_EXIT)
		if ev := h.waitEvents(pctx, 1); ev[0].Data != `{"ProcessId":100,"Exited":true,"ExitCode":1,"LastWaitResult":0}` {
			t.Errorf("process event = %+v", ev[0])
		}
		h.b.CloseProcess(p)
	})

	t.Run("stopped", func(t *testing.T) {
		h := newHarness(t)
		sys := h.system("s", stateStopped)
		h.s.ExitDuringNext(CallTerminate)
		_, err := h.call(func(op backend.Handle) error { return h.b.TerminateComputeSystem(sys, op, "") })
		wantHR(t, err, hcs.HCS_E_SYSTEM_ALREADY_STOPPED)
	})
}

func TestDisconnect(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	other, err := h.b.OpenComputeSystem("s")
	if err != nil {
		t.Fatal(err)
	}
	defer h.b.CloseComputeSystem(other)
	c1, c2 := h.listen(sys), h.listen(other)
	p, _, pctx := h.process(sys, `{"CommandLine":"wait"}`)
	defer h.b.CloseProcess(p)

	h.s.DelayNext(CallPause, time.Hour)
	op, done := h.op()
	if err := h.b.PauseComputeSystem(sys, op, ""); err != nil {
		t.Fatal(err)
	}
	h.s.Disconnect()
	h.s.Disconnect() // no second round of events
	_, err = h.await(op, done)
	wantHR(t, err, hcs.HCS_E_SERVICE_DISCONNECT)
	for _, ctx := range []uintptr{c1, c2} {
		if ev := h.waitEvents(ctx, 1); ev[0].Type != backend.EventServiceDisconnect || ev[0].Data != "" {
			t.Errorf("event = %+v", ev[0])
		}
	}

	op, _ = h.op()
	wantHR(t, h.b.StartComputeSystem(sys, op, ""), hcs.HCS_E_SERVICE_DISCONNECT)
	_, err = h.b.OpenComputeSystem("s")
	wantHR(t, err, hcs.HCS_E_SERVICE_DISCONNECT)
	_, err = h.b.CreateComputeSystem("x", container("o"), op)
	wantHR(t, err, hcs.HCS_E_SERVICE_DISCONNECT)
	wantHR(t, h.b.EnumerateComputeSystems("", op), hcs.HCS_E_SERVICE_DISCONNECT)
	_, err = h.b.GetServiceProperties("")
	wantHR(t, err, hcs.HCS_E_SERVICE_DISCONNECT)
	wantHR(t, h.b.TerminateProcess(p, op, ""), hcs.HCS_E_SERVICE_DISCONNECT)
	h.b.CloseOperation(op)

	h.s.Reconnect()
	if got := h.state("s"); got != stateRunning {
		t.Errorf("state after reconnect = %s", got)
	}
	// The handles open at the disconnection stay unusable; new ones work.
	op, _ = h.op()
	wantHR(t, h.b.PauseComputeSystem(sys, op, ""), hcs.HCS_E_SERVICE_DISCONNECT)
	wantHR(t, h.b.TerminateProcess(p, op, ""), hcs.HCS_E_SERVICE_DISCONNECT)
	_, err = h.b.OpenProcess(sys, 0)
	wantHR(t, err, hcs.HCS_E_SERVICE_DISCONNECT)
	h.b.CloseOperation(op)
	again, err := h.b.OpenComputeSystem("s")
	if err != nil {
		t.Fatalf("open after reconnect: %v", err)
	}
	defer h.b.CloseComputeSystem(again)
	h.mustCall(h.pause(again))
	h.idle()
	// Process callbacks get it too (hcsshim, internal/hcs/process.go).
	for _, ctx := range []uintptr{c1, pctx} {
		if got := h.eventsOf(ctx); len(got) != 1 || got[0].Type != backend.EventServiceDisconnect {
			t.Errorf("events = %v, want one ServiceDisconnect", got)
		}
	}
}

func TestLateEvents(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	other, err := h.b.OpenComputeSystem("s")
	if err != nil {
		t.Fatal(err)
	}
	quiet := h.listen(other)
	h.b.CloseComputeSystem(other) // late events off: nothing more
	p, _, pctx := h.process(sys, `{"CommandLine":"exit 3"}`)
	h.waitEvents(pctx, 1)

	h.s.FireLateEvents(true)
	other, err = h.b.OpenComputeSystem("s")
	if err != nil {
		t.Fatal(err)
	}
	late := h.listen(other)
	h.b.CloseComputeSystem(other)
	h.b.CloseProcess(p)
	h.idle() // WaitIdle covers late events
	if ev := h.eventsOf(late); len(ev) != 1 || ev[0].Type != backend.EventSystemExited {
		t.Errorf("late system events = %v", ev)
	}
	if ev := h.eventsOf(pctx); len(ev) != 2 || ev[1].Type != backend.EventProcessExited ||
		ev[1].Data != `{"ProcessId":100,"Exited":true,"ExitCode":3,"LastWaitResult":0}` {
		t.Errorf("late process events = %v", ev)
	}
	if ev := h.eventsOf(quiet); len(ev) != 0 {
		t.Errorf("events with late events off = %v", ev)
	}
}

func TestCloseSim(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	ctx := h.listen(sys)
	p, io, _ := h.process(sys, `{"CommandLine":"wait","CreateStdOutPipe":true}`)
	defer h.b.CloseProcess(p)
	defer io.Stdout.Close()
	h.s.DelayNext(CallPause, time.Hour)
	op, done := h.op()
	if err := h.b.PauseComputeSystem(sys, op, ""); err != nil {
		t.Fatal(err)
	}
	h.s.FireLateEvents(true)
	h.s.Close()
	h.s.Close()
	// Everything was delivered before Close returned.
	select {
	case <-done:
	default:
		t.Fatal("Close returned before the completion")
	}
	_, err := h.await(op, done)
	wantHR(t, err, hcs.HCS_E_SERVICE_DISCONNECT)
	if ev := h.eventsOf(ctx); len(ev) != 1 || ev[0].Data != `{"Status":0,"ExitType":"ForcedExit"}` {
		t.Errorf("events = %v", ev)
	}
	if got := h.state("s"); got != stateStopped {
		t.Errorf("state = %s", got)
	}
	if n, err := io.Stdout.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Errorf("read from a process of a closed simulator = %d, %v", n, err)
	}
	op, _ = h.op()
	wantHR(t, h.b.StartComputeSystem(sys, op, ""), hcs.HCS_E_SERVICE_DISCONNECT)
	h.b.CloseOperation(op)
	h.s.Disconnect() // no effect once closed
	h.s.Reconnect()
	op, _ = h.op()
	wantHR(t, h.b.StartComputeSystem(sys, op, ""), hcs.HCS_E_SERVICE_DISCONNECT)
	h.b.CloseOperation(op)
	h.closeSystem(sys) // late event dropped: nothing runs after Close
	if n := runtime.NumGoroutine(); n > 50 {
		t.Errorf("%d goroutines after Close", n)
	}
}

func TestWaitIdleCallbacksInFlight(t *testing.T) {
	h := newHarness(t)
	release := make(chan struct{})
	entered := make(chan struct{})
	h.b.Init(backend.Callbacks{Completion: func(backend.Handle, uintptr) {
		close(entered)
		<-release
	}})
	op, err := h.b.CreateOperation(1)
	if err != nil {
		t.Fatal(err)
	}
	sys, err := h.b.CreateComputeSystem("s", container("o"), op)
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	if n := h.s.CallbacksInFlight(); n != 1 {
		t.Errorf("CallbacksInFlight = %d, want 1", n)
	}
	idle := make(chan error)
	go func() { idle <- h.s.WaitIdle(context.Background()) }()
	select {
	case err := <-idle:
		t.Fatalf("WaitIdle returned %v while a callback runs", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if err := <-idle; err != nil {
		t.Fatal(err)
	}
	if n := h.s.CallbacksInFlight(); n != 0 {
		t.Errorf("CallbacksInFlight = %d, want 0", n)
	}
	h.b.CloseOperation(op)
	h.b.CloseComputeSystem(sys)
}

// simGoroutines counts the goroutines package hcssim started. Counting all
// goroutines would also count those of the runtime, of the test framework
// and of earlier tests still winding down.
func simGoroutines() int {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 2); err != nil {
		panic(err)
	}
	return strings.Count(buf.String(), "\ncreated by github.com/gohcs/hcs/hcssim.")
}

// TestManyConcurrentOperations completes 10,000 operations with 50ms of
// latency each and checks that the goroutines the Sim uses are bounded by
// its design (one timer goroutine and maxWorkers workers), not by the
// number of operations.
func TestManyConcurrentOperations(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	const n = 10_000
	h := newHarness(t, WithLatency(50*time.Millisecond))
	base := simGoroutines()
	type pending struct {
		op, sys backend.Handle
		done    chan struct{}
	}
	ops := make([]pending, n)
	begin := time.Now()
	for i := range ops {
		op, done := h.op()
		sys, err := h.b.CreateComputeSystem("s"+strconv.Itoa(i), container("many"), op)
		if err != nil {
			t.Fatal(err)
		}
		ops[i] = pending{op, sys, done}
	}
	peak := 0
	for i, p := range ops {
		if i%500 == 0 {
			peak = max(peak, simGoroutines()-base)
		}
		if _, err := h.await(p.op, p.done); err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(begin)
	t.Logf("%d creations with 50ms latency in %v; peak %d extra goroutines", n, elapsed, peak)
	if limit := maxWorkers + 1; peak > limit {
		t.Errorf("peak of %d extra goroutines, design bound is %d", peak, limit)
	}
	if elapsed > 20*time.Second { // serialised, they would take 500s
		t.Errorf("took %v", elapsed)
	}
	doc := h.mustCall(func(op backend.Handle) error { return h.b.EnumerateComputeSystems(`{"Owners":["many"]}`, op) })
	var list []systemEntry
	if err := json.Unmarshal([]byte(doc), &list); err != nil || len(list) != n {
		t.Errorf("listed %d systems, want %d (%v)", len(list), n, err)
	}
	for _, p := range ops {
		h.b.CloseComputeSystem(p.sys)
	}
}
