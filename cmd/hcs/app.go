package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs"
)

// app is one invocation of hcs: its streams, its global flags and the host
// it opened.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	// Global flags.
	sim       bool
	simState  string
	simFaults []string

	// host, when set (by tests), is the host commands use instead of
	// opening one; hcs does not close it.
	host *hcs.Host
	// session is the host the running command uses, opened by the command
	// when it needs one and ended by execute.
	session *session
	// running is set once cobra has parsed the command line and runs a
	// command: an error before that is a usage error.
	running bool
	// bg counts the goroutines of the command, which end before the
	// session does.
	bg sync.WaitGroup
}

// Exit statuses.
const (
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130 // 128 + SIGINT, as shells report it
)

// exitError ends hcs with a status after its message, if any, is printed.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// usageError is a command line hcs cannot run, found by a command itself.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// run runs hcs with the arguments args (without the program name) and
// returns its exit status. ctx ends on Ctrl-C.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	return a.execute(ctx, args)
}

// execute runs the command line args and returns the exit status.
func (a *app) execute(ctx context.Context, args []string) int {
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if endErr := a.end(); err == nil {
		err = endErr
	}
	if err == nil {
		return 0
	}
	var exit *exitError
	var usage *usageError
	switch {
	case errors.As(err, &exit):
		if exit.msg != "" {
			fmt.Fprintln(a.stderr, exit.msg)
		}
		return exit.code
	case !a.running || errors.As(err, &usage):
		fmt.Fprintf(a.stderr, "hcs: %v\nRun '%s --help' for usage.\n", err, cmd.CommandPath())
		return exitUsage
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// Interrupted before reaching HCS, waiting for the state file.
		fmt.Fprintf(a.stderr, "hcs %s: interrupted\n", cmd.Name())
		return exitInterrupted
	default:
		fmt.Fprintf(a.stderr, "hcs %s: %v\n", cmd.Name(), err)
		return exitFailure
	}
}

// rootCommand returns the hcs command with its subcommands.
func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "hcs",
		Short: "Inspect and drive Windows Host Compute Service containers and virtual machines",
		Long: `hcs inspects and drives the compute systems — Windows containers and
virtual machines — of a Host Compute Service (HCS).

On Windows it drives this machine's HCS and must run elevated. Elsewhere, and
with --sim anywhere, it drives a simulated HCS (package hcssim) whose systems
persist between invocations in a state file, so that separate hcs commands see
each other's work. Processes started with hcs exec live only as long as that
command: the simulator keeps systems, not processes.

Errors name the command, the compute system and the HCS error code. The exit
status is 0 on success, 1 on failure, 2 for a usage error and 130 when
interrupted (Ctrl-C, or SIGTERM outside Windows; a second Ctrl-C kills hcs at
once); hcs exec exits with the status of its process. The streams — events,
metrics and stats --watch — run until Ctrl-C and then exit 0.`,
		Example: `  hcs demo                               # a ten-second tour on a fresh simulator
  hcs create --id web -f web.json        # create a compute system from an HCS document
  hcs start web && hcs list              # start it and list the systems
  hcs exec web -- cmd /c echo hello      # run a process in it
  hcs stop --timeout 30s web             # shut it down, terminate after 30 s`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       moduleVersion(),
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	f := root.PersistentFlags()
	f.BoolVar(&a.sim, "sim", false, "use the simulator, even on Windows")
	f.StringVar(&a.simState, "sim-state", os.Getenv("HCS_SIM_STATE"),
		"the simulator's state file; implies --sim (default $HCS_SIM_STATE, else hcs/sim.json in the user cache directory)")
	f.StringArrayVar(&a.simFaults, "sim-fault", nil, "inject a fault into the simulator: CALL=fail:HRESULT, CALL=delay:DURATION or CALL=exit")
	_ = f.MarkHidden("sim-fault") // for tests: see faults.go
	root.SetVersionTemplate("hcs {{.Version}}\n")

	root.AddGroup(&cobra.Group{ID: "systems", Title: "Compute systems:"},
		&cobra.Group{ID: "processes", Title: "Processes:"},
		&cobra.Group{ID: "other", Title: "Other commands:"})
	for _, c := range []*cobra.Command{
		a.listCommand(), a.inspectCommand(), a.statsCommand(), a.eventsCommand(), a.createCommand(),
		a.startCommand(), a.stopCommand(), a.killCommand(), a.pauseCommand(), a.resumeCommand(),
		a.saveCommand(), a.waitCommand(),
	} {
		c.GroupID = "systems"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.execCommand(), a.psCommand()} {
		c.GroupID = "processes"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.demoCommand(), a.versionCommand(), a.metricsCommand()} {
		c.GroupID = "other"
		root.AddCommand(c)
	}
	root.SetHelpCommandGroupID("other")
	root.SetCompletionCommandGroupID("other")
	return root
}

// runE adapts a command's function for cobra, marking the command line as
// parsed: from then on an error is the command's failure, not a usage
// error.
func (a *app) runE(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a.running = true
		return fn(cmd, args)
	}
}

// failure returns the error hcs reports when command fails on the compute
// system id (id may be ""): one line naming the command, the system and the
// cause, such as
//
//	hcs start web1: HCS_E_INVALID_STATE (0x80370105): not valid in state Running
//
// The call that failed is named too when it is not the command's own, as in
// "hcs start web1: open: HCS_E_SYSTEM_NOT_FOUND (...)". Ctrl-C gives the
// status 130 and, for an operation that changes state, says that it was
// still in flight.
func (a *app) failure(command, id string, err error) error {
	if err == nil {
		return nil
	}
	var exit *exitError
	if errors.As(err, &exit) {
		return err
	}
	subject := "hcs " + command
	if id != "" {
		subject += " " + id
	}
	var herr *hcs.Error
	if !errors.As(err, &herr) {
		if errors.Is(err, context.Canceled) {
			return &exitError{code: exitInterrupted, msg: subject + ": interrupted"}
		}
		return &exitError{code: exitFailure, msg: subject + ": " + err.Error()}
	}
	if errors.Is(err, context.Canceled) {
		msg := subject + ": interrupted"
		if changesState[herr.Op] { // a query or a wait is simply abandoned
			msg += ": " + a.inFlight(herr.Op)
		}
		return &exitError{code: exitInterrupted, msg: msg}
	}
	// The cause as *hcs.Error words it, without its "hcs: op id: " prefix.
	prefix := "hcs: x: "
	cause := strings.TrimPrefix((&hcs.Error{Op: "x", Err: herr.Err, Result: herr.Result}).Error(), prefix)
	if herr.PID != 0 {
		cause = fmt.Sprintf("process %d: %s", herr.PID, cause)
	}
	if herr.Op != command {
		cause = herr.Op + ": " + cause
	}
	return &exitError{code: exitFailure, msg: subject + ": " + cause}
}

// changesState holds the operations that change a compute system or a
// process, whose fate an interruption leaves open.
var changesState = map[string]bool{
	"create": true, "start": true, "shutdown": true, "terminate": true, "pause": true,
	"resume": true, "save": true, "crash": true, "modify": true, "signal": true, "kill": true,
}

// inFlight says what happens to an operation hcs stopped waiting for.
func (a *app) inFlight(op string) string {
	if a.session != nil && a.session.sim != nil {
		return op + " was in flight; the simulator drops it and keeps the state it had"
	}
	return op + " is still in flight: HCS cannot cancel it and completes it on its own (see hcs list)"
}
