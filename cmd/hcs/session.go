package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
	"github.com/gohcs/hcs/internal/atomicfile"
	"github.com/gohcs/hcs/internal/filelock"
	"github.com/gohcs/hcs/layers"
)

// session is the host a command drives and what it holds open on it.
type session struct {
	host *hcs.Host
	// layers is the layer service of the same machine; nil when a test
	// gave a host without one.
	layers *layers.Host
	// sim is the simulator behind host; nil for the local HCS.
	sim *hcssim.Sim
	// state is the simulator's state file; nil for the local HCS, and for
	// a simulator a test made.
	state *stateFile
	// systems are the handles the command opened, closed when it ends.
	systems []*hcs.System
	// stopFollow stops following the state file; nil when not following.
	stopFollow context.CancelFunc
}

// access says what a command does with the simulator's state.
type access int

const (
	// readState commands load the state and never save it. The long-running
	// ones follow the state file while they run (see follow).
	readState access = iota
	// writeState commands hold the state file's lock from loading it to
	// saving it, so that invocations that change it run one at a time.
	writeState
)

// stateEnv names the environment variable that chooses the simulator's
// state file, as --sim-state does.
const stateEnv = "HCS_SIM_STATE"

// open returns the session of the command, opening the host on first use:
// the local HCS on Windows, the simulator elsewhere or with --sim,
// --sim-state or $HCS_SIM_STATE. Opening the simulator waits for the state
// file's lock until ctx ends, and then fails with ctx's error.
//
// When hcs chooses the simulator by itself, it says so on stderr if that
// is a terminal, or if the state file does not exist yet; choosing it
// (--sim, --sim-state, $HCS_SIM_STATE) silences the notice.
func (a *app) open(ctx context.Context, acc access) (*session, error) {
	if a.session != nil {
		return a.session, nil
	}
	if a.host != nil {
		a.session = &session{host: a.host, layers: a.layers}
		return a.session, nil
	}
	chosen := a.simChosen()
	if !chosen {
		host, err := localHost()
		if err != nil {
			return nil, err
		}
		if host != nil {
			a.session = &session{host: host, layers: layers.Local()}
			return a.session, nil
		}
	}
	path, err := a.statePath()
	if err != nil {
		return nil, err
	}
	st, sim, err := openState(ctx, path, acc, func() {
		a.warn("hcs: waiting for another hcs command holding %s.lock", path)
		announce("waiting: %s.lock", path)
	})
	if err != nil {
		return nil, err
	}
	if err := applyFaults(sim, a.simFaults); err != nil {
		sim.Close()
		st.close()
		return nil, &usageError{err.Error()}
	}
	if !chosen && !a.completing && (a.stderrIsTerminal() || !st.existed) {
		a.warn("hcs: HCS runs on Windows only: using the simulator, its state in %s "+
			"(--sim or $%s hides this notice)", path, stateEnv)
	}
	a.session = &session{host: sim.Host(), layers: sim.Layers(), sim: sim, state: st}
	return a.session, nil
}

// simChosen reports whether the user chose the simulator: --sim,
// --sim-state or $HCS_SIM_STATE.
func (a *app) simChosen() bool {
	return a.sim || a.simState != "" || os.Getenv(stateEnv) != ""
}

// statePath returns the simulator's state file: --sim-state, else
// $HCS_SIM_STATE, else hcs/sim.json in the user cache directory.
func (a *app) statePath() (string, error) {
	if a.simState != "" {
		return a.simState, nil
	}
	if path := os.Getenv(stateEnv); path != "" {
		return path, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no place for the simulator's state (%v): choose a file with --sim-state or $%s", err, stateEnv)
	}
	return filepath.Join(dir, "hcs", "sim.json"), nil
}

// openSystem opens the compute system id for the command; the handle is
// closed when the command ends.
func (a *app) openSystem(ctx context.Context, acc access, id string) (*hcs.System, error) {
	s, err := a.open(ctx, acc)
	if err != nil {
		return nil, err
	}
	sys, err := s.host.OpenSystem(ctx, id)
	if err != nil {
		return nil, err
	}
	s.systems = append(s.systems, sys)
	return sys, nil
}

// commit saves the simulator's state now, for a command that changes it
// and must not report a change as done before it is: the id hcs create
// prints, the ids hcs stop prints. A failed save is not tried again when
// the command ends. It does nothing on the local HCS.
func (a *app) commit() error {
	s := a.session
	if s == nil || s.state == nil {
		return nil
	}
	return s.state.save(s.sim)
}

// follow makes the simulator follow its state file until the command ends,
// so that a command that watches systems (events, wait, exec, stats
// --watch, metrics) sees what other invocations do to them. It does
// nothing on the local HCS.
func (a *app) follow(ctx context.Context) {
	s := a.session
	if s == nil || s.state == nil || s.stopFollow != nil {
		return
	}
	ctx, s.stopFollow = context.WithCancel(ctx)
	a.bg.Go(func() {
		tick := time.NewTicker(followInterval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if err := s.state.reload(s.sim); err != nil {
				a.warn("hcs: %v", err)
				return
			}
		}
	})
}

// followInterval is how often a following command reads the state file.
const followInterval = 200 * time.Millisecond

// end ends the command's session: it saves the simulator's state after a
// command that changes it, then closes the handles and the simulator. It
// returns the error of saving.
func (a *app) end() error {
	s := a.session
	if s == nil {
		return nil
	}
	a.session = nil
	if s.stopFollow != nil {
		s.stopFollow()
	}
	a.bg.Wait() // the follower and the command's goroutines
	var err error
	if s.state != nil {
		// Saved before the handles close, so that a system this command
		// stopped is saved with its exit type (see exits.go); the next load
		// forgets it, as HCS does once its last handle closes.
		err = s.state.save(s.sim)
		defer s.state.close()
	}
	if s.sim != nil {
		// Closing the simulator fails what is still pending, which lets
		// the host's background cleanups end.
		s.sim.Close()
	}
	for _, sys := range s.systems {
		sys.Close()
	}
	if s.sim != nil {
		_ = s.host.Drain(context.Background())
		_ = s.layers.Drain(context.Background())
	}
	return err
}

// unlock saves the simulator's state and releases the state file, for a
// command that changed the state and then runs for long (hcs run while its
// process runs): other invocations see what it did meanwhile, and may act
// on it. relock takes the file back, with what they did. Both do nothing
// on the local HCS.
func (a *app) unlock() error {
	s := a.session
	if s == nil || s.state == nil || !s.state.write {
		return nil
	}
	if err := s.state.save(s.sim); err != nil {
		return err
	}
	s.state.write = false
	if err := filelock.Unlock(s.state.lock); err != nil {
		return fmt.Errorf("simulator state: %w %s", err, hint)
	}
	return nil
}

// relock takes back the state file unlock released, waiting for it until
// ctx ends, and loads the state other invocations saved meanwhile.
func (a *app) relock(ctx context.Context) error {
	s := a.session
	if s == nil || s.state == nil || s.state.write {
		return nil
	}
	st := s.state
	err := filelock.Lock(ctx, st.lock, true, func() {
		a.warn("hcs: waiting for another hcs command holding %s.lock", st.path)
	})
	if err != nil {
		return fmt.Errorf("simulator state: locking %s: %w %s", st.lock.Name(), err, hint)
	}
	st.write = true
	return st.load(s.sim)
}

// stateFile is the simulator's state file and its lock.
type stateFile struct {
	path string
	// lock is path + ".lock"; nil for a command that only reads the state
	// and cannot open it (a read-only directory that lacks it).
	lock *os.File
	// write is true for a command that saves the state: it holds the lock
	// exclusively from loading to saving.
	write bool
	// existed reports that the file existed when the command began.
	existed bool
	// loaded is set once the file has been read; last is what it held,
	// and stale says to load it again even if it still holds that.
	loaded, stale bool
	last          []byte
	// saved is the simulator's state last saved.
	saved []byte
	// exits are the exit records of the content last loaded.
	exits []exitRecord
	// failed is set once a save failed: the command reported it, and the
	// state it would save is not the file's.
	failed bool
}

// hint ends the messages about the state file.
const hint = "(choose another state file with --sim-state or $" + stateEnv + ")"

// openState locks the state file at path, loads it into a new simulator
// and, for a command that only reads the state, unlocks it again. It waits
// for the lock until ctx ends, calling waiting once if that takes long.
//
// A command that only reads the state works on a file it cannot write (a
// read-only mount, another user's file): it locks the lock file opened
// read-only, or, when there is none it could open, reads the file without
// a lock — saves replace the file by renaming a new one over it, so a
// reader sees one whole state or the other.
func openState(ctx context.Context, path string, acc access, waiting func()) (*stateFile, *hcssim.Sim, error) {
	st := &stateFile{path: path, write: acc == writeState}
	lock, err := openLock(path, st.write)
	if err != nil {
		return nil, nil, fmt.Errorf("simulator state: %w %s", err, hint)
	}
	st.lock = lock
	if lock != nil {
		if err := filelock.Lock(ctx, lock, st.write, waiting); err != nil {
			lock.Close()
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				return nil, nil, err
			}
			return nil, nil, fmt.Errorf("simulator state: locking %s: %w %s", lock.Name(), err, hint)
		}
	}
	if _, err := os.Stat(path); err == nil {
		st.existed = true
	}
	sim := hcssim.New()
	err = st.load(sim)
	if !st.write && lock != nil {
		err = errors.Join(err, filelock.Unlock(lock))
	}
	if err != nil {
		sim.Close()
		st.close()
		return nil, nil, err
	}
	return st, sim, nil
}

// openLock opens the lock file of the state file path. For a command that
// writes the state it creates the file, and its directory, as needed. For
// one that only reads, it does the same when it can, else opens an
// existing lock file read-only, else returns nil, with no error, when the
// directory cannot be written or the lock file read.
func openLock(path string, write bool) (*os.File, error) {
	name := path + ".lock"
	mkdirErr := os.MkdirAll(filepath.Dir(path), 0o700)
	if write && mkdirErr != nil {
		return nil, mkdirErr
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err == nil || write {
		return f, err
	}
	f, err = os.Open(name)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return nil, nil
	}
	return f, err
}

// load reads the state file into sim; a missing file is an empty state.
// The lock, if any, is held.
func (st *stateFile) load(sim *hcssim.Sim) error {
	b, err := os.ReadFile(st.path)
	if errors.Is(err, fs.ErrNotExist) {
		b = nil
	} else if err != nil {
		return fmt.Errorf("simulator state: %w %s", err, hint)
	}
	if st.loaded && !st.stale && bytes.Equal(b, st.last) {
		return nil
	}
	var exits []exitRecord
	doc := b
	if len(b) == 0 {
		if !st.loaded {
			st.loaded = true
			return nil // no state yet: nothing to load
		}
		doc = emptyState // the file was removed: every system is gone
	}
	// A document hcssim refuses is reported in its words.
	if _, _, _, exits, err = parseState(doc); err == nil {
		doc, err = applyExits(doc, exits, sim.Systems())
	}
	if lerr := sim.LoadState(bytes.NewReader(doc)); lerr != nil {
		err = lerr
	} else if err != nil {
		// hcssim took it, but its exit records are not exits.
		err = fmt.Errorf("exit records: %w", err)
	}
	if err != nil {
		return fmt.Errorf("simulator state %s: %w (delete the file to start afresh, or choose another state file with --sim-state or $%s)",
			st.path, err, stateEnv)
	}
	st.loaded, st.last, st.exits = true, b, exits
	// Load again next time if a later system waits for a stopped one's id.
	st.stale = replacing(sim, doc)
	return nil
}

// replacing reports whether sim holds a stopped system whose id the state
// document doc gives to another system (the id was reused): LoadState adds
// the later one only once the stopped one's last handle has closed.
func replacing(sim *hcssim.Sim, doc []byte) bool {
	_, _, fields, _, err := parseState(doc)
	if err != nil {
		return false
	}
	for _, sys := range sim.Systems() {
		if sys.State == "Stopped" && slices.ContainsFunc(fields, func(f recordFields) bool {
			return f.ID == sys.ID && f.RuntimeID != sys.RuntimeID
		}) {
			return true
		}
	}
	return false
}

// emptyState is the state with no system.
var emptyState = []byte(`{"Format":"hcssim-state/1","Systems":[]}`)

// reload loads the state file into sim again if it changed, under a
// shared lock. It does nothing when another command holds the lock
// exclusively: the follower tries again on its next tick rather than wait.
func (st *stateFile) reload(sim *hcssim.Sim) error {
	if st.lock == nil {
		return st.load(sim)
	}
	ok, err := filelock.TryLock(st.lock, false)
	if err != nil {
		return fmt.Errorf("simulator state: %w %s", err, hint)
	}
	if !ok {
		return nil
	}
	err = st.load(sim)
	return errors.Join(err, filelock.Unlock(st.lock))
}

// save writes sim's state to the file, atomically, with its exit records
// (see exits.go), if the command changes the state and the state changed
// since the last save. The lock is held.
func (st *stateFile) save(sim *hcssim.Sim) error {
	if !st.write || st.failed {
		return nil
	}
	var buf bytes.Buffer
	if err := sim.SaveState(&buf); err != nil {
		return err
	}
	if bytes.Equal(buf.Bytes(), st.saved) {
		return nil
	}
	doc, exits, err := recordExits(buf.Bytes(), st.exits, time.Now().UTC())
	if err != nil {
		st.failed = true
		return fmt.Errorf("saving the simulator state: %w", err)
	}
	if err := atomicfile.Write(st.path, doc); err != nil {
		st.failed = true
		return fmt.Errorf("saving the simulator state: %w %s", err, hint)
	}
	st.saved, st.exits = buf.Bytes(), exits
	return nil
}

// close releases the lock.
func (st *stateFile) close() {
	if st.lock == nil {
		return
	}
	if st.write {
		_ = filelock.Unlock(st.lock)
	}
	st.lock.Close()
}
