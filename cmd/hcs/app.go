package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/layers"
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
	// opening one, with layers as its layer service; hcs closes neither.
	host   *hcs.Host
	layers *layers.Host
	// session is the host the running command uses, opened by the command
	// when it needs one and ended by execute.
	session *session
	// running is set once cobra has parsed the command line and runs a
	// command: an error before that is a usage error.
	running bool
	// bg counts the goroutines of the command, which end before the
	// session does.
	bg sync.WaitGroup
	// completing is set when the shell asks for completions: hcs prints
	// no notice then. words are the command line being completed, the
	// word to complete last.
	completing bool
	words      []string
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
	a := &app{stdin: stdin, stdout: stdout, stderr: newErrWriter(stderr)}
	return a.execute(ctx, args)
}

// warn writes a line to stderr, made of format and args as fmt.Sprintf
// does, with the characters that must not reach a terminal escaped (see
// sanitize): messages quote HCS and other programs.
func (a *app) warn(format string, args ...any) {
	fmt.Fprintln(a.stderr, sanitize(fmt.Sprintf(format, args...)))
}

// execute runs the command line args and returns the exit status.
func (a *app) execute(ctx context.Context, args []string) int {
	root := a.rootCommand()
	a.completing = len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd)
	if a.completing {
		a.words = args[1:]
	}
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
			a.warn("%s", exit.msg)
		}
		return exit.code
	case !a.running || errors.As(err, &usage):
		a.warn("hcs: %v", err)
		fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return exitUsage
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// Interrupted before reaching HCS, waiting for the state file.
		a.warn("hcs %s: interrupted", cmd.Name())
		return exitInterrupted
	default:
		a.warn("hcs %s: %v", cmd.Name(), err)
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

hcs pull downloads Windows container images into an image store on disk
(--store); hcs images and hcs rmi list and remove them; hcs run IMAGE runs a
process in a container made from one.

Errors name the command, the compute system and the HCS error code. The exit
status is 0 on success, 1 on failure, 2 for a usage error and 130 when
interrupted (Ctrl-C, or SIGTERM outside Windows; a second Ctrl-C kills hcs at
once); hcs exec exits with the status of its process. The streams — events,
metrics and stats --watch — run until Ctrl-C and then exit 0.

Commands that take several ids (start, stop, kill, pause, resume, stats) act
on each in turn: a failure on one is reported on its own line and the others
are still done; the exit status is then 1. Ctrl-C stops at once.

A new compute system's id (hcs create --id) is 1 to 255 ASCII letters,
digits and . _ - @ { }, not starting with - or .; other ids, of systems
another program created, are accepted and printed quoted, as Go quotes
strings. Durations (stop -t, wait --timeout, ...) are seconds (5, 0.5) or Go
durations (500ms, 1m30s). -o json writes one JSON document, or for streams
one JSON object per line (NDJSON); -o yaml keeps the schema's member order.`,
		Example: `  hcs demo                               # a ten-second tour on a fresh simulator
  hcs create --id web -f web.json        # create a compute system from an HCS document
  hcs start web && hcs list              # start it and list the systems
  hcs exec web -- cmd /c echo hello      # run a process in it
  hcs run --layer C:\layers\app -- cmd   # a container from layer folders, removed after
  hcs run mcr.microsoft.com/windows/nanoserver:ltsc2022 -- cmd   # from an image, pulled if missing
  hcs stop -t 30 web                     # shut it down, terminate after 30 s`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       moduleVersion(),
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	f := root.PersistentFlags()
	f.BoolVar(&a.sim, "sim", false, "use the simulator, even on Windows")
	f.StringVar(&a.simState, "sim-state", "",
		"the simulator's state file; implies --sim (default: $"+stateEnv+", else hcs/sim.json in the user cache directory)")
	f.StringArrayVar(&a.simFaults, "sim-fault", nil, "inject a fault into the simulator: CALL=fail:HRESULT, CALL=delay:DURATION or CALL=exit")
	_ = f.MarkHidden("sim-fault") // for tests: see faults.go
	root.SetVersionTemplate("hcs {{.Version}}\n")

	root.AddGroup(&cobra.Group{ID: "systems", Title: "Compute systems:"},
		&cobra.Group{ID: "processes", Title: "Processes:"},
		&cobra.Group{ID: "containers", Title: "Containers from layers:"},
		&cobra.Group{ID: "images", Title: "Images:"},
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
	for _, c := range []*cobra.Command{a.runCommand(), a.layerCommand()} {
		c.GroupID = "containers"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.pullCommand(), a.imagesCommand(), a.rmiCommand()} {
		c.GroupID = "images"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.demoCommand(), a.versionCommand(), a.metricsCommand()} {
		c.GroupID = "other"
		root.AddCommand(c)
	}
	root.SetHelpCommand(a.helpCommand(root))
	root.SetHelpCommandGroupID("other")
	// cobra's completion command prints its help for any argument and
	// exits 0; runnable, it refuses an unknown shell as a usage error.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.GroupID = "other"
			c.RunE = a.runE(func(cmd *cobra.Command, _ []string) error { return cmd.Help() })
		}
	}
	return root
}

// helpCommand returns hcs help, which refuses a topic it does not know as
// a usage error (cobra's own prints the usage and exits 0).
func (a *app) helpCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Help provides help for any command of hcs: hcs help COMMAND, as hcs COMMAND --help.",
		RunE: a.runE(func(_ *cobra.Command, args []string) error {
			cmd, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 {
				return &usageError{fmt.Sprintf("unknown help topic %q", strings.Join(args, " "))}
			}
			return cmd.Help()
		}),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			cmd, _, err := root.Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []cobra.Completion
			for _, c := range cmd.Commands() {
				if c.IsAvailableCommand() || c.Name() == "help" {
					names = append(names, cobra.CompletionWithDesc(c.Name(), c.Short))
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
	}
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
		subject += " " + showID(id)
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
