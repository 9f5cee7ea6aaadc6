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
// loading it to saving it, so they run one at a time, and save it before
// they print an id: an id printed is a change that holds. The others load
// it under a shared lock and never write it; they work on a file they
// cannot write (a read-only mount, another user's file), without a lock
// when they cannot open one. Those that watch systems (events, wait, exec,
// stats --watch, metrics) reload it while they run, so they see what other
// invocations do: a system stopped elsewhere exits for them too, as it
// exited. When hcs picks the simulator by itself it says so on stderr, on a
// terminal or when the state file does not exist yet; --sim, --sim-state
// or $HCS_SIM_STATE silence that notice.
//
// Handles do not outlive an invocation, and the file follows HCS's rule for
// systems without handles: a system that stops is gone once the invocation
// that stopped it ends (no "rm" is needed), and so is a system created with
// ShouldTerminateOnLastHandleClosed. But the file remembers how each system
// exited, for 24 hours and the last 256 exits: watchers in other
// invocations report that exit, and hcs wait answers with it once the
// system is gone (HCS itself forgets a system with its last handle, and
// there hcs wait fails with HCS_E_SYSTEM_NOT_FOUND). Processes are not
// kept: a process runs only within the hcs exec that started it.
//
// # Images
//
// hcs pull, hcs images and hcs rmi manage an image store (package images):
// --store, $HCS_IMAGE_STORE, or by default %ProgramData%\hcs\images on
// Windows and hcs/images in the user cache directory elsewhere. hcs pull
// picks the image for the host's Windows build: this machine's on Windows,
// 10.0.20348 (ltsc2022) with the simulator, or --os-version. hcs run IMAGE
// pulls an image the store lacks and unpacks its layers into layer folders
// (Store.Unpack), once: beside the simulator's state file, STATE.layers for
// STATE.json, or in the store's layers folder with the local HCS. hcs rmi
// destroys them with the image, unless another image has them; it refuses
// while an hcs run uses them.
//
// Exit status: 0 on success, 1 when a command fails, 2 for a usage error,
// 130 when interrupted (Ctrl-C, or SIGTERM outside Windows; a second one
// kills hcs at once); hcs exec exits with the status of its process. A
// command given several ids acts on each, reports each failure on its own
// line, and exits with 1 if any failed.
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
