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
//   - Layers (Layers, which gives a *layers.Host): the layer calls of
//     vmcompute.dll and computestorage.dll over real folders — scratch
//     layers made, activated, prepared at a volume path, unprepared,
//     deactivated and destroyed with the states and HRESULTs of the shared
//     model; layer ids from a NameToGuid of the simulator's own; parents
//     checked for existence, ids and order (against their
//     layerchain.json); and container documents checked against the
//     mounts: Storage.Path must be a prepared volume and Storage.Layers
//     its parents in order, and a prepared volume cannot be unmounted while
//     a container that has not stopped runs on it. Virtual disks for the
//     computestorage.dll calls that take one come from OpenVHD, AttachVHD,
//     DetachVHD and CloseVHD, which stand for virtdisk.dll. DestroyLayer
//     refuses a folder holding anything no layer holds, rather than
//     deleting it as Windows would.
//   - Faults: a call whose operation fails (FailNext) or that is
//     rejected at once (RejectNext), a slow one (DelayNext), one held
//     pending until the test releases it (HoldNext), a system exiting
//     during a call (ExitDuringNext), a service
//     disconnection (Disconnect, Reconnect), events that arrive after
//     their handle was closed (FireLateEvents), and, for the layer calls,
//     a process without elevation (SetElevated).
//   - What real HCS does according to the comments of Microsoft's own
//     client, hcsshim, rather than its documentation: a process creation
//     that fails while the process runs (FailNextCreateProcessRunning), a
//     process exit without ProcessExited (DropNextProcessExit,
//     SystemExitDropsProcessExits), other answers to calls on an exited
//     process (SetStoppedProcessError); always on, the signals and
//     terminations of a process queued per system handle, and
//     ServiceDisconnect sent to process callbacks too.
//   - Introspection for tests: LiveHandles, PendingOperations,
//     CallbacksInFlight, Systems, MountedLayers, PeakPrepares and
//     WaitIdle.
//
// # Behaviour reported by others
//
// Microsoft documents neither the layer calls of vmcompute.dll nor most
// of their errors. The simulator models what runtimes report of real
// HCS, and says so: ERROR_NOT_A_REPARSE_POINT (0x80071126) when a
// container's Storage.Path is a directory rather than a volume, and
// ERROR_SHARING_VIOLATION (0x80070020) when a virtual machine attaches
// over SCSI the disk of a scratch layer activated on the host (both seen
// by ZLayer); ERROR_NOT_READY and ERROR_DEVICE_NOT_CONNECTED from
// PrepareLayer under load, which hcsshim retries, are injected with
// FailNext; a folder's path from GetLayerMountPath for a layer activated
// but not prepared, PrepareLayer for read-write (scratch) layers only,
// base layers processed rather than imported, and HcsSetupBaseOSLayer
// taking no disk for a container's base layer, whose Hives folder and
// Layout file it makes and refuses to find (all hcsshim); the export of a
// container's scratch layer (moby). Where nothing is reported, the simulator
// makes a choice no kinder than Windows is likely to be: unmounting a
// scratch layer a running container uses is ERROR_BUSY, and so is
// destroying a mounted layer or one of its parents; preparing a prepared
// layer is ERROR_ALREADY_EXISTS; deactivating or unpreparing a layer that
// is not is ERROR_NOT_READY; parents in an order their layerchain.json
// files contradict are E_INVALIDARG. The simulator's layer ids are not
// those of Windows. internal/backend/BEHAVIOUR.md in the module has the
// whole model.
//
// # Not kinder than HCS
//
// A simulator that always ordered things the same convenient way would let
// code pass that fails on real hosts. Where HCS promises no order, the
// simulator chooses at random, from a seed (WithSeed; the environment
// variable HCSSIM_SEED; Seed tells it): whether an operation's completion
// callback runs before or after the events the operation caused, whether
// the value of a closed handle is handed out again, and whether a
// process's output reaches end of file at its exit or a moment later.
// Events reach each callback in order. Events not yet delivered when a
// handle is closed are dropped. A process starts when its creation
// completes; if it exits before an event callback is set on its handle,
// that callback gets no ProcessExited, as with real HCS, and the process's
// properties tell the exit. A pending shutdown ends when its system stops.
//
// computecore.dll crashes on a call with a closed or bogus handle, on
// closing a handle twice, and on closing one while an operation is pending
// on it. The simulator panics then, with a diagnostic naming the call and
// the handle, so that the test that made the call fails where it was made.
//
// # What is not modelled
//
// Nothing runs: there are no images, devices, networks or guest operating
// systems. Layer folders hold no files that matter: disks are
// placeholders, and a container does not see its layers' files. The
// configuration of a system is checked for being JSON with a Container or
// VirtualMachine member, and for its storage (above); a container
// document without Storage.Path is accepted unless WithRequireStorage.
// The network endpoint of the statistics is invented, whatever the
// configuration, and always reports its counters; real HCS may send an
// empty Network array instead, as a live capture of a schema 2 container
// without endpoints shows and as windows_exporter reports of schema 2
// containers (reported by others, not documented). Modifications
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
