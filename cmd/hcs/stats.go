package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/schema"
)

func (a *app) statsCommand() *cobra.Command {
	var (
		watch    bool
		interval time.Duration
		cpus     int
	)
	cmd := &cobra.Command{
		Use:   "stats ID...",
		Short: "Show the processor, memory, storage and network use of compute systems",
		Long: `Show the resource use of running compute systems: processor use in percent
of the processors the system may use (total, user, kernel), memory (commit,
peak commit, private working set), storage throughput (bytes and
operations per second) and network throughput (bytes received and sent
per second, over all the endpoints HCS reports; - when it reports none).

Rates need two statistics samples: hcs stats takes one, waits --interval
(1s), takes another and computes the rates between them (hcs.UsageBetween).
With --watch it goes on, refreshing every interval like docker stats, until
Ctrl-C; with -o json it then writes one JSON object per system and refresh.

Processor percentages are relative to --cpus processors: by default the
host's logical processors for the local HCS (as docker stats counts a
process-isolated container), 1 for the simulator, whose systems are modelled
on one processor. Give a virtual machine's processor count for VMs.`,
		Example: `  hcs stats web1
  hcs stats --watch web1 web2
  hcs stats --cpus 2 vm1 -o json`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: a.completeIDs,
	}
	out := formatFlag(cmd, formatTable, formatTable, formatJSON, formatYAML)
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "refresh every interval until Ctrl-C")
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "time between samples")
	cmd.Flags().IntVar(&cpus, "cpus", 0, "processors the percentages are relative to (default: see above)")
	cmd.RunE = a.runE(func(cmd *cobra.Command, args []string) error {
		if interval <= 0 {
			return &usageError{"--interval must be positive"}
		}
		if cpus < 0 {
			return &usageError{"--cpus must not be negative"}
		}
		if watch && *out == formatYAML {
			return &usageError{"--watch writes tables or JSON lines: use -o table or -o json"}
		}
		ctx := cmd.Context()
		s, err := a.open(ctx, readState)
		if err != nil {
			return err
		}
		if cpus == 0 {
			cpus = runtime.NumCPU()
			if s.sim != nil {
				cpus = 1
			}
		}
		w := &statsWatcher{a: a, cpus: cpus}
		for _, id := range args {
			sys, err := a.openSystem(ctx, readState, id)
			if err != nil {
				return a.failure("stats", id, err)
			}
			w.systems = append(w.systems, &sampled{sys: sys})
		}
		if watch {
			a.follow(ctx)
		}
		for round := 0; ; round++ {
			if err := w.sample(ctx, watch); err != nil {
				return err
			}
			if watch && ctx.Err() != nil {
				return nil // Ctrl-C ends watching
			}
			if round > 0 {
				if err := w.write(*out, watch); err != nil {
					return err
				}
				if !watch {
					return nil
				}
			}
			select {
			case <-time.After(interval):
			case <-ctx.Done():
				if watch {
					return nil
				}
				return &exitError{code: exitInterrupted, msg: "hcs stats: interrupted before the second sample"}
			}
		}
	})
	return cmd
}

// statsWatcher samples the statistics of systems.
type statsWatcher struct {
	a       *app
	cpus    int
	systems []*sampled
}

// sampled is a system and its last samples.
type sampled struct {
	sys       *hcs.System
	prev, cur *schema.Statistics
	usage     *hcs.Usage // between prev and cur; nil before two samples
}

// sample takes a statistics sample of every system. When watching, a
// system that goes away is dropped with a message; otherwise, or when
// none is left, the error ends the command.
func (w *statsWatcher) sample(ctx context.Context, watch bool) error {
	kept := w.systems[:0]
	var last error
	for _, s := range w.systems {
		st, err := s.sys.Statistics(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) && watch {
				return nil
			}
			ferr := w.a.failure("stats", s.sys.ID(), err)
			if !watch {
				return ferr
			}
			if last != nil {
				fmt.Fprintln(w.a.stderr, last)
			}
			last = ferr
			continue
		}
		kept = append(kept, s)
		if s.cur == nil {
			s.cur = st
			continue
		}
		u, err := hcs.UsageBetween(s.cur, st, w.cpus)
		if errors.Is(err, hcs.ErrStaleSample) {
			continue // HCS has not refreshed its counters: keep the samples
		}
		if err != nil {
			return w.a.failure("stats", s.sys.ID(), err)
		}
		s.prev, s.cur, s.usage = s.cur, st, &u
	}
	w.systems = kept
	if last == nil {
		return nil
	}
	if len(kept) == 0 {
		return last // none left: the last failure ends watching
	}
	fmt.Fprintln(w.a.stderr, last)
	return nil
}

// statsEntry is what hcs stats -o json writes for a system: the usage
// between the samples (Go field names; durations in nanoseconds) and the
// last sample, a schema Statistics document.
type statsEntry struct {
	ID         string             `json:"Id"`
	Usage      *hcs.Usage         `json:"Usage"`
	Statistics *schema.Statistics `json:"Statistics"`
}

// write writes the usage of the systems that have one.
func (w *statsWatcher) write(f format, watch bool) error {
	var entries []statsEntry
	for _, s := range w.systems {
		if s.usage != nil {
			entries = append(entries, statsEntry{ID: s.sys.ID(), Usage: s.usage, Statistics: s.cur})
		}
	}
	out := w.a.stdout
	switch {
	case f == formatTable && watch && w.a.stdoutIsTerminal():
		fmt.Fprint(out, "\x1b[H\x1b[2J") // refresh in place, like docker stats
		return writeStats(out, entries)
	case f == formatTable:
		if watch {
			defer fmt.Fprintln(out)
		}
		return writeStats(out, entries)
	case watch:
		for _, e := range entries {
			if err := writeLine(out, e); err != nil {
				return err
			}
		}
		return nil
	}
	if entries == nil {
		entries = []statsEntry{}
	}
	return writeData(out, f, entries)
}

// writeStats writes the table of hcs stats.
func writeStats(w io.Writer, entries []statsEntry) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tCPU %\tUSER %\tKERNEL %\tCOMMIT\tPEAK COMMIT\tPRIVATE WS\tREAD/s\tWRITE/s\tREAD OPS/s\tWRITE OPS/s\tNET RX/s\tNET TX/s")
	for _, e := range entries {
		u := e.Usage
		fmt.Fprintf(tw, "%s", e.ID)
		if c := u.CPU; c != nil {
			fmt.Fprintf(tw, "\t%.2f%%\t%.2f%%\t%.2f%%", c.Percent, c.UserPercent, c.KernelPercent)
		} else {
			fmt.Fprint(tw, "\t-\t-\t-")
		}
		if m := u.Memory; m != nil {
			fmt.Fprintf(tw, "\t%s\t%s\t%s", humanBytes(float64(m.CommitBytes)),
				humanBytes(float64(m.CommitPeakBytes)), humanBytes(float64(m.PrivateWorkingSetBytes)))
		} else {
			fmt.Fprint(tw, "\t-\t-\t-")
		}
		if st := u.Storage; st != nil {
			fmt.Fprintf(tw, "\t%s\t%s\t%.0f\t%.0f", humanBytes(st.ReadBytesPerSecond), humanBytes(st.WriteBytesPerSecond),
				st.ReadsPerSecond, st.WritesPerSecond)
		} else {
			fmt.Fprint(tw, "\t-\t-\t-\t-")
		}
		if n := u.Network; n != nil && len(n.Endpoints) > 0 {
			fmt.Fprintf(tw, "\t%s\t%s\n", humanBytes(n.ReceiveBytesPerSecond), humanBytes(n.TransmitBytesPerSecond))
		} else {
			fmt.Fprint(tw, "\t-\t-\n")
		}
	}
	return tw.Flush()
}
