package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs"
)

func (a *app) eventsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events [ID]",
		Short: "Stream the events of compute systems",
		Long: `Stream the events HCS sends about compute systems — SystemExited,
SystemCrashInitiated, SystemCrashReport, ServiceDisconnect, ... — one line
each, with the time they arrived, the system and the event's document.

With an ID, hcs events follows that system and ends after its last event
(SystemExited or ServiceDisconnect). Without one, it follows every system,
those created while it runs included (it looks for them every second), until
Ctrl-C. Events sent before hcs events subscribed to a system are not shown.

With -o json each event is a JSON object on its own line: Time, Id, Type,
Data (the event's document as HCS sent it) and Missed (events lost because
the reader fell behind).`,
		Example: `  hcs events
  hcs events web1 -o json`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: a.completeIDs(1),
	}
	out := formatFlag(cmd, formatTable, formatTable, formatJSON)
	cmd.RunE = a.runE(func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		p := &eventPrinter{a: a, format: *out}
		if len(args) == 1 {
			sys, err := a.openSystem(ctx, readState, args[0])
			if err != nil {
				return a.failure("events", args[0], err)
			}
			a.follow(ctx)
			events := sys.Events(ctx)
			announce("events %s: subscribed", showID(sys.ID()))
			return p.print(sys.ID(), events)
		}
		s, err := a.open(ctx, readState)
		if err != nil {
			return err
		}
		a.follow(ctx)
		return a.allEvents(ctx, s, p)
	})
	return cmd
}

// listInterval is how often hcs events looks for new systems.
const listInterval = time.Second

// allEvents prints the events of every system until ctx ends.
func (a *app) allEvents(ctx context.Context, s *session, p *eventPrinter) error {
	var (
		mu         sync.Mutex
		subscribed = make(map[string]bool)
		wg         sync.WaitGroup
	)
	defer wg.Wait()
	tick := time.NewTicker(listInterval)
	defer tick.Stop()
	for {
		infos, err := s.host.ListSystems(ctx, nil)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return a.failure("events", "", err)
		}
		for _, info := range infos {
			mu.Lock()
			known := subscribed[info.ID]
			subscribed[info.ID] = true
			mu.Unlock()
			if known {
				continue
			}
			sys, err := s.host.OpenSystem(ctx, info.ID)
			if err != nil {
				mu.Lock()
				delete(subscribed, info.ID)
				mu.Unlock()
				continue // gone since the listing
			}
			events := sys.Events(ctx)
			announce("events %s: subscribed", showID(info.ID))
			wg.Go(func() {
				defer sys.Close()
				_ = p.print(sys.ID(), events)
				mu.Lock()
				delete(subscribed, sys.ID())
				mu.Unlock()
			})
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// eventPrinter writes events, one line each, from any goroutine.
type eventPrinter struct {
	a      *app
	format format
	mu     sync.Mutex
}

// eventRecord is an event as hcs events -o json writes it.
type eventRecord struct {
	Time   time.Time       `json:"Time"`
	ID     string          `json:"Id"`
	Type   string          `json:"Type"`
	Data   json.RawMessage `json:"Data,omitempty"`
	Missed int             `json:"Missed,omitempty"`
}

// print writes the events of system id until they end.
func (p *eventPrinter) print(id string, events iter.Seq[hcs.Event]) error {
	for ev := range events {
		r := eventRecord{Time: time.Now().UTC(), ID: id, Type: ev.Type.String(), Missed: ev.Missed}
		if json.Valid(ev.Data) {
			r.Data = ev.Data
		}
		p.mu.Lock()
		var err error
		if p.format == formatJSON {
			err = writeLine(p.a.stdout, r)
		} else {
			line := fmt.Sprintf("%s  %s  %s", r.Time.Format("2006-01-02T15:04:05.000Z07:00"), showID(r.ID), r.Type)
			if r.Missed > 0 {
				line += fmt.Sprintf(" (%d missed before)", r.Missed)
			}
			switch {
			case r.Data != nil:
				line += "  " + string(escapeJSON(compact(r.Data)))
			case len(ev.Data) > 0: // not JSON: as a quoted string
				line += "  " + strconv.Quote(string(ev.Data))
			}
			_, err = fmt.Fprintln(p.a.stdout, line)
		}
		p.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// compact returns the JSON document doc on one line.
func compact(doc []byte) []byte {
	var b bytes.Buffer
	if json.Compact(&b, doc) != nil {
		return doc
	}
	return b.Bytes()
}
