package hcs_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
	"github.com/gohcs/hcs/internal/backend"
)

// Regression tests of the System's cleanup paths. The simulator fails any
// test that closes a handle while an operation is pending on it, as
// computecore.dll crashes then.

// TestEventsEndOnCloseWithPendingCall is the regression test of event
// streams that went on after Close while HCS had not completed a call:
// they ended only with the native handle.
func TestEventsEndOnCloseWithPendingCall(t *testing.T) {
	sim := newSim(t)
	h := sim.Host()
	s := runningSystem(t, h, "hung")
	events := s.Events(context.Background())
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		for range events {
		}
	}()
	hold := sim.HoldNext(hcssim.CallShutdown) // a hung shutdown
	defer hold.Release()
	shutdown := make(chan error, 1)
	go func() { shutdown <- s.Shutdown(context.Background()) }()
	made(t, hold)
	s.Close()
	if err := <-shutdown; !errors.Is(err, hcs.ErrClosed) {
		t.Errorf("Shutdown: %v, want ErrClosed", err)
	}
	returns(t, "the Events loop, after Close", func() { <-ended })
	hold.Release()
	drain(t, h, sim)
}

// TestCreateSystemSeesEarlyExit is the regression test of a CreateSystem
// that missed an exit before its event callback was set: unlike
// OpenSystem, it did not ask HCS for the state, and Wait blocked forever.
func TestCreateSystemSeesEarlyExit(t *testing.T) {
	sim := newSim(t)
	h, sp := spyHost(t, sim)
	other := sim.Host()
	sp.beforeSystemCallback = func(backend.Handle) {
		// Another handle terminates the system in the window.
		o, err := other.OpenSystem(context.Background(), "early")
		if err != nil {
			t.Errorf("OpenSystem: %v", err)
			return
		}
		defer o.Close()
		if err := o.Terminate(context.Background()); err != nil {
			t.Errorf("Terminate: %v", err)
		}
	}
	s, err := h.CreateSystem(context.Background(), "early", testConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), hangTimeout)
	defer cancel()
	st, err := s.Wait(ctx)
	if err != nil || st.ExitType != "ForcedExit" {
		t.Fatalf("Wait: %+v, %v; want the exit that came before the callback", st, err)
	}
}

// TestOrphanKeepsHandleWhileTerminatePending is the regression test of the
// cleanup of a system created for a caller that gave up: when its
// Terminate took longer than the orphan timeout, the handle was closed
// under it.
func TestOrphanKeepsHandleWhileTerminatePending(t *testing.T) {
	defer hcs.SetOrphanTimeout(10 * time.Millisecond)()
	sim := newSim(t)
	logs := newLogSink()
	h := sim.Host(hcs.WithLogger(slog.New(logs)))
	create := sim.HoldNext(hcssim.CallCreateSystem)
	terminate := sim.HoldNext(hcssim.CallTerminate)
	defer terminate.Release()
	if _, err := h.CreateSystem(abandonOnceMade(t, create), "orphan", testConfig); !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateSystem: %v, want the context's error", err)
	}
	create.Release()
	// The cleanup terminates the system, and gives up waiting.
	logs.await(t, "terminating an abandoned compute system failed")
	if n := sim.LiveHandles(); n == 0 {
		t.Fatal("the system's handle was closed while its Terminate was pending")
	}
	terminate.Release()
	drain(t, h, sim)
	if n := sim.LiveHandles(); n != 0 {
		t.Errorf("%d handles open after the Terminate completed", n)
	}
	if infos := sim.Systems(); len(infos) != 0 {
		t.Errorf("systems left: %+v", infos)
	}
}

// TestCreateSystemReturnsWhileOrphanTerminates is the regression test of a
// CreateSystem whose event registration failed and which then terminated
// the new system on the caller's goroutine, for up to two minutes.
func TestCreateSystemReturnsWhileOrphanTerminates(t *testing.T) {
	sim := newSim(t)
	h := sim.Host()
	sim.RejectNext(hcssim.CallSetSystemCallback, hcs.E_OUTOFMEMORY)
	terminate := sim.HoldNext(hcssim.CallTerminate)
	defer terminate.Release()
	var err error
	returns(t, "CreateSystem, while HCS terminates the system it created", func() {
		_, err = h.CreateSystem(context.Background(), "noevents", testConfig)
	})
	if !errors.Is(err, hcs.E_OUTOFMEMORY) {
		t.Errorf("CreateSystem: %v, want the registration's error", err)
	}
	terminate.Release()
	drain(t, h, sim)
	if infos := sim.Systems(); len(infos) != 0 {
		t.Errorf("systems left: %+v", infos)
	}
}

// TestLeakedSystemKeepsHandleForPendingCall is the regression test of the
// garbage collector's backstop closing the handle of a System nobody
// closed while HCS still had a call on it.
func TestLeakedSystemKeepsHandleForPendingCall(t *testing.T) {
	sim := newSim(t)
	logs := newLogSink()
	h := sim.Host(hcs.WithLogger(slog.New(logs)))
	runningSystem(t, h, "leaked")
	pause := sim.HoldNext(hcssim.CallPause)
	defer pause.Release()
	// A System nobody closes, with a call HCS has not completed.
	func() {
		s, err := h.OpenSystem(context.Background(), "leaked")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Pause(abandonOnceMade(t, pause)); !errors.Is(err, context.Canceled) {
			t.Errorf("Pause: %v, want the context's error", err)
		}
	}()
	leakKeepsHandle(t, h, sim, pause, logs, "compute system handle leaked")
}

// TestShutdownEndedByTerminate checks that a Shutdown HCS has not
// completed returns once a Terminate stops the system (the simulator ends
// it then, as HCS ends a pending shutdown), and that the system's handle
// is closed once nothing is pending on it.
func TestShutdownEndedByTerminate(t *testing.T) {
	sim := newSim(t)
	h := sim.Host()
	s := runningSystem(t, h, "hung")
	hold := sim.HoldNext(hcssim.CallShutdown)
	defer hold.Release()
	shutdown := make(chan error, 1)
	go func() { shutdown <- s.Shutdown(context.Background()) }()
	made(t, hold)
	if err := s.Terminate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-shutdown; !errors.Is(err, hcs.ErrAlreadyStopped) {
		t.Errorf("Shutdown ended by a Terminate: %v, want ErrAlreadyStopped", err)
	}
	if st, err := s.Wait(context.Background()); err != nil || st.ExitType != "ForcedExit" {
		t.Errorf("Wait: %+v, %v; want ForcedExit", st, err)
	}
	s.Close()
	drain(t, h, sim)
	if n := sim.LiveHandles(); n != 0 {
		t.Errorf("%d handles open", n)
	}
}
