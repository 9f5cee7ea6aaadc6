// Package hcs drives the Windows Host Compute Service (HCS), the OS service
// that runs Windows containers and Hyper-V isolated virtual machines.
//
// # Hosts
//
// A [Host] is a connection to an HCS. [Local] is this machine's, reached
// through computecore.dll (Windows 10 1809 / Windows Server 2019 or later,
// run as an administrator). Off Windows, every call on [Local] fails with an
// error matching [ErrNotSupported], so code that uses this package compiles
// and runs everywhere. Package hcssim provides an in-memory HCS with the same
// behaviour, states and error codes, for testing on any OS.
//
// # Compute systems
//
// [Host.CreateSystem] creates a container or virtual machine from an HCS
// document (build one with package schema) and returns a [System];
// [Host.OpenSystem] opens an existing one; [Host.ListSystems] and
// [Host.ListByOwner] enumerate them. A System is started, paused, resumed,
// saved, shut down, terminated or crashed by the methods of those names;
// [System.Properties], [System.Statistics] and [System.Modify] query and
// change it; [System.Wait] returns its [ExitStatus] once it exits;
// [System.Events] streams its [Event]s; [System.Close] releases the handle.
//
// # Processes
//
// [System.CreateProcess] starts a process in a compute system and returns a
// [Process], shaped like os.Process: its standard pipes ([Process.Stdin],
// [Process.Stdout], [Process.Stderr]) belong to the caller; [Process.Wait]
// returns a [ProcessState] once HCS reports the exit; [Process.Signal],
// [Process.Terminate], [Process.Kill] and [Process.ResizeConsole] act on it.
// [System.Run] runs a [Cmd] in the spirit of exec.Cmd, copying all three
// streams concurrently so that no child can deadlock it; [System.Output]
// returns the standard output, and the standard error in the [ExitError] of
// a failure; [CommandLine] quotes an argument vector with Windows rules.
//
// HCS does not always report a process's exit: it may send no
// ProcessExited after a failed signal or termination, or when the process's
// system exits first, and it answers the termination of an exited process
// in several ways. [Process.Wait] watches the system's exit, and
// [Process.Kill] and [Process.Signal] ask HCS for the process's status when
// HCS says they cannot act on it, so that Wait returns in every case; when
// HCS cannot tell how the process exited, Wait says so. HCS also runs the
// signals to a process one at a time: Terminate and Kill go through handles
// of their own, so that they do not wait behind a pending signal.
//
// # Statistics
//
// [System.Statistics] samples a system's counters; [UsageBetween] turns two
// samples into CPU percentages and storage rates. Package hcsprom exports
// them to Prometheus.
//
// # Waiting, cancellation and threads
//
// Every method that waits for HCS takes a [context.Context]. HCS completes
// operations on its own thread pool; this package turns each completion into
// a channel close, so no OS thread is parked per call in flight. HCS cannot
// cancel an operation: when a context ends first, the method returns at
// once with an error matching the context's error, and the operation is
// completed and cleaned up in the background (a system or process created
// for a caller that gave up is terminated). [Host.Drain] waits for that
// cleanup. A native handle is closed only once HCS has completed every call
// made on it, whatever gave up waiting (a context, [System.Close], the
// garbage collector's backstop for a handle never closed).
// A few calls are synchronous in computecore and cannot be interrupted:
// [Host.OpenSystem] and the service and file calls of [Host]. Their context
// is checked before the call only.
//
// # Errors
//
// Failures are [*Error] values naming the operation, the compute system and
// the cause: an [HRESULT] with its symbolic name, and HCS's own
// [ResultError] document when there is one. Callers branch with
// [errors.Is] on the sentinels ([ErrNotFound], [ErrInvalidState],
// [ErrUnexpectedExit], ...), which match every code of their class, and
// on context errors.
//
// # Concurrency
//
// Host and System are safe for concurrent use. Close is idempotent and may
// race with any call: calls still waiting then fail with [ErrClosed].
package hcs
