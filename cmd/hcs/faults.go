package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
)

// applyFaults injects the faults of the hidden --sim-fault flags into sim,
// for tests of how hcs handles a misbehaving HCS. Each spec names a call by
// its computecore.dll function (or its vmcompute.dll or computestorage.dll
// function for the layer calls) and what its next use does:
//
//	HcsStartComputeSystem=fail:0x80370105   fails with that HRESULT
//	HcsShutDownComputeSystem=delay:1h       takes that long to complete
//	HcsStartComputeSystem=exit              the system exits during the call
//
// A fault lasts one invocation of hcs: the state file does not keep it.
func applyFaults(sim *hcssim.Sim, specs []string) error {
	for _, spec := range specs {
		call, fault, ok := strings.Cut(spec, "=")
		if !ok || !hcssim.Call(call).Valid() {
			return fmt.Errorf("--sim-fault %q: want CALL=FAULT, CALL a computecore.dll function such as HcsStartComputeSystem, or a layer call such as PrepareLayer", spec)
		}
		kind, arg, _ := strings.Cut(fault, ":")
		c := hcssim.Call(call)
		switch kind {
		case "fail":
			n, err := strconv.ParseUint(arg, 0, 32)
			if err != nil || !hcs.HRESULT(int32(n)).Failed() {
				return fmt.Errorf("--sim-fault %q: want fail:HRESULT, a failure code such as 0x80370105", spec)
			}
			sim.FailNext(c, hcs.HRESULT(int32(n)), "injected by --sim-fault")
		case "delay":
			d, err := time.ParseDuration(arg)
			if err != nil {
				return fmt.Errorf("--sim-fault %q: want delay:DURATION, such as delay:1h", spec)
			}
			sim.DelayNext(c, d)
		case "exit":
			sim.ExitDuringNext(c)
		default:
			return fmt.Errorf("--sim-fault %q: unknown fault %q: want fail, delay or exit", spec, kind)
		}
	}
	return nil
}
