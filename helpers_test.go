package hcs_test

import (
	"context"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
)

// Helpers of the tests that drive the library through the simulator.

// newSim returns a simulator closed at the end of the test, and logs its
// seed if the test fails.
func newSim(t *testing.T, opts ...hcssim.Option) *hcssim.Sim {
	t.Helper()
	sim := hcssim.New(opts...)
	t.Cleanup(func() {
		sim.Close()
		if t.Failed() {
			t.Logf("hcssim seed %d (rerun with %s=%d)", sim.Seed(), hcssim.SeedEnv, sim.Seed())
		}
	})
	return sim
}

func runningSystem(t *testing.T, h *hcs.Host, id string) *hcs.System {
	t.Helper()
	s, err := h.CreateSystem(context.Background(), id, testConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func drain(t *testing.T, h *hcs.Host, sim *hcssim.Sim) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sim.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

// hangTimeout bounds the wait for a call that must not hang; reaching it
// fails the test.
const hangTimeout = 20 * time.Second

// waitCtx returns a context that ends after hangTimeout: a Wait that
// reaches it has hung.
func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), hangTimeout)
	t.Cleanup(cancel)
	return ctx
}

// made waits until the call hold holds has been made.
func made(t *testing.T, hold *hcssim.Hold) {
	t.Helper()
	select {
	case <-hold.Made():
	case <-time.After(hangTimeout):
		t.Fatal("the held call was never made")
	}
}

// abandonOnceMade returns a context that ends once the call hold holds
// has been made: the call is then given up while HCS has it.
func abandonOnceMade(t *testing.T, hold *hcssim.Hold) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		select {
		case <-hold.Made():
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx
}

// logSink is a slog handler that hands each record's message to a channel.
type logSink struct{ c chan string }

func newLogSink() *logSink { return &logSink{c: make(chan string, 64)} }

func (l *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (l *logSink) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logSink) WithGroup(string) slog.Handler            { return l }
func (l *logSink) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		msg += " " + a.String()
		return true
	})
	select {
	case l.c <- msg:
	default:
	}
	return nil
}

// await waits for a message containing part, failing the test after
// hangTimeout.
func (l *logSink) await(t *testing.T, part string) string {
	t.Helper()
	deadline := time.After(hangTimeout)
	for {
		select {
		case msg := <-l.c:
			if strings.Contains(msg, part) {
				return msg
			}
		case <-deadline:
			t.Fatalf("no log message saying %q", part)
		}
	}
}

// leakKeepsHandle checks the garbage collector's backstop for a handle
// nobody closed that has a call, held by hold, pending: it runs the
// collector until the backstop logs part, checks that the leaked handle and
// the pending operation are still open beside the test's own handle, then
// lets the call complete and checks that both are closed.
func leakKeepsHandle(t *testing.T, h *hcs.Host, sim *hcssim.Sim, hold *hcssim.Hold, logs *logSink, part string) {
	t.Helper()
	found := make(chan struct{})
	go func() {
		defer close(found)
		logs.await(t, part)
	}()
	for collected := false; !collected; {
		runtime.GC()
		select {
		case <-found:
			collected = true
		case <-time.After(time.Millisecond):
		}
	}
	if n := sim.LiveHandles(); n != 3 {
		t.Errorf("%d handles open, want 3: the test's, the leaked one, and the operation pending on it", n)
	}
	hold.Release()
	drain(t, h, sim)
	if n := sim.LiveHandles(); n != 1 {
		t.Errorf("%d handles open once the call completed, want the test's", n)
	}
}

// returns runs f on another goroutine and fails the test if it does not
// return within hangTimeout.
func returns(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(hangTimeout):
		t.Fatalf("%s did not return", what)
	}
}
