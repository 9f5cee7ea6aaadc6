// Package hcssim is an in-memory Host Compute Service: a simulator that
// package hcs drives exactly as it drives computecore.dll, on every
// operating system. Programs that manage Windows containers and virtual
// machines through package hcs test themselves against it, on Linux and
// macOS too, and inject the faults they need to handle.
//
//	sim := hcssim.New(hcssim.WithLatency(time.Millisecond))
//	defer sim.Close()
//	host := sim.Host() // a *hcs.Host; the code under test cannot tell
//
// # What is modelled
//
// The simulator follows the behaviour model shared with the mock
// computecore.dll (internal/backend/BEHAVIOUR.md in the module), so that one
// conformance suite passes on both and on real HCS:
//
//   - Operations: each used by one call, completed asynchronously, on a
//     goroutine other than the caller's, after the latency (WithLatency,
//     SetLatency, DelayNext); the call's effect happens when it completes.
//     A failed operation's result is a ResultError document naming the call
//     and the system. Cancellation is E_NOTIMPL, as documented for HCS.
//   - Compute systems: a registry by id with owners and types, the state
//     machine Created, Running, Paused, SavedAsTemplate, Stopped with the
//     HRESULTs of real HCS for invalid transitions, ids that do not exist
//     or already exist, and malformed documents; several handles per
//     system, one event callback per handle; SystemExited,
//     SystemCrashInitiated and SystemCrashReport events;
//     ShouldTerminateOnLastHandleClosed; enumeration with the Ids, Names,
//     Types and Owners filters; properties, with statistics that advance
//     with the clock (WithClock) while the system runs — processor,
//     memory, storage and the traffic of one network endpoint per system
//     — and the process list.
//   - Processes: created in running systems, with in-memory stdio pipes that
//     buffer 64 KiB like Windows pipes; a built-in interpreter (echo, exit,
//     cat, spew, wait, sleep) and programs of the user's (HandleCommand);
//     ProcessExited events, signals, termination, console size, closing
//     stdin; exit codes kept after exit.
//   - Service calls: the supported schema versions, settings and WER
//     reports checked as JSON, state files (kept in memory), VM access
//     grants (which need the file to exist, in memory or on disk).
//   - Faults: a failing call (FailNext, FailNextSync), a slow one
//     (DelayNext), a system exiting during a call (ExitDuringNext), a
//     service disconnection (Disconnect, Reconnect) and events that arrive
//     after their handle was closed (FireLateEvents).
//   - Introspection for tests: LiveHandles, PendingOperations,
//     CallbacksInFlight, Systems and WaitIdle.
//
// Events reach each callback in order, and the events an operation causes
// reach their callbacks before the operation's completion callback runs.
// Events not yet delivered when a handle is closed are dropped. A process
// starts when its creation completes; if it exits before an event callback
// is set on its handle, that callback gets no ProcessExited, as with real
// HCS, and the process's properties tell the exit.
//
// # What is not modelled
//
// Nothing runs: there are no images, layers, devices, networks or guest
// operating systems, and the configuration of a system is checked only
// for being JSON with a Container or VirtualMachine member. The network
// endpoint of the statistics is invented, whatever the configuration, and
// always reports its counters; real HCS may send an empty Network array
// instead, as a live capture of a schema 2 container without endpoints
// shows and as windows_exporter reports of schema 2 containers (reported
// by others, not documented). Modifications
// are checked and accepted without effect, and most property types other
// than statistics and the process list report nothing. Processes run Go
// functions, not programs; their pipes are in memory, not Windows handles.
// Operation events (HcsEventOptionEnableOperationCallbacks) are refused
// as real HCS refuses them with completion callbacks, which every
// operation of package hcs has. HCS's own time limits are not simulated.
//
// # Concurrency
//
// A Sim is safe for concurrent use. Callbacks never run with the
// simulator's lock held, so they may call the simulator. Completions and
// events run on a bounded pool of goroutines that exists only while there
// is work; Close ends everything the Sim started.
//
// The simulator's model of systems and processes is kept apart from its
// behaviour, as plain data, so that it can later be saved and restored.
package hcssim
