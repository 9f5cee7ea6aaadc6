package hcssim

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// stateFormat names the format of the documents SaveState writes. A change
// that older readers would misread gets a new name.
const stateFormat = "hcssim-state/1"

// firstPID is the process id create gives the first process of a system.
const firstPID = 100

// stateDocument is what SaveState writes: the records of the model, with
// their Go field names.
type stateDocument struct {
	Format  string
	Systems []systemRecord
	// Layers are the layers that are activated or prepared. Absent from
	// states written before the simulator modelled layers.
	Layers []layerRecord `json:",omitempty"`
	// Writable are the writable layers HcsInitializeWritableLayer or
	// HcsInitializeLegacyWritableLayer initialized.
	Writable []writableLayer `json:",omitempty"`
}

// SaveState writes the state of s's compute systems to w, as a JSON
// document that LoadState reads back, in this Sim or in another one, in
// this program or in a later one: a command-line tool keeps a simulated
// HCS between its invocations this way.
//
// The state of a system is its record: id, owner, type, runtime id, state,
// exit type, ShouldTerminateOnLastHandleClosed, and the times its
// statistics are computed from (start time, running time), so that its
// counters go on advancing from where they were. Systems that are being
// created are left out. Handles, pending operations, event callbacks,
// faults and processes are not saved: a process lives only as long as the
// Sim it runs in. Neither is a system's configuration, which the simulator
// does not keep, beyond the volume a container runs on.
//
// The state of the layer store is saved too: the layers that are activated
// or prepared (mounted), with their parents and volumes, and the writable
// layers initialized, so that a layer mounted by one invocation of a tool
// can be unmounted by another. The layer folders themselves are on disk.
// Injected faults, the elevation setting and VHD handles are not saved.
//
// SaveState fails only when w does.
func (s *Sim) SaveState(w io.Writer) error {
	s.mu.Lock()
	doc := stateDocument{Format: stateFormat, Systems: []systemRecord{}}
	for _, sys := range s.sortedSystems() {
		doc.Systems = append(doc.Systems, sys.systemRecord)
	}
	for _, r := range s.layers.records {
		doc.Layers = append(doc.Layers, *r)
	}
	for _, w := range s.layers.writable {
		doc.Writable = append(doc.Writable, *w)
	}
	s.mu.Unlock()
	slices.SortFunc(doc.Layers, func(a, b layerRecord) int { return cmp.Compare(a.Path, b.Path) })
	slices.SortFunc(doc.Writable, func(a, b writableLayer) int { return cmp.Compare(a.Path, b.Path) })
	b, err := json.MarshalIndent(doc, "", "\t")
	if err != nil {
		return fmt.Errorf("hcssim: save state: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("hcssim: save state: %w", err)
	}
	return nil
}

// LoadState reads a state that SaveState wrote and makes it the state of
// s's compute systems. It serves both to restore a new Sim and to bring a
// running one up to date with a state saved by another, as a command-line
// tool does while it watches a system that its other invocations change.
//
// No handle survives a save, so LoadState applies what HCS does when the
// last handle of a system closes: a system that had stopped, or that was
// created with ShouldTerminateOnLastHandleClosed, is not restored. A
// system of s that the state does not list, and that has not stopped, is
// taken to have been terminated: it stops with ExitType ForcedExit, and so
// does one whose id the state gives to a system with another runtime id
// (the id was reused). One that the state lists as stopped stops with the
// state's exit type. In all these
// cases its event callbacks receive SystemExited and its processes exit,
// as when a system stops in s itself. Any other system of s takes the
// state's record; systems the state adds appear with no handle open. The
// records of systems being created, handles and processes are left alone.
// The layer store takes the state's layers: those it does not list are
// inactive; and its writable layers.
//
// LoadState fails, changing nothing, when r does, when the document is not
// a state SaveState writes, or when s is closed.
func (s *Sim) LoadState(r io.Reader) error {
	var doc stateDocument
	// Unknown members are ignored, so that a newer hcs can add some without
	// breaking older readers; stateFormat changes when meanings do.
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return fmt.Errorf("hcssim: load state: %w", err)
	}
	if doc.Format != stateFormat {
		return fmt.Errorf("hcssim: load state: format %q, want %q", doc.Format, stateFormat)
	}
	seen := make(map[string]bool, len(doc.Systems))
	for _, rec := range doc.Systems {
		if err := checkRecord(rec); err != nil {
			return fmt.Errorf("hcssim: load state: system %q: %w", rec.ID, err)
		}
		if seen[rec.ID] {
			return fmt.Errorf("hcssim: load state: system %q listed twice", rec.ID)
		}
		seen[rec.ID] = true
	}
	layers := make(map[string]*layerRecord, len(doc.Layers))
	for _, rec := range doc.Layers {
		if err := checkLayerRecord(rec); err != nil {
			return fmt.Errorf("hcssim: load state: layer %q: %w", rec.Path, err)
		}
		key := layerKey(rec.Path)
		if layers[key] != nil {
			return fmt.Errorf("hcssim: load state: layer %q listed twice", rec.Path)
		}
		layers[key] = &rec
	}
	writable := make(map[string]*writableLayer, len(doc.Writable))
	for _, w := range doc.Writable {
		key := layerKey(w.Path)
		switch {
		case w.Path == "" || len(w.Parents) == 0:
			return fmt.Errorf("hcssim: load state: writable layer %q with no path or no parents", w.Path)
		case writable[key] != nil:
			return fmt.Errorf("hcssim: load state: writable layer %q listed twice", w.Path)
		}
		writable[key] = &w
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("hcssim: load state: the simulator is closed")
	}
	s.layers.records = layers
	s.layers.writable = writable
	for _, sys := range s.sortedSystems() {
		if !seen[sys.ID] && sys.State != stateStopped {
			s.stopSystem(sys, exitForced)
		}
	}
	for _, rec := range doc.Systems {
		sys := s.systems[rec.ID]
		switch {
		case sys == nil && (rec.State == stateStopped || rec.TerminateOnLastHandleClosed):
			// Gone with its last handle.
		case sys == nil:
			rec.NextPID = max(rec.NextPID, firstPID)
			s.systems[rec.ID] = &system{
				systemRecord: rec,
				registered:   true,
				handles:      make(map[*systemHandle]struct{}),
				procs:        make(map[uint32]*process),
			}
		case rec.RuntimeID != sys.RuntimeID:
			// Another system under the same id: the one here was removed
			// and the id reused between two loads. Stop it (its waiters
			// must see it exit); the new one appears once the old one's
			// last handle closes and a later load brings it.
			if sys.State != stateStopped {
				s.stopSystem(sys, exitForced)
			}
		case sys.State == stateStopped:
			// Stopped here already; it goes with its last handle.
		case rec.State == stateStopped:
			exitType := rec.ExitType
			if exitType == "" {
				exitType = exitForced
			}
			s.stopSystem(sys, exitType)
		default:
			// Process ids keep increasing, whichever Sim gave them.
			rec.NextPID = max(rec.NextPID, sys.NextPID)
			sys.systemRecord = rec
		}
	}
	return nil
}

// checkRecord reports what is wrong with a record read from a state.
func checkRecord(rec systemRecord) error {
	switch {
	case rec.ID == "":
		return errors.New("no id")
	case rec.Type != "Container" && rec.Type != "VirtualMachine":
		return fmt.Errorf("unknown type %q", rec.Type)
	case !slices.Contains([]string{stateCreated, stateRunning, statePaused, stateStopped, stateSavedAsTemplate}, rec.State):
		return fmt.Errorf("unknown state %q", rec.State)
	case rec.State == stateRunning && rec.RunningSince.IsZero():
		return errors.New("running with no RunningSince")
	case rec.State != stateRunning && !rec.RunningSince.IsZero():
		return fmt.Errorf("%s with a RunningSince", rec.State)
	}
	return nil
}

// checkLayerRecord reports what is wrong with a layer record read from a
// state.
func checkLayerRecord(rec layerRecord) error {
	switch {
	case rec.Path == "":
		return errors.New("no path")
	case rec.State != LayerActivated && rec.State != LayerPrepared:
		return fmt.Errorf("unknown state %q", rec.State)
	case rec.Activations < 1:
		return fmt.Errorf("%d activations", rec.Activations)
	case rec.State == LayerPrepared && (!isVolumePath(rec.VolumePath) && rec.VolumePath != rec.Path || len(rec.Parents) == 0):
		return errors.New("prepared with no volume or no parents")
	case rec.State == LayerActivated && (rec.VolumePath != "" || len(rec.Parents) != 0):
		return errors.New("activated with a volume or parents")
	case rec.Filter && (rec.State != LayerPrepared || rec.VolumePath != rec.Path || rec.Activations != 1):
		return errors.New("a storage filter not prepared on its own path with one activation")
	}
	return nil
}
