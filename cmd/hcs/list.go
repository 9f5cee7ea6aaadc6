package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/schema"
)

func (a *app) listCommand() *cobra.Command {
	var owners, types, ids []string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List compute systems",
		Long: `List the compute systems of the host: ID, TYPE, OWNER, STATE, RUNTIME ID and
UPTIME (for running and paused systems). Filters select by membership; a
filter given several times, or with commas, matches any of its values.

With -o json or yaml, each system is HCS's enumeration record (Id, SystemType,
Owner, RuntimeId, State, ...) with Uptime100ns, HCS's uptime in 100 ns units.`,
		Example: `  hcs list
  hcs list --owner ci-runner --type Container
  hcs list -o json | jq -r '.[].Id'`,
		Args: cobra.NoArgs,
	}
	out := formatFlag(cmd, formatTable, formatTable, formatJSON, formatYAML)
	cmd.Flags().StringSliceVar(&owners, "owner", nil, "only the systems of this owner")
	cmd.Flags().StringSliceVar(&types, "type", nil, "only systems of this type: Container or VirtualMachine")
	cmd.Flags().StringSliceVar(&ids, "id", nil, "only the system with this id")
	_ = cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions(
		[]string{string(schema.SystemTypeContainer), string(schema.SystemTypeVirtualMachine)}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("id", a.completeIDFlag)
	cmd.RunE = a.runE(func(cmd *cobra.Command, _ []string) error {
		q := &schema.SystemQuery{IDs: ids, Owners: owners}
		for _, t := range types {
			st, err := systemType(t)
			if err != nil {
				return err
			}
			q.Types = append(q.Types, st)
		}
		s, err := a.open(cmd.Context(), readState)
		if err != nil {
			return err
		}
		entries, err := listSystems(cmd.Context(), s.host, q)
		if err != nil {
			return a.failure("list", "", err)
		}
		if *out != formatTable {
			return writeData(a.stdout, *out, entries)
		}
		return writeList(a.stdout, entries)
	})
	return cmd
}

// systemType returns the system type named t, in any case: Container or
// VirtualMachine. Another name is a usage error.
func systemType(t string) (schema.SystemType, error) {
	for _, st := range []schema.SystemType{schema.SystemTypeContainer, schema.SystemTypeVirtualMachine} {
		if strings.EqualFold(t, string(st)) {
			return st, nil
		}
	}
	return "", &usageError{fmt.Sprintf("--type %q: want Container or VirtualMachine", t)}
}

// listEntry is a compute system as hcs list shows it: HCS's enumeration
// record and the system's uptime.
type listEntry struct {
	hcs.SystemInfo
	// Uptime100ns is the time since the system started, in HCS's units of
	// 100 ns, from its statistics; absent unless it runs or is paused.
	Uptime100ns *uint64 `json:"Uptime100ns,omitempty"`
}

// uptimeConcurrency bounds the statistics queries of one listing.
const uptimeConcurrency = 8

// listSystems lists the systems q selects with their uptimes. A system that
// vanishes or stops while it is listed has no uptime; other failures to get
// one fail the listing.
func listSystems(ctx context.Context, host *hcs.Host, q *schema.SystemQuery) ([]listEntry, error) {
	infos, err := host.ListSystems(ctx, q)
	if err != nil {
		return nil, err
	}
	entries := make([]listEntry, len(infos))
	errs := make([]error, len(infos))
	var wg sync.WaitGroup
	sem := make(chan struct{}, uptimeConcurrency)
	for i, info := range infos {
		entries[i].SystemInfo = info
		if info.State != schema.StateRunning && info.State != schema.StatePaused {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			entries[i].Uptime100ns, errs[i] = uptime(ctx, host, info.ID)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return entries, nil
}

// uptime returns the uptime of system id in 100 ns units; nil when the
// system has gone or stopped.
func uptime(ctx context.Context, host *hcs.Host, id string) (*uint64, error) {
	sys, err := host.OpenSystem(ctx, id)
	if err != nil {
		if gone(err) {
			return nil, nil
		}
		return nil, err
	}
	defer sys.Close()
	st, err := sys.Statistics(ctx)
	if err != nil {
		if gone(err) {
			return nil, nil
		}
		return nil, err
	}
	if st.Uptime100ns != nil {
		return st.Uptime100ns, nil
	}
	if !st.ContainerStartTime.IsZero() {
		up := uptimeBetween(st.ContainerStartTime, st.Timestamp)
		return &up, nil
	}
	return nil, nil
}

// uptimeBetween returns the time from start to now in 100 ns units, 0 when
// now is before start: the two can come from clocks that disagree.
func uptimeBetween(start, now time.Time) uint64 {
	return uint64(max(now.Sub(start), 0) / 100)
}

// gone reports whether err says that a system vanished or stopped.
func gone(err error) bool {
	return errors.Is(err, hcs.ErrNotFound) || errors.Is(err, hcs.ErrInvalidState) ||
		errors.Is(err, hcs.ErrAlreadyStopped) || errors.Is(err, hcs.ErrUnexpectedExit)
}

// writeList writes the table of hcs list. Its cells come from HCS: they
// are escaped, as ids are (see showID and cell).
func writeList(w io.Writer, entries []listEntry) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tTYPE\tOWNER\tSTATE\tRUNTIME ID\tUPTIME")
	for _, e := range entries {
		up := ""
		if e.Uptime100ns != nil {
			up = humanDuration(time.Duration(*e.Uptime100ns) * 100)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", showID(e.ID), cell(string(e.Type)), cell(e.Owner),
			cell(string(e.State)), cell(e.RuntimeID), up)
	}
	return tw.Flush()
}
