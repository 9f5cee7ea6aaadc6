package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/schema"
)

// eachSystem runs act on each of the systems ids, opened for a command
// that changes them. It prints each id once the change is saved, and each
// failure on its own line, and goes on with the other ids; it fails when
// any did. Ctrl-C, or a state file it cannot save, stops it at once.
func (a *app) eachSystem(cmd *cobra.Command, ids []string, act func(ctx context.Context, sys *hcs.System) error) error {
	ctx := cmd.Context()
	if _, err := a.open(ctx, writeState); err != nil {
		return err
	}
	failed := false
	for _, id := range ids {
		err := func() error {
			sys, err := a.openSystem(ctx, writeState, id)
			if err != nil {
				return err
			}
			return act(ctx, sys)
		}()
		if err == nil {
			// Printed once saved: an id on stdout is a change that holds.
			if err := a.commit(); err != nil {
				return a.failure(cmd.Name(), id, fmt.Errorf("%w: the system is left as it was", err))
			}
			fmt.Fprintln(a.stdout, showID(id))
			continue
		}
		if err := a.report(cmd.Name(), id, err); err != nil {
			return err
		}
		failed = true
	}
	if failed {
		return &exitError{code: exitFailure}
	}
	return nil
}

// report prints the failure of command on the system id (see failure) and
// returns nil, so that the command goes on with its other systems; or
// returns the failure when it must end the command: an interruption.
func (a *app) report(command, id string, err error) error {
	ferr := a.failure(command, id, err)
	var exit *exitError
	if errors.As(ferr, &exit) && exit.code == exitInterrupted {
		return ferr
	}
	a.warn("%s", ferr)
	return nil
}

// simpleCommand returns a command that makes one call on each system it
// names, systems in the given states; verb describes the wait for the
// spinner ("starting"), or is "" for calls too quick to need one.
func (a *app) simpleCommand(use, short, long, verb string, states []schema.State, call func(*hcs.System, context.Context) error) *cobra.Command {
	return &cobra.Command{
		Use:               use + " ID...",
		Short:             short,
		Long:              long,
		Example:           "  hcs " + use + " web1\n  hcs " + use + " web1 web2",
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: a.completeIDs(0, states...),
		RunE: a.runE(func(cmd *cobra.Command, args []string) error {
			return a.eachSystem(cmd, args, func(ctx context.Context, sys *hcs.System) error {
				if verb == "" {
					return call(sys, ctx)
				}
				return a.during(ctx, verb+" "+showID(sys.ID()), func(ctx context.Context) error { return call(sys, ctx) })
			})
		}),
	}
}

func (a *app) startCommand() *cobra.Command {
	return a.simpleCommand("start", "Start compute systems",
		"Start compute systems that are in state Created.", "starting",
		[]schema.State{schema.StateCreated}, (*hcs.System).Start)
}

func (a *app) killCommand() *cobra.Command {
	return a.simpleCommand("kill", "Terminate compute systems",
		"Terminate compute systems at once, without a clean shutdown (ExitType ForcedExit).", "",
		liveStates, (*hcs.System).Terminate)
}

func (a *app) pauseCommand() *cobra.Command {
	return a.simpleCommand("pause", "Pause compute systems",
		"Pause running compute systems; hcs resume lets them run again.", "",
		[]schema.State{schema.StateRunning}, (*hcs.System).Pause)
}

func (a *app) resumeCommand() *cobra.Command {
	return a.simpleCommand("resume", "Resume paused compute systems",
		"Resume paused compute systems.", "",
		[]schema.State{schema.StatePaused}, (*hcs.System).Resume)
}

func (a *app) stopCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stop ID...",
		Short: "Shut compute systems down, terminating those that take too long",
		Long: `Ask compute systems to shut down cleanly and wait up to --timeout for each;
a system still running then is terminated, and hcs says so. So is a system
that cannot shut down cleanly: one never started, or one whose guest does not
support a shutdown. A clean shutdown exits with ExitType GracefulExit, a
termination with ForcedExit. As with docker stop, -t takes seconds.`,
		Example: `  hcs stop web1
  hcs stop -t 60 web1 web2
  hcs stop --timeout 1m30s web1`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: a.completeIDs(0, liveStates...),
	}
	timeout := durationFlag(cmd, "timeout", "t", 10*time.Second, "how long a shutdown may take before hcs terminates the system")
	cmd.RunE = a.runE(func(cmd *cobra.Command, args []string) error {
		if *timeout <= 0 {
			return &usageError{"--timeout must be positive"}
		}
		return a.eachSystem(cmd, args, func(ctx context.Context, sys *hcs.System) error {
			return a.stop(ctx, sys, *timeout)
		})
	})
	return cmd
}

// stop shuts sys down, and terminates it if the shutdown takes longer than
// timeout, or if the system cannot shut down cleanly at all: one never
// started, or one whose guest does not support it.
func (a *app) stop(ctx context.Context, sys *hcs.System, timeout time.Duration) error {
	err := a.during(ctx, "stopping "+showID(sys.ID()), func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return sys.Shutdown(ctx)
	})
	var why string
	switch {
	case err == nil || ctx.Err() != nil:
		return err
	case errors.Is(err, context.DeadlineExceeded):
		why = fmt.Sprintf("no shutdown within %v", timeout)
	case errors.Is(err, hcs.ErrInvalidState), errors.Is(err, hcs.ErrNotSupported),
		errors.Is(err, hcs.HCS_E_SYSTEM_NOT_CONFIGURED_FOR_OPERATION):
		why = fmt.Sprintf("it cannot shut down cleanly (%v)", hcsCause(err))
	default:
		return err
	}
	a.warn("hcs stop %s: %s: terminating", showID(sys.ID()), why)
	return a.during(ctx, "terminating "+showID(sys.ID()), sys.Terminate)
}

// hcsCause returns the HRESULT's name behind err, or err's text.
func hcsCause(err error) string {
	if hr, ok := errors.AsType[hcs.HRESULT](err); ok {
		return hr.String()
	}
	return err.Error()
}

func (a *app) saveCommand() *cobra.Command {
	var path string
	var template bool
	cmd := &cobra.Command{
		Use:   "save ID --path FILE",
		Short: "Save the state of a paused compute system",
		Long: `Save the state of a paused compute system to a file (SaveType ToFile), or
with --as-template as a template (SaveType AsTemplate, leaving the system in
state SavedAsTemplate). The path is the host's: HCS, not hcs, writes it.`,
		Example:           `  hcs pause vm1 && hcs save vm1 --path 'C:\state\vm1.vmrs'`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeIDs(1, schema.StatePaused),
	}
	cmd.Flags().StringVar(&path, "path", "", "the file to save the state to")
	cmd.Flags().BoolVar(&template, "as-template", false, "save as a template rather than to a file")
	cmd.MarkFlagsOneRequired("path", "as-template")
	cmd.RunE = a.runE(func(cmd *cobra.Command, args []string) error {
		opts := &schema.SaveOptions{SaveType: schema.SaveTypeToFile, SaveStateFilePath: path}
		if template {
			opts.SaveType = schema.SaveTypeAsTemplate
		}
		return a.eachSystem(cmd, args, func(ctx context.Context, sys *hcs.System) error {
			return a.during(ctx, "saving "+showID(sys.ID()), func(ctx context.Context) error { return sys.Save(ctx, opts) })
		})
	})
	return cmd
}

func (a *app) waitCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "wait ID",
		Short: "Wait for a compute system to exit",
		Long: `Wait for a compute system to exit and print how it exited: GracefulExit,
ForcedExit or UnexpectedExit. With -o json, the SystemExitStatus document.
hcs wait exits with 0 once the system has exited, however it did, and with
1, saying so, when --timeout passes first.

A system that has already exited: HCS forgets it once its last handle
closes, and hcs wait then fails with HCS_E_SYSTEM_NOT_FOUND. The simulator's
state file remembers how each of its systems exited for 24 hours (the last
256 exits), and hcs wait answers from it: hcs stop web; hcs wait web prints
how web exited.`,
		Example: `  hcs wait web1
  hcs wait --timeout 30 web1 || hcs kill web1
  hcs wait web1 -o json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeIDs(1),
	}
	out := formatFlag(cmd, formatTable, formatTable, formatJSON, formatYAML)
	timeout := durationFlag(cmd, "timeout", "", 0, "how long to wait; 0 waits as long as it takes")
	cmd.RunE = a.runE(func(cmd *cobra.Command, args []string) error {
		id := args[0]
		ctx := cmd.Context()
		if *timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, *timeout)
			defer cancel()
		}
		st, err := a.wait(ctx, id)
		if err != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) && cmd.Context().Err() == nil {
				return &exitError{code: exitFailure, msg: fmt.Sprintf("hcs wait %s: not exited within %v", showID(id), *timeout)}
			}
			return a.failure("wait", id, err)
		}
		if *out != formatTable {
			doc := schema.SystemExitStatus{Status: schema.Ptr(int32(st.Status)), ExitType: st.ExitType, Attribution: st.Attribution}
			return writeData(a.stdout, *out, &doc)
		}
		line := string(st.ExitType)
		if st.Status.Failed() {
			line += " " + st.Status.String()
		}
		fmt.Fprintln(a.stdout, cell(line))
		return nil
	})
	return cmd
}

// wait waits for the system id to exit, and returns how it exited. A
// simulated system that is gone is answered from its exit record.
func (a *app) wait(ctx context.Context, id string) (*hcs.ExitStatus, error) {
	sys, err := a.openSystem(ctx, readState, id)
	if errors.Is(err, hcs.ErrNotFound) && a.session != nil && a.session.state != nil {
		if rec, ok := lastExit(a.session.state.exits, id); ok {
			return &hcs.ExitStatus{ExitType: schema.NotificationType(rec.ExitType)}, nil
		}
	}
	if err != nil {
		return nil, err
	}
	a.follow(ctx)
	announce("wait %s: subscribed", showID(id))
	return sys.Wait(ctx)
}
