package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs/schema"
)

// propertyTypes are the values of inspect --type.
var propertyTypes = []string{
	string(schema.SystemPropertyTypeStatistics),
	string(schema.SystemPropertyTypeProcessList),
	string(schema.SystemPropertyTypeMemory),
	string(schema.SystemPropertyTypeTerminateOnLastHandleClosed),
	string(schema.SystemPropertyTypeSharedMemoryRegion),
	string(schema.SystemPropertyTypeGuestConnection),
}

func (a *app) inspectCommand() *cobra.Command {
	var types []string
	cmd := &cobra.Command{
		Use:   "inspect ID",
		Short: "Show the properties of a compute system",
		Long: `Show the properties of a compute system as HCS's Properties document: its
id, type, owner, state, runtime id, ... and the property types asked for
with --type.`,
		Example: `  hcs inspect web1
  hcs inspect web1 --type Statistics,ProcessList
  hcs inspect web1 -o yaml`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeIDs(1),
	}
	out := formatFlag(cmd, formatJSON, formatJSON, formatYAML)
	cmd.Flags().StringSliceVar(&types, "type", nil, "property types to add: "+strings.Join(propertyTypes, ", "))
	_ = cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions(propertyTypes, cobra.ShellCompDirectiveNoFileComp))
	cmd.RunE = a.runE(func(cmd *cobra.Command, args []string) error {
		id := args[0]
		sys, err := a.openSystem(cmd.Context(), readState, id)
		if err != nil {
			return a.failure("inspect", id, err)
		}
		pt := make([]schema.SystemPropertyType, len(types))
		for i, t := range types {
			pt[i] = schema.SystemPropertyType(t)
		}
		props, err := sys.Properties(cmd.Context(), pt...)
		if err != nil {
			return a.failure("inspect", id, err)
		}
		return writeData(a.stdout, *out, props)
	})
	return cmd
}
