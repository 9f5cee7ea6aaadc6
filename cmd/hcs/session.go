package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
)

// session is the host a command drives and what it holds open on it.
type session struct {
	host *hcs.Host
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

// open returns the session of the command, opening the host on first use:
// the local HCS on Windows, the simulator elsewhere or with --sim or
// --sim-state. Opening the simulator waits for the state file's lock
// until ctx ends, and then fails with ctx's error.
func (a *app) open(ctx context.Context, acc access) (*session, error) {
	if a.session != nil {
		return a.session, nil
	}
	if a.host != nil {
		a.session = &session{host: a.host}
		return a.session, nil
	}
	if !a.sim && a.simState == "" {
		host, err := localHost()
		if err != nil {
			return nil, err
		}
		if host != nil {
			a.session = &session{host: host}
			return a.session, nil
		}
	}
	path := a.simState
	if path == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("no place for the simulator's state (%v): use --sim-state", err)
		}
		path = filepath.Join(dir, "hcs", "sim.json")
	}
	st, sim, err := openState(ctx, path, acc, func() {
		fmt.Fprintf(a.stderr, "hcs: waiting for another hcs command holding %s.lock\n", path)
	})
	if err != nil {
		return nil, err
	}
	if err := applyFaults(sim, a.simFaults); err != nil {
		sim.Close()
		st.close()
		return nil, &usageError{err.Error()}
	}
	fmt.Fprintf(a.stderr, "hcs: using the simulator (state in %s)%s\n", path, simReason(a.sim || a.simState != ""))
	a.session = &session{host: sim.Host(), sim: sim, state: st}
	return a.session, nil
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
				fmt.Fprintf(a.stderr, "hcs: %v\n", err)
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
		// stopped is saved with its exit type for the invocations following
		// the file; the next load forgets it, as HCS does once its last
		// handle closes.
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
	}
	return err
}

// stateFile is the simulator's state file and its lock.
type stateFile struct {
	path string
	lock *os.File // path + ".lock"
	// write is true for a command that saves the state: it holds the lock
	// exclusively from loading to saving.
	write bool
	// last is the content last loaded.
	last []byte
}

// openState locks the state file at path, loads it into a new simulator
// and, for a command that only reads the state, unlocks it again. It waits
// for the lock until ctx ends, calling waiting once if that takes long.
func openState(ctx context.Context, path string, acc access, waiting func()) (*stateFile, *hcssim.Sim, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("simulator state: %w", err)
	}
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("simulator state: %w", err)
	}
	st := &stateFile{path: path, lock: lock, write: acc == writeState}
	if err := lockFile(ctx, lock, st.write, waiting); err != nil {
		lock.Close()
		return nil, nil, fmt.Errorf("simulator state: locking %s: %w", lock.Name(), err)
	}
	sim := hcssim.New()
	err = st.load(sim)
	if !st.write {
		err = errors.Join(err, unlockFile(lock))
	}
	if err != nil {
		sim.Close()
		st.close()
		return nil, nil, err
	}
	return st, sim, nil
}

// load reads the state file into sim; a missing file is an empty state.
// The lock is held.
func (st *stateFile) load(sim *hcssim.Sim) error {
	b, err := os.ReadFile(st.path)
	if errors.Is(err, fs.ErrNotExist) {
		b = nil
	} else if err != nil {
		return fmt.Errorf("simulator state: %w", err)
	}
	if bytes.Equal(b, st.last) {
		return nil
	}
	if len(b) > 0 {
		if err := sim.LoadState(bytes.NewReader(b)); err != nil {
			return fmt.Errorf("simulator state %s: %w (delete the file to start afresh)", st.path, err)
		}
	} else if st.last != nil {
		// The file was removed: every system is gone.
		if err := sim.LoadState(bytes.NewReader(emptyState)); err != nil {
			return err
		}
	}
	st.last = b
	return nil
}

// emptyState is the state with no system.
var emptyState = []byte(`{"Format":"hcssim-state/1","Systems":[]}`)

// reload loads the state file into sim again if it changed, under a
// shared lock. It does nothing when another command holds the lock
// exclusively: the follower tries again on its next tick rather than wait.
func (st *stateFile) reload(sim *hcssim.Sim) error {
	ok, err := tryLockFile(st.lock, false)
	if err != nil {
		return fmt.Errorf("simulator state: %w", err)
	}
	if !ok {
		return nil
	}
	err = st.load(sim)
	return errors.Join(err, unlockFile(st.lock))
}

// save writes sim's state to the file, atomically, if the command changes
// the state. The lock is held.
func (st *stateFile) save(sim *hcssim.Sim) error {
	if !st.write {
		return nil
	}
	var buf bytes.Buffer
	if err := sim.SaveState(&buf); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(st.path), filepath.Base(st.path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("saving the simulator state: %w", err)
	}
	_, err = tmp.Write(buf.Bytes())
	if err == nil {
		// Without it, a crash after the rename can leave an empty file.
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), st.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("saving the simulator state: %w", err)
	}
	return nil
}

// close releases the lock.
func (st *stateFile) close() {
	if st.write {
		_ = unlockFile(st.lock)
	}
	st.lock.Close()
}
