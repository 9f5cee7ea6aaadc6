package hcs_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
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
