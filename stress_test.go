package hcs_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
)

// The stress test: create/start/terminate/close cycles across many
// goroutines, with contexts cancelled and handles closed at random points,
// then a check that nothing was left behind — goroutines, handles, result
// strings (mock), pending operations and package hcs's registry entries.
// Plain go test runs a reduced variant; make stress runs the full one
// (-stress.full or HCS_STRESS=full): 10,000 cycles across 200 goroutines.
// It runs on the simulator here and on the mock DLL in
// stress_windows_test.go.

var stressFull = flag.Bool("stress.full", false, "run the full stress test: 10,000 cycles across 200 goroutines")

func stressSize() (cycles, workers int) {
	if *stressFull || os.Getenv("HCS_STRESS") == "full" {
		return 10000, 200
	}
	if testing.Short() {
		return 200, 50
	}
	return 500, 200
}

// stressConfig asks for the system to go away with its last handle, so
// that systems whose Terminate was abandoned do not outlive the test.
const stressConfig = `{"SchemaVersion":{"Major":2,"Minor":1},"Owner":"stress","Container":{},"ShouldTerminateOnLastHandleClosed":true}`

// What a cycle does besides create, start, terminate, close.
const (
	stressPlain           = iota // no interference
	stressCancelCreate           // the context ends while create may be pending
	stressCancelStart            // ... while start may be pending
	stressCancelTerminate        // ... while terminate may be pending
	stressCloseStart             // Close races Start
	stressCloseTerminate         // Close races Terminate
	stressModes
)

// stressCounts tallies outcomes, for the log.
type stressCounts struct {
	cycles, completed, cancelled, closed, invalidState, other atomic.Int64
}

func (c *stressCounts) String() string {
	return fmt.Sprintf("%d cycles: %d completed, %d ended by a cancelled context, %d by Close, %d calls refused in the state the race left (ErrInvalidState), %d other errors",
		c.cycles.Load(), c.completed.Load(), c.cancelled.Load(), c.closed.Load(), c.invalidState.Load(), c.other.Load())
}

// stressStep classifies the error of one call. It returns false when the
// cycle cannot go on.
func (c *stressCounts) step(t *testing.T, what string, err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, context.Canceled):
		c.cancelled.Add(1)
	case errors.Is(err, hcs.ErrClosed):
		c.closed.Add(1)
	case errors.Is(err, hcs.ErrInvalidState), errors.Is(err, hcs.ErrAlreadyStopped):
		// A start abandoned by its caller may still be pending when
		// Terminate runs, or the reverse: HCS refuses one of them.
		c.invalidState.Add(1)
	default:
		c.other.Add(1)
		t.Errorf("%s: unexpected error: %v", what, err)
	}
	return false
}

// interfere ends ctx (cancel) or closes sys after a random delay of up to
// max, on a timer; the returned function waits for it to have happened.
func interfere(r *rand.Rand, max time.Duration, do func()) (wait func()) {
	done := make(chan struct{})
	time.AfterFunc(time.Duration(r.Int64N(int64(max)+1)), func() {
		do()
		close(done)
	})
	return func() { <-done }
}

// stressCycle runs one cycle on h.
func stressCycle(t *testing.T, h *hcs.Host, id string, r *rand.Rand, window time.Duration, c *stressCounts) {
	c.cycles.Add(1)
	mode := r.IntN(stressModes)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if mode == stressCancelCreate {
		defer interfere(r, window, cancel)()
	}
	sys, err := h.CreateSystem(ctx, id, stressConfig)
	if !c.step(t, "create "+id, err) {
		return
	}
	defer sys.Close()
	switch mode {
	case stressCancelStart:
		defer interfere(r, window, cancel)()
	case stressCloseStart:
		defer interfere(r, window, func() { sys.Close() })()
	}
	if !c.step(t, "start "+id, sys.Start(ctx)) {
		return
	}
	switch mode {
	case stressCancelTerminate:
		defer interfere(r, window, cancel)()
	case stressCloseTerminate:
		defer interfere(r, window, func() { sys.Close() })()
	}
	if !c.step(t, "terminate "+id, sys.Terminate(ctx)) {
		return
	}
	c.completed.Add(1)
}

// runStress runs the cycles on h and then checks, through leftovers, that
// the host is back where it started. window is the longest delay before a
// cancellation or Close: about the latency of one operation.
func runStress(t *testing.T, h *hcs.Host, window time.Duration, leftovers func(ctx context.Context) map[string]int) {
	opsBefore, sinksBefore := hcs.OpenRegistryEntries()
	ignore := goleak.IgnoreCurrent()
	cycles, workers := stressSize()
	var next atomic.Int64
	var counts stressCounts
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for {
				i := next.Add(1)
				if i > int64(cycles) {
					return
				}
				stressCycle(t, h, fmt.Sprintf("stress-%d-%d", time.Now().UnixNano(), i), r, window, &counts)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := h.Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	left := leftovers(ctx)
	listed, err := h.ListByOwner(ctx, "stress")
	if err != nil {
		t.Fatalf("ListByOwner: %v", err)
	}
	left["systems listed"] = len(listed)
	ops, sinks := hcs.OpenRegistryEntries()
	left["hcs operation registry entries"] = ops - opsBefore
	left["hcs event sink registry entries"] = sinks - sinksBefore
	t.Logf("%v across %d goroutines in %v (%.0f cycles/s)", &counts, workers, elapsed.Round(time.Millisecond), float64(cycles)/elapsed.Seconds())
	t.Logf("left behind: %v", left)
	for what, n := range left {
		if n != 0 {
			t.Errorf("%d %s left behind", n, what)
		}
	}
	if counts.completed.Load() == 0 || counts.cancelled.Load()+counts.closed.Load() == 0 {
		t.Errorf("the cycles did not exercise both paths: %v", &counts)
	}
	if err := goleak.Find(ignore); err != nil {
		t.Errorf("goroutines left behind: %v", err)
	}
}

func TestStressSimulator(t *testing.T) {
	const latency = time.Millisecond
	sim := newSim(t, hcssim.WithLatency(latency))
	runStress(t, sim.Host(), 3*latency, func(ctx context.Context) map[string]int {
		if err := sim.WaitIdle(ctx); err != nil {
			t.Fatalf("WaitIdle: %v", err)
		}
		return map[string]int{
			"simulator handles":            sim.LiveHandles(),
			"simulator pending operations": sim.PendingOperations(),
			"simulator systems":            len(sim.Systems()),
		}
	})
}
