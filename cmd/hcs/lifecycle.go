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
// that changes them, printing each id done and each failure. It fails when
// any did, after trying them all.
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
		if err != nil {
			ferr := a.failure(cmd.Name(), id, err)
			var exit *exitError
			if errors.As(ferr, &exit) && exit.code == exitInterrupted {
				return ferr
			}
			fmt.Fprintln(a.stderr, ferr)
			failed = true
			continue
		}
		fmt.Fprintln(a.stdout, id)
	}
	if failed {
		return &exitError{code: exitFailure}
	}
	return nil
}

// simpleCommand returns a command that makes one call on each system it
// names; verb describes the wait for the spinner ("starting"), or is ""
// for calls too quick to need one.
func (a *app) simpleCommand(use, short, long, verb string, call func(*hcs.System, context.Context) error) *cobra.Command {
	return &cobra.Command{
		Use:               use + " ID...",
		Short:             short,
		Long:              long,
		Example:           "  hcs " + use + " web1\n  hcs " + use + " web1 web2",
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: a.completeIDs,
		RunE: a.runE(func(cmd *cobra.Command, args []string) error {
			return a.eachSystem(cmd, args, func(ctx context.Context, sys *hcs.System) error {
				if verb == "" {
					return call(sys, ctx)
				}
				return a.during(ctx, verb+" "+sys.ID(), func(ctx context.Context) error { return call(sys, ctx) })
			})
		}),
	}
}

func (a *app) startCommand() *cobra.Command {
	return a.simpleCommand("start", "Start compute systems",
		"Start compute systems that are in state Created.", "starting", (*hcs.System).Start)
}

func (a *app) killCommand() *cobra.Command {
	return a.simpleCommand("kill", "Terminate compute systems",
		"Terminate compute systems at once, without a clean shutdown (ExitType ForcedExit).", "", (*hcs.System).Terminate)
}

func (a *app) pauseCommand() *cobra.Command {
	return a.simpleCommand("pause", "Pause compute systems",
		"Pause running compute systems; hcs resume lets them run again.", "", (*hcs.System).Pause)
}

func (a *app) resumeCommand() *cobra.Command {
	return a.simpleCommand("resume", "Resume paused compute systems",
		"Resume paused compute systems.", "", (*hcs.System).Resume)
}

func (a *app) stopCommand() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "stop ID...",
		Short: "Shut compute systems down, terminating those that take too long",
		Long: `Ask compute systems to shut down cleanly and wait up to --timeout for each;
a system still running then is terminated, and hcs says so. So is a system
that cannot shut down cleanly: one never started, or one whose guest does not
support a shutdown. A clean shutdown exits with ExitType GracefulExit, a
termination with ForcedExit.`,
		Example: `  hcs stop web1
  hcs stop --timeout 1m web1 web2`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: a.completeIDs,
	}
	cmd.Flags().DurationVarP(&timeout, "timeout", "t", 10*time.Second, "how long a shutdown may take before hcs terminates the system")
	cmd.RunE = a.runE(func(cmd *cobra.Command, args []string) error {
		if timeout <= 0 {
			return &usageError{"--timeout must be positive"}
		}
		return a.eachSystem(cmd, args, func(ctx context.Context, sys *hcs.System) error {
			return a.stop(ctx, sys, timeout)
		})
	})
	return cmd
}

// stop shuts sys down, and terminates it if the shutdown takes longer than
// timeout, or if the system cannot shut down cleanly at all: one never
// started, or one whose guest does not support it.
func (a *app) stop(ctx context.Context, sys *hcs.System, timeout time.Duration) error {
	err := a.during(ctx, "stopping "+sys.ID(), func(ctx context.Context) error {
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
	fmt.Fprintf(a.stderr, "hcs stop %s: %s: terminating\n", sys.ID(), why)
	return a.during(ctx, "terminating "+sys.ID(), sys.Terminate)
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
		ValidArgsFunction: a.completeIDs,
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
			return a.during(ctx, "saving "+sys.ID(), func(ctx context.Context) error { return sys.Save(ctx, opts) })
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
hcs wait exits with 0 once the system has exited, however it did.`,
		Example: `  hcs wait web1
  hcs wait web1 -o json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeIDs,
	}
	out := formatFlag(cmd, formatTable, formatTable, formatJSON, formatYAML)
	cmd.RunE = a.runE(func(cmd *cobra.Command, args []string) error {
		id := args[0]
		ctx := cmd.Context()
		sys, err := a.openSystem(ctx, readState, id)
		if err != nil {
			return a.failure("wait", id, err)
		}
		a.follow(ctx)
		st, err := sys.Wait(ctx)
		if err != nil {
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
		fmt.Fprintln(a.stdout, line)
		return nil
	})
	return cmd
}
