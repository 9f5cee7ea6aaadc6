package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/schema"
)

func (a *app) execCommand() *cobra.Command {
	var (
		interactive bool
		env         []string
		workdir     string
	)
	cmd := &cobra.Command{
		Use:   "exec ID [flags] -- COMMAND [ARG...]",
		Short: "Run a process in a compute system",
		Long: `Run a process in a running compute system, with its standard output and
error copied to hcs's, and with -i its standard input from hcs's. hcs exec
exits with the process's exit code.

The command line is built from COMMAND and ARGs with Windows quoting rules,
so each ARG reaches the process as one argument. The process is terminated
if hcs is interrupted. On the simulator, the built-in commands are echo,
exit CODE, cat, spew, wait and sleep DURATION (see package hcssim), and a
process lives only as long as the hcs exec that started it.`,
		Example: `  hcs exec web1 -- cmd /c echo hello
  hcs exec -i web1 -- cat < input.txt
  hcs exec -e GREETING=hi -w 'C:\app' web1 -- app.exe --serve`,
		Args:              cobra.MinimumNArgs(2),
		ValidArgsFunction: a.completeIDs,
	}
	cmd.Flags().BoolVarP(&interactive, "interactive", "i", false, "copy standard input to the process")
	cmd.Flags().StringArrayVarP(&env, "env", "e", nil, "set an environment variable: NAME=VALUE")
	cmd.Flags().StringVarP(&workdir, "workdir", "w", "", "the process's working directory")
	cmd.RunE = a.runE(func(cmd *cobra.Command, args []string) error {
		if n := cmd.ArgsLenAtDash(); n != 1 {
			return &usageError{"want ID -- COMMAND [ARG...]"}
		}
		id := args[0]
		params := &schema.ProcessParameters{WorkingDirectory: workdir}
		for _, kv := range env {
			name, value, ok := strings.Cut(kv, "=")
			if !ok || name == "" {
				return &usageError{fmt.Sprintf("--env %q: want NAME=VALUE", kv)}
			}
			if params.Environment == nil {
				params.Environment = make(map[string]string)
			}
			params.Environment[name] = value
		}
		ctx := cmd.Context()
		sys, err := a.openSystem(ctx, readState, id)
		if err != nil {
			return a.failure("exec", id, err)
		}
		a.follow(ctx)
		c := &hcs.Cmd{Args: args[1:], Params: params, Stdout: a.stdout, Stderr: a.stderr}
		if interactive {
			c.Stdin = a.stdin
		}
		_, err = sys.Run(ctx, c)
		var exit *hcs.ExitError
		if errors.As(err, &exit) {
			return &exitError{code: exit.ExitCode()}
		}
		return a.failure("exec", id, err)
	})
	return cmd
}
