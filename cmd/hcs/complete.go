package main

import (
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs/schema"
)

// Every state a system can be in but Stopped: the states in which the
// commands that stop or inspect a live system accept it.
var liveStates = []schema.State{schema.StateCreated, schema.StateRunning, schema.StatePaused, schema.StateSavedAsTemplate}

// completeIDs returns the completion of the id arguments of a command that
// takes at most max of them (0: any number) and acts on systems in the
// given states (none: any). It offers the ids of the systems in those
// states, with the state as description, less those already typed; none
// past max or after "--"; and never an id that does not follow the rule of
// the ids hcs creates (see checkID), which could not be offered safely.
func (a *app) completeIDs(max int, states ...schema.State) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if a.dashTyped() || max > 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return a.systemIDs(cmd, args, states)
	}
}

// dashTyped reports whether the command line being completed has "--"
// before the word to complete: what follows it is not ids. (cobra's
// completion leaves cmd.ArgsLenAtDash set by a parse of its own, with a
// "--" added, so it cannot tell.)
func (a *app) dashTyped() bool {
	return len(a.words) > 1 && slices.Contains(a.words[:len(a.words)-1], "--")
}

// completeIDFlag is completeIDs for a flag that takes ids, such as
// list --id.
func (a *app) completeIDFlag(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return a.systemIDs(cmd, nil, nil)
}

// systemIDs returns the ids of the systems in states (any when empty),
// but those in typed.
func (a *app) systemIDs(cmd *cobra.Command, typed []string, states []schema.State) ([]cobra.Completion, cobra.ShellCompDirective) {
	s, err := a.open(cmd.Context(), readState)
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	infos, err := s.host.ListSystems(cmd.Context(), nil)
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var ids []cobra.Completion
	for _, info := range infos {
		if !validID(info.ID) || slices.Contains(typed, info.ID) ||
			len(states) > 0 && !slices.Contains(states, info.State) {
			continue
		}
		ids = append(ids, cobra.CompletionWithDesc(info.ID, cell(string(info.State))))
	}
	return ids, cobra.ShellCompDirectiveNoFileComp
}

// cell returns s for a table cell or a completion's description: as it is,
// or quoted as a Go string when it holds a tab, a newline or a character
// that must not reach a terminal.
func cell(s string) string {
	if strings.ContainsAny(s, "\t\n") || needsEscape(s) {
		return strconv.Quote(s)
	}
	return s
}
