package conformance

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
)

var (
	seeds = flag.Int("sim.seeds", 3, "run the suite on the simulator under this many random `seeds`")
	seed  = flag.Uint64("sim.seed", 0, "run the suite on the simulator under this `seed` only (0: random seeds)")
)

// TestSimulator runs the suite on hcssim, a fresh simulator per scenario,
// under several seeds: the simulator orders what HCS does not promise to
// order (completions and events, handle reuse, end of file after exit) at
// random. A failure names its seed; -sim.seed, or the HCSSIM_SEED
// environment variable, runs the suite under that seed again.
func TestSimulator(t *testing.T) {
	var list []uint64
	switch {
	case *seed != 0:
		list = []uint64{*seed}
	case os.Getenv(hcssim.SeedEnv) != "":
		sd, err := strconv.ParseUint(os.Getenv(hcssim.SeedEnv), 10, 64)
		if err != nil {
			t.Fatalf("%s: %v", hcssim.SeedEnv, err)
		}
		list = []uint64{sd}
	default:
		for range max(*seeds, 1) {
			list = append(list, rand.Uint64())
		}
	}
	for _, sd := range list {
		t.Run(fmt.Sprintf("seed=%d", sd), func(t *testing.T) {
			Run(t, Target{
				Name: "hcssim",
				Setup: func(t *testing.T) (*hcs.Host, Faults) {
					sim := hcssim.New(hcssim.WithSeed(sd))
					t.Cleanup(sim.Close)
					return sim.Host(), simFaults{sim}
				},
				SetupLayers: func(t *testing.T) LayerHost {
					sim := hcssim.New(hcssim.WithSeed(sd))
					t.Cleanup(sim.Close)
					return LayerHost{Host: sim.Host(), Faults: simFaults{sim}, Layers: sim.Layers(), LayerFaults: simFaults{sim}}
				},
			})
		})
	}
}

// simFaults adapts the simulator's fault injection to the suite's.
type simFaults struct{ sim *hcssim.Sim }

var _ Holds = simFaults{}

func (f simFaults) FailNext(fn string, hr hcs.HRESULT, message string) {
	f.sim.FailNext(hcssim.Call(fn), hr, message)
}
func (f simFaults) SetDelay(d time.Duration)                  { f.sim.SetLatency(d) }
func (f simFaults) ExitDuringNext(fn string)                  { f.sim.ExitDuringNext(hcssim.Call(fn)) }
func (f simFaults) Disconnect()                               { f.sim.Disconnect() }
func (f simFaults) Reconnect()                                { f.sim.Reconnect() }
func (f simFaults) FireLateEvents(on bool)                    { f.sim.FireLateEvents(on) }
func (f simFaults) LiveHandles() int                          { return f.sim.LiveHandles() }
func (f simFaults) EventsDelivered(ctx context.Context) error { return f.sim.WaitIdle(ctx) }
func (f simFaults) FailCreateProcessRunning(hr hcs.HRESULT)   { f.sim.FailNextCreateProcessRunning(hr) }
func (f simFaults) DropNextProcessExit()                      { f.sim.DropNextProcessExit() }
func (f simFaults) StoppedProcessError(hr hcs.HRESULT)        { f.sim.SetStoppedProcessError(hr) }
func (f simFaults) SystemExitDropsProcessExits(on bool)       { f.sim.SystemExitDropsProcessExits(on) }
func (f simFaults) HoldNext(fn string) (<-chan struct{}, func()) {
	h := f.sim.HoldNext(hcssim.Call(fn))
	return h.Made(), h.Release
}

// The layer faults.

func (f simFaults) DelayNext(fn string, d time.Duration) { f.sim.DelayNext(hcssim.Call(fn), d) }
func (f simFaults) SetElevated(on bool)                  { f.sim.SetElevated(on) }
func (f simFaults) PeakPrepares() int                    { return f.sim.PeakPrepares() }

func (f simFaults) Mounted() (activated, prepared int) {
	for _, l := range f.sim.MountedLayers() {
		activated++
		if l.State == hcssim.LayerPrepared {
			prepared++
		}
	}
	return activated, prepared
}
