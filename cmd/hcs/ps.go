package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs/schema"
)

func (a *app) psCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ps ID",
		Short: "List the processes of a compute system",
		Long: `List the processes of a compute system, from its ProcessList property: PID,
IMAGE and CREATED. With -o json, HCS's ProcessDetails documents.

On the simulator a process lives only inside the hcs exec that started it,
and hcs ps runs in an invocation of its own: there it lists no process.`,
		Example: `  hcs ps web1
  hcs ps web1 -o json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeIDs(1),
	}
	out := formatFlag(cmd, formatTable, formatTable, formatJSON, formatYAML)
	cmd.RunE = a.runE(func(cmd *cobra.Command, args []string) error {
		id := args[0]
		sys, err := a.openSystem(cmd.Context(), readState, id)
		if err != nil {
			return a.failure("ps", id, err)
		}
		props, err := sys.Properties(cmd.Context(), schema.SystemPropertyTypeProcessList)
		if err != nil {
			return a.failure("ps", id, err)
		}
		list := props.ProcessList
		if list == nil {
			list = []schema.ProcessDetails{}
		}
		if *out != formatTable {
			return writeData(a.stdout, *out, list)
		}
		tw := newTable(a.stdout)
		fmt.Fprintln(tw, "PID\tIMAGE\tCREATED")
		for _, p := range list {
			pid := "?"
			if p.ProcessID != nil {
				pid = fmt.Sprint(*p.ProcessID)
			}
			created := ""
			if !p.CreateTimestamp.IsZero() {
				created = humanDuration(time.Since(p.CreateTimestamp)) + " ago"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", pid, cell(p.ImageName), created)
		}
		return tw.Flush()
	})
	return cmd
}
