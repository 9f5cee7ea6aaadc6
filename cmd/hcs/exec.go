package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/schema"
)

func (a *app) execCommand() *cobra.Command {
	var (
		interactive, tty bool
		env              []string
		workdir          string
	)
	cmd := &cobra.Command{
		Use:   "exec ID [flags] -- COMMAND [ARG...]",
		Short: "Run a process in a compute system",
		Long: `Run a process in a running compute system, with its standard output and
error copied to hcs's, and with -i its standard input from hcs's. hcs exec
exits with the process's exit code.

The command line is built from COMMAND and ARGs with Windows quoting rules,
so each ARG reaches the process as one argument. The process is terminated
if hcs is interrupted (exit status 130). hcs does not wait for standard
input to end once the process has exited. Outside Windows, an exit code
that does not fit an exit status (above 255) gives status 1 and a message
with the code. On the simulator, the built-in commands are echo,
exit CODE, cat, spew, wait and sleep MS, in milliseconds (see package hcssim), and a
process lives only as long as the hcs exec that started it.

When the compute system stops while the process runs — hcs stop or hcs kill
from elsewhere, a crash — the process ends with it, and hcs exec says so and
how the system exited, with exit status 1, rather than pass on an exit code
the process never chose.

With -t, as with docker, the process gets a console sized from the local
terminal and resized with it; its output, standard output and error
together, comes on hcs's standard output. With -i -t, the standard input
must be a terminal: it is put in raw mode while the process runs, so that
every key, Ctrl-C included, goes to the process, and restored afterwards.`,
		Example: `  hcs exec web1 -- cmd /c echo hello
  hcs exec -i web1 -- cat < input.txt
  hcs exec -it web1 -- cmd
  hcs exec -e GREETING=hi -w 'C:\app' web1 -- app.exe --serve`,
		Args:              cobra.MinimumNArgs(2),
		ValidArgsFunction: a.completeIDs(1, schema.StateRunning),
	}
	processFlags(cmd, &interactive, &tty, &env, &workdir)
	cmd.RunE = a.runE(func(cmd *cobra.Command, args []string) error {
		if n := cmd.ArgsLenAtDash(); n != 1 {
			return &usageError{"want ID -- COMMAND [ARG...]"}
		}
		id := args[0]
		params, err := processParams(args[1:], env, workdir)
		if err != nil {
			return err
		}
		if err := a.checkTerminal(interactive, tty); err != nil {
			return err
		}
		ctx := cmd.Context()
		sys, err := a.openSystem(ctx, readState, id)
		if err != nil {
			return a.failure("exec", id, err)
		}
		a.follow(ctx)
		state, err := a.runProcess(ctx, sys, params, interactive, tty)
		return a.processResult(ctx, "exec", id, sys, state, err)
	})
	return cmd
}

// processFlags adds the flags of hcs exec and hcs run that shape the
// process.
func processFlags(cmd *cobra.Command, interactive, tty *bool, env *[]string, workdir *string) {
	cmd.Flags().BoolVarP(interactive, "interactive", "i", false, "copy standard input to the process")
	cmd.Flags().BoolVarP(tty, "tty", "t", false, "give the process a console sized from the local terminal")
	cmd.Flags().StringArrayVarP(env, "env", "e", nil, "set an environment variable: NAME=VALUE")
	cmd.Flags().StringVarP(workdir, "workdir", "w", "", "the process's working directory")
}

// processParams returns the parameters of a process running args, with
// the -e and -w flags.
func processParams(args, env []string, workdir string) (*schema.ProcessParameters, error) {
	params := &schema.ProcessParameters{CommandLine: hcs.CommandLine(args...), WorkingDirectory: workdir}
	for _, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, &usageError{fmt.Sprintf("--env %q: want NAME=VALUE", kv)}
		}
		if params.Environment == nil {
			params.Environment = make(map[string]string)
		}
		params.Environment[name] = value
	}
	return params, nil
}

// runProcess runs a process with params in sys, its streams copied to and
// from hcs's (standard input with interactive only), as a console process
// with tty.
func (a *app) runProcess(ctx context.Context, sys *hcs.System, params *schema.ProcessParameters,
	interactive, tty bool) (*hcs.ProcessState, error) {
	if tty {
		return a.runConsole(ctx, sys, params, interactive)
	}
	c := &hcs.Cmd{ProcessParameters: params, Stdout: a.stdout, Stderr: a.stderr, WaitDelay: execWaitDelay}
	if interactive {
		c.Stdin = a.stdin
	}
	return sys.Run(ctx, c)
}

// processResult returns what hcs command (exec, run) ends with after the
// process it ran in system sys, whose id is id, ended with state and err:
// the process's exit code, or a failure. When the system stopped under the
// process, it says so rather than pass on an exit code the process never
// chose.
func (a *app) processResult(ctx context.Context, command, id string, sys *hcs.System, state *hcs.ProcessState, err error) error {
	if err != nil && ctx.Err() == nil {
		if how, stopped := systemStopped(ctx, sys); stopped {
			return &exitError{code: exitFailure,
				msg: fmt.Sprintf("hcs %s %s: the compute system stopped (%s) while the process ran", command, showID(id), how)}
		}
	}
	var exit *hcs.ExitError
	var usage *usageError
	switch {
	case errors.As(err, &exit):
		return exitStatus(command, id, exit.ExitCode())
	case err == nil, state != nil && state.Success() && onlyWaitDelay(err):
		// The process exited; only the copy of hcs's standard input,
		// blocked in a read, did not end: it no longer matters.
		return nil
	case errors.As(err, &usage):
		return err
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return &exitError{code: exitInterrupted, msg: "hcs " + command + " " + id + ": interrupted: the process was terminated"}
	}
	return a.failure(command, id, err)
}

// execWaitDelay is how long hcs exec waits, once its process has exited,
// for the copies of its streams — notably for a read of hcs's standard
// input that only ends at end of file.
const execWaitDelay = 500 * time.Millisecond

// exitStatus returns the error that makes hcs command exit with the exit
// code of the process it ran in system id. Outside Windows an exit status holds
// 8 bits: a code that does not fit (which the shell would see truncated,
// 256 as 0) gives status 1 and a message with the code instead. Windows
// keeps the whole code.
func exitStatus(command, id string, code int) error {
	switch {
	case code == 0:
		return nil
	case code == -1:
		return &exitError{code: exitFailure, msg: fmt.Sprintf("hcs %s %s: the process's exit code is unknown", command, id)}
	case runtime.GOOS != "windows" && (code < 0 || code > 255):
		return &exitError{code: exitFailure,
			msg: fmt.Sprintf("hcs %s %s: exit status %d (%#x), more than an exit status holds here", command, id, code, uint32(code))}
	}
	return &exitError{code: code}
}

// onlyWaitDelay reports whether err is hcs.ErrWaitDelay alone, possibly
// joined with itself.
func onlyWaitDelay(err error) bool {
	if err == nil {
		return false
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !onlyWaitDelay(e) {
				return false
			}
		}
		return true
	}
	return errors.Is(err, hcs.ErrWaitDelay)
}

// systemStopped reports whether sys has stopped, and how it exited as far
// as HCS says: the exit the handle saw, or the system's state.
func systemStopped(ctx context.Context, sys *hcs.System) (schema.NotificationType, bool) {
	now, cancel := context.WithCancel(ctx)
	cancel() // Wait returns an exit it has seen, and does not wait for one
	if st, err := sys.Wait(now); err == nil {
		return st.ExitType, true
	}
	ctx, cancel = context.WithTimeout(ctx, systemQueryTimeout)
	defer cancel()
	props, err := sys.Properties(ctx)
	switch {
	case err != nil:
		return schema.NotificationTypeUnknown, gone(err)
	case props.State == schema.StateStopped:
		if props.ExitType == "" {
			return schema.NotificationTypeUnknown, true
		}
		return props.ExitType, true
	}
	return "", false
}

// systemQueryTimeout bounds the query hcs exec makes, once its process
// has failed, to learn whether the system stopped under it.
const systemQueryTimeout = 5 * time.Second
