package hcs_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
	"github.com/gohcs/hcs/schema"
)

// Regression tests of processes, and of what real HCS does that a kind
// simulator would not: the simulator models each behaviour hcsshim's
// comments report.

// TestCreateProcessReturnsWhileOrphanTerminates is the regression test of
// a CreateProcess whose status read failed and which then terminated the
// new process on the caller's goroutine, for up to two minutes.
func TestCreateProcessReturnsWhileOrphanTerminates(t *testing.T) {
	sim := newSim(t)
	h := sim.Host()
	s := runningSystem(t, h, "orphan")
	sim.FailNext(hcssim.CallGetProcessProperties, hcs.E_FAIL, "injected")
	terminate := sim.HoldNext(hcssim.CallTerminateProcess)
	defer terminate.Release()
	var err error
	returns(t, "CreateProcess, while HCS terminates the process it created", func() {
		_, err = s.CreateProcess(context.Background(), &schema.ProcessParameters{CommandLine: "wait"})
	})
	if !errors.Is(err, hcs.E_FAIL) {
		t.Errorf("CreateProcess: %v, want the status read's error", err)
	}
	terminate.Release()
	drain(t, h, sim)
	if n := sim.Systems()[0].Processes; n != 0 {
		t.Errorf("%d processes left running", n)
	}
}
