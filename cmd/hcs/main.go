// Command hcs inspects and drives the compute systems — Windows containers
// and virtual machines — of a Host Compute Service.
//
// On Windows it drives this machine's HCS, from an elevated prompt. Elsewhere,
// and with --sim anywhere, it drives the simulator of package hcssim, whose
// state it keeps in a file between invocations, so that
//
//	hcs create --id web -f web.json && hcs start web && hcs list
//
// works on Linux and macOS too. `hcs demo` walks through the library in ten
// seconds; `hcs --help` lists the commands.
//
// # The simulator's state
//
// The state file (--sim-state, $HCS_SIM_STATE, or hcs/sim.json in the user
// cache directory) holds the simulated compute systems: their ids, owners,
// types, states, runtime ids and the times their statistics count from
// (see hcssim.Sim.SaveState). Commands that change systems (create, start,
// stop, kill, pause, resume, save) hold an exclusive lock on the file from
// loading it to saving it, so they run one at a time; the others load it
// under a shared lock and never write it. Those that watch systems (events,
// wait, exec, stats --watch, metrics) reload it while they run, so they see
// what other invocations do: a system stopped elsewhere exits for them too.
//
// Handles do not outlive an invocation, and the file follows HCS's rule for
// systems without handles: a system that stops is gone once the invocation
// that stopped it ends (no "rm" is needed), and so is a system created with
// ShouldTerminateOnLastHandleClosed. Processes are not kept either: a
// process runs only within the hcs exec that started it.
//
// Exit status: 0 on success, 1 when a command fails, 2 for a usage error,
// 130 when interrupted (Ctrl-C, or SIGTERM outside Windows; a second one
// kills hcs at once); hcs exec exits with the status of its process.
// Streams — events, metrics, stats --watch — run until interrupted and
// then exit 0.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), interruptSignals...)
	// The first Ctrl-C cancels ctx and restores the default handling, so
	// that a second one kills hcs if it does not end promptly.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
