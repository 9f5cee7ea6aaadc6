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
		watch bool
		cpus  int
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
Ctrl-C. A system that cannot be sampled, or that goes away while watched, is
reported on its own line and left out; the others go on, and hcs stats exits
with 1 at the end.

With -o json hcs stats writes one JSON object per line (NDJSON) for each
system at each refresh, with --watch or not: Id; Usage, the rates, with
Timestamp, IntervalSeconds and UptimeSeconds (seconds, as floats), Restarted,
CPU (percentages), Memory (bytes), Storage (bytes and operations per second)
and Network (bytes and packets per second, in all and per endpoint); and
Statistics, HCS's last sample, whose counters are in its own
units (Uptime100ns: 100 ns). With -o yaml, a YAML document for each.

Processor percentages are relative to --cpus processors: by default the
host's logical processors for the local HCS (as docker stats counts a
process-isolated container), 1 for the simulator, whose systems are modelled
on one processor. Give a virtual machine's processor count for VMs.`,
		Example: `  hcs stats web1
  hcs stats --watch web1 web2
  hcs stats --cpus 2 vm1 -o json | jq .Usage.CPU.Percent`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: a.completeIDs(0, schema.StateRunning, schema.StatePaused),
	}
	out := formatFlag(cmd, formatTable, formatTable, formatJSON, formatYAML)
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "refresh every interval until Ctrl-C")
	interval := durationFlag(cmd, "interval", "", time.Second, "time between samples")
	cmd.Flags().IntVar(&cpus, "cpus", 0, "processors the percentages are relative to (default: see above)")
	cmd.RunE = a.runE(func(cmd *cobra.Command, args []string) error {
		if *interval <= 0 {
			return &usageError{"--interval must be positive"}
		}
		if cpus < 0 {
			return &usageError{"--cpus must not be negative"}
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
				if err := w.drop(id, err); err != nil {
					return err
				}
				continue
			}
			w.systems = append(w.systems, &sampled{sys: sys})
		}
		if watch {
			a.follow(ctx)
		}
		for round := 0; len(w.systems) > 0; round++ {
			if err := w.sample(ctx, watch); err != nil {
				return err
			}
			if watch && ctx.Err() != nil {
				return w.result() // Ctrl-C ends watching
			}
			if round > 0 {
				if err := w.write(*out, watch); err != nil {
					return err
				}
				if !watch {
					break
				}
			}
			select {
			case <-time.After(*interval):
			case <-ctx.Done():
				if watch {
					return w.result()
				}
				return &exitError{code: exitInterrupted, msg: "hcs stats: interrupted before the second sample"}
			}
		}
		return w.result()
	})
	return cmd
}

// statsWatcher samples the statistics of systems.
type statsWatcher struct {
	a       *app
	cpus    int
	systems []*sampled
	// failed is set once a system could not be sampled.
	failed bool
}

// sampled is a system and its last samples.
type sampled struct {
	sys       *hcs.System
	prev, cur *schema.Statistics
	usage     *hcs.Usage // between prev and cur; nil before two samples
}

// drop reports the failure err of the system id, which is left out. It
// returns the error that ends the command instead: an interruption.
func (w *statsWatcher) drop(id string, err error) error {
	if err := w.a.report("stats", id, err); err != nil {
		return err
	}
	w.failed = true
	return nil
}

// result is the outcome of the command once it ends by itself or on
// Ctrl-C: a failure if a system was dropped.
func (w *statsWatcher) result() error {
	if w.failed {
		return &exitError{code: exitFailure}
	}
	return nil
}

// sample takes a statistics sample of every system. A system that fails is
// reported and dropped.
func (w *statsWatcher) sample(ctx context.Context, watch bool) error {
	kept := w.systems[:0]
	for _, s := range w.systems {
		st, err := s.sys.Statistics(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) && watch {
				return nil
			}
			if err := w.drop(s.sys.ID(), stoppedError(ctx, s.sys, err)); err != nil {
				return err
			}
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
	return nil
}

// stoppedError returns the error to report for err, the failure of a
// statistics query of sys: that the system stopped, and how, when it has;
// err otherwise. HCS fails a query on a stopped system with
// HCS_E_INVALID_STATE, and the exit fails a query it interrupts with
// ErrUnexpectedExit, whatever the exit was: which of the two a stop gives
// depends on when it comes, and the report must not.
func stoppedError(ctx context.Context, sys *hcs.System, err error) error {
	if ctx.Err() != nil || !errors.Is(err, hcs.ErrInvalidState) && !errors.Is(err, hcs.ErrUnexpectedExit) {
		return err
	}
	if how, stopped := systemStopped(ctx, sys); stopped {
		return fmt.Errorf("the compute system stopped (%s)", how)
	}
	return err
}

// statsRecord is what hcs stats -o json writes for a system at each
// refresh: the usage between the samples, and the last sample, a schema
// Statistics document.
type statsRecord struct {
	ID         string             `json:"Id"`
	Usage      statsUsage         `json:"Usage"`
	Statistics *schema.Statistics `json:"Statistics"`
}

// statsUsage is hcs.Usage with the units in the names of its durations.
type statsUsage struct {
	Timestamp       time.Time         `json:"Timestamp"`
	IntervalSeconds float64           `json:"IntervalSeconds"`
	UptimeSeconds   float64           `json:"UptimeSeconds"`
	Restarted       bool              `json:"Restarted"`
	CPU             *hcs.CPUUsage     `json:"CPU"`
	Memory          *hcs.MemoryUsage  `json:"Memory"`
	Storage         *hcs.StorageUsage `json:"Storage"`
	Network         *hcs.NetworkUsage `json:"Network"`
}

// newStatsUsage returns u as hcs stats writes it.
func newStatsUsage(u *hcs.Usage) statsUsage {
	return statsUsage{
		Timestamp:       u.Timestamp,
		IntervalSeconds: u.Interval.Seconds(),
		UptimeSeconds:   u.Uptime.Seconds(),
		Restarted:       u.Restarted,
		CPU:             u.CPU,
		Memory:          u.Memory,
		Storage:         u.Storage,
		Network:         u.Network,
	}
}

// write writes the usage of the systems that have one: a table, or a
// record for each.
func (w *statsWatcher) write(f format, watch bool) error {
	var records []statsRecord
	for _, s := range w.systems {
		if s.usage != nil {
			records = append(records, statsRecord{ID: s.sys.ID(), Usage: newStatsUsage(s.usage), Statistics: s.cur})
		}
	}
	out := w.a.stdout
	switch {
	case f == formatTable && watch && w.a.stdoutIsTerminal():
		fmt.Fprint(out, "\x1b[H\x1b[2J") // refresh in place, like docker stats
		return writeStats(out, records)
	case f == formatTable:
		if watch {
			defer fmt.Fprintln(out)
		}
		return writeStats(out, records)
	}
	for _, r := range records {
		if err := writeRecord(out, f, r); err != nil {
			return err
		}
	}
	return nil
}

// writeStats writes the table of hcs stats.
func writeStats(w io.Writer, records []statsRecord) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tCPU %\tUSER %\tKERNEL %\tCOMMIT\tPEAK COMMIT\tPRIVATE WS\tREAD/s\tWRITE/s\tREAD OPS/s\tWRITE OPS/s\tNET RX/s\tNET TX/s")
	for _, r := range records {
		u := r.Usage
		fmt.Fprintf(tw, "%s", showID(r.ID))
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
