//go:build windows

package mockctl_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// The controls answer and leave the mock clean. Their effects are tested
// where they matter, in internal/computecore and the conformance suite.
func TestControls(t *testing.T) {
	if why := mockctl.Why(); why != "" {
		if mockctl.Available() {
			t.Fatalf("Available but Why = %q", why)
		}
		t.Skip("needs the mock computecore.dll installed by the Wine harness: " + why)
	}
	if !mockctl.Available() {
		t.Fatal("Why is empty but Available is false")
	}
	mockctl.Reset()
	if n := mockctl.LiveHandles(); n != 0 {
		t.Errorf("LiveHandles after Reset = %d", n)
	}
	if n := mockctl.OutstandingResults(); n != 0 {
		t.Errorf("OutstandingResults after Reset = %d", n)
	}
	if n := mockctl.ResultsAllocated(); n != 0 {
		t.Errorf("ResultsAllocated after Reset = %d", n)
	}
	if n := mockctl.CallbacksInFlight(); n != 0 {
		t.Errorf("CallbacksInFlight = %d", n)
	}
	mockctl.FailNext("HcsStartComputeSystem", 0x80004005, true)
	mockctl.ExitDuringNext("HcsStartComputeSystem")
	mockctl.HoldNext("HcsStartComputeSystem")
	mockctl.ReleaseHeld()
	mockctl.SetCompletionDelay(10 * time.Millisecond)
	mockctl.FireLateEvents(true)
	mockctl.Disconnect()
	mockctl.Reconnect()
	mockctl.FailCreateProcessRunning(0x80070057)
	mockctl.DropNextProcessExit()
	mockctl.StoppedProcessError(0x80070005)
	mockctl.SystemExitDropsProcessExits(true)
	mockctl.InvalidStdio(true)
	mockctl.SetLabel(t.Name())
	mockctl.Reset()
}

// The thread sampler counts this process's threads, Go's among them, from
// a thread of its own; one runs at a time.
func TestThreadSampler(t *testing.T) {
	if why := mockctl.Why(); why != "" {
		t.Skip("needs the mock computecore.dll installed by the Wine harness: " + why)
	}
	s, err := mockctl.StartThreadSampler(time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mockctl.StartThreadSampler(time.Millisecond); err == nil {
		t.Error("a second sampler started while the first runs")
	}
	p := s.Stop()
	// At least the sampler itself and a thread of Go's (this one) run.
	if p.Samples < 2 || p.Threads < 2 || p.GoThreads < 1 || p.GoThreads >= p.Threads {
		t.Errorf("peaks %+v: want 2 samples or more, 2 threads or more, 1 Go thread or more, not all", p)
	}
	s, err = mockctl.StartThreadSampler(time.Millisecond)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	s.Stop()
}
