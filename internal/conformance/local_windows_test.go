package conformance

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
	"github.com/gohcs/hcs/layers"
)

// TestLocal runs the suite on hcs.Local(): against the mock computecore.dll
// under Wine, or against the machine's real HCS when HCS_TEST_REAL=1 and
// the test runs elevated. On real HCS, the scenarios that create
// containers need HCS_TEST_BASE_LAYER, the folder of an unpacked Windows
// base layer matching the host's build (for example nanoserver's folder
// under C:\ProgramData\docker\windowsfilter after docker pull).
func TestLocal(t *testing.T) {
	switch {
	case mockctl.Available():
		Run(t, Target{
			Name: "the mock computecore.dll",
			Setup: func(t *testing.T) (*hcs.Host, Faults) {
				mockctl.Reset()
				mockctl.SetLabel(t.Name())
				t.Cleanup(func() {
					mockctl.SetCompletionDelay(0)
					mockctl.FireLateEvents(false)
					mockctl.Reconnect()
					mockctl.SetLabel("after " + t.Name())
				})
				return hcs.Local(), mockFaults{}
			},
			SetupLayers: func(t *testing.T) LayerHost {
				if why := mockctl.LayersWhy(); why != "" {
					t.Fatalf("the Wine harness installs the mock layer DLLs beside the mock computecore.dll: %s", why)
				}
				mockctl.Reset()
				mockctl.LayersReset()
				mockctl.SetLabel(t.Name())
				t.Cleanup(func() {
					if n := mockctl.LayersOutstandingStrings(); n != 0 {
						t.Errorf("the mock layer DLLs handed out %d result strings not freed with LocalFree", n)
					}
					if n := mockctl.LayersLiveVHDs(); n != 0 {
						t.Errorf("%d VHD handles of the mock left open", n)
					}
					mockctl.SetCompletionDelay(0)
					mockctl.FireLateEvents(false)
					mockctl.Reconnect()
					mockctl.LayersReset()
					mockctl.SetLabel("after " + t.Name())
				})
				return LayerHost{Host: hcs.Local(), Faults: mockFaults{}, Layers: layers.Local(), LayerFaults: mockLayerFaults{}}
			},
		})
	case os.Getenv("HCS_TEST_REAL") != "1":
		t.Skip("computecore.dll is not the mock; set HCS_TEST_REAL=1 to run the suite on this machine's HCS")
	case !windows.GetCurrentProcessToken().IsElevated():
		t.Skip("HCS_TEST_REAL=1 but the test is not elevated: HCS needs an administrator")
	default:
		Run(t, Target{
			Name:      "real HCS",
			Real:      true,
			Setup:     func(*testing.T) (*hcs.Host, Faults) { return hcs.Local(), nil },
			BaseLayer: os.Getenv("HCS_TEST_BASE_LAYER"),
			SetupLayers: func(*testing.T) LayerHost {
				return LayerHost{Host: hcs.Local(), Layers: layers.Local()}
			},
		})
	}
}

// mockFaults adapts the mock DLL's test-only exports to the suite's faults.
type mockFaults struct{}

func (mockFaults) FailNext(fn string, hr hcs.HRESULT, message string) {
	// The mock writes its own message, naming the call, into the result
	// document; the suite checks that HCS's message is carried through.
	mockctl.FailNext(fn, uint32(hr), false)
}
func (mockFaults) SetDelay(d time.Duration) { mockctl.SetCompletionDelay(d) }
func (mockFaults) ExitDuringNext(fn string) { mockctl.ExitDuringNext(fn) }
func (mockFaults) Disconnect()              { mockctl.Disconnect() }
func (mockFaults) Reconnect()               { mockctl.Reconnect() }
func (mockFaults) FireLateEvents(on bool)   { mockctl.FireLateEvents(on) }
func (mockFaults) LiveHandles() int         { return int(mockctl.LiveHandles()) }

// EventsDelivered waits for the mock's count of events queued or being
// delivered (late ones count from the close that sends them) and of
// running callbacks to reach 0, checking it every millisecond.
func (mockFaults) EventsDelivered(ctx context.Context) error {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for mockctl.CallbacksInFlight() != 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}
func (mockFaults) FailCreateProcessRunning(hr hcs.HRESULT) {
	mockctl.FailCreateProcessRunning(uint32(hr))
}
func (mockFaults) DropNextProcessExit()                { mockctl.DropNextProcessExit() }
func (mockFaults) StoppedProcessError(hr hcs.HRESULT)  { mockctl.StoppedProcessError(uint32(hr)) }
func (mockFaults) SystemExitDropsProcessExits(on bool) { mockctl.SystemExitDropsProcessExits(on) }

// HoldNext holds the next call of fn with MockHoldNext; made is closed once
// the mock's count of held calls grows, which it checks every millisecond
// until then or until release. MockReleaseHeld releases every held call,
// which is the one the scenario holds.
func (mockFaults) HoldNext(fn string) (made <-chan struct{}, release func()) {
	before := mockctl.HeldCalls()
	mockctl.HoldNext(fn)
	arrived, released := make(chan struct{}), make(chan struct{})
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for mockctl.HeldCalls() == before {
			select {
			case <-released:
				return
			case <-tick.C:
			}
		}
		close(arrived)
	}()
	var once sync.Once
	return arrived, func() {
		once.Do(func() { close(released) })
		mockctl.ReleaseHeld()
	}
}

// mockLayerFaults adapts the test-only exports of the mock layer DLLs to
// the suite's layer faults.
type mockLayerFaults struct{}

// FailNext fails the next call of fn; the mock layer calls return only a
// code, so the message is not used.
func (mockLayerFaults) FailNext(fn string, hr hcs.HRESULT, _ string) {
	mockctl.LayersFailNext(fn, uint32(hr), 1)
}
func (mockLayerFaults) DelayNext(fn string, d time.Duration) { mockctl.LayersDelayNext(fn, d) }
func (mockLayerFaults) SetElevated(on bool)                  { mockctl.LayersSetElevated(on) }
func (mockLayerFaults) Mounted() (activated, prepared int)   { return mockctl.LayersMounted() }
func (mockLayerFaults) PeakPrepares() int                    { return mockctl.LayersPeakPrepares() }
