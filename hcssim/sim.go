package hcssim

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/schema"
)

// Sim is a simulated Host Compute Service. Its zero value is not usable;
// call New. A Sim is safe for concurrent use.
//
// A Sim starts goroutines only while it has work: an operation to
// complete, an event to deliver or a command to run. Close stops
// everything; a test that ends with no process running and WaitIdle
// returned leaks nothing even without Close.
type Sim struct {
	now func() time.Time

	// openStdio counts the stdio streams handed to callers (or held for
	// them by an operation) and not closed yet.
	openStdio atomic.Int64

	seed uint64

	mu               sync.Mutex
	rng              *mrand.Rand // the random choices, from seed
	cb               backend.Callbacks
	latency          time.Duration
	lateEvents       bool
	disconnected     bool
	closed           bool
	lastHandle       backend.Handle
	handles          map[backend.Handle]any    // *operation, *systemHandle or *processHandle
	closedBy         map[backend.Handle]string // closed handle values not reused yet, and the call that closed them
	free             []backend.Handle          // the keys of closedBy, for reuse
	systems          map[string]*system        // created systems, by id
	files            map[string]bool           // guest and runtime state files created
	commands         map[string]CommandFunc    // by lower-case name
	faults           map[Call]*callFaults
	pending          map[*operation]struct{} // started, not completed
	layers           layerStore              // the layer store (layer.go)
	queues           map[queueKey]*opQueue   // operations on a process through a system handle
	holds            map[Call][]*Hold        // HoldNext holds not taken by a call yet
	current          *operation              // the operation whose outcome is being computed
	lateEOF          map[*process]struct{}   // exited processes whose output pipes reach EOF later
	failRunning      []hcs.HRESULT           // FailNextCreateProcessRunning codes not used yet
	dropExits        int                     // DropNextProcessExit count
	stoppedHR        hcs.HRESULT             // SetStoppedProcessError, or 0
	quietSystemExits bool                    // SystemExitDropsProcessExits
	dispatcher                               // guarded by mu

	// wg counts the goroutines the Sim started: the timer goroutine, the
	// workers and the commands.
	wg sync.WaitGroup
}

// An Option configures a Sim.
type Option func(*Sim)

// WithLatency sets the time each asynchronous operation takes to complete.
// Zero, the default, completes operations at once but still
// asynchronously, on a goroutine other than the caller's.
func WithLatency(d time.Duration) Option {
	return func(s *Sim) { s.latency = max(d, 0) }
}

// WithClock sets the clock the Sim reads for the times it reports: system
// start times, statistics (which advance with it) and process creation
// times. The default is time.Now. Latencies and the sleep command use real
// time whatever the clock.
func WithClock(now func() time.Time) Option {
	return func(s *Sim) { s.now = now }
}

// WithSeed sets the seed of the Sim's random choices. HCS documents
// neither the order of a completion and the events its operation causes,
// nor how soon a handle value is reused, nor when a process's output
// reaches end of file after the process exits; so that code under test
// meets every order real HCS may produce, the Sim chooses each time, at
// random. Two Sims with the same seed make the same choices given the same
// calls in the same order; with goroutines involved, that makes a failure
// likely, not certain, to reproduce.
//
// Without WithSeed, the seed is the value of the environment variable
// HCSSIM_SEED when it holds a decimal number, and a random one otherwise.
// Seed returns it: log it when a test fails.
func WithSeed(seed uint64) Option {
	return func(s *Sim) { s.seed = seed }
}

// SeedEnv is the environment variable that sets the seed of the Sims
// created without WithSeed.
const SeedEnv = "HCSSIM_SEED"

// New returns a simulated HCS with no compute system, configured by opts.
func New(opts ...Option) *Sim {
	s := &Sim{
		now:      time.Now,
		seed:     defaultSeed(),
		handles:  make(map[backend.Handle]any),
		closedBy: make(map[backend.Handle]string),
		systems:  make(map[string]*system),
		files:    make(map[string]bool),
		commands: make(map[string]CommandFunc),
		faults:   make(map[Call]*callFaults),
		pending:  make(map[*operation]struct{}),
		queues:   make(map[queueKey]*opQueue),
		holds:    make(map[Call][]*Hold),
		lateEOF:  make(map[*process]struct{}),
	}
	s.dispatcher.init()
	s.layers.init()
	for _, o := range opts {
		o(s)
	}
	s.rng = mrand.New(mrand.NewPCG(s.seed, 0x68637373696d)) // "hcssim"
	return s
}

// defaultSeed returns the seed of a Sim created without WithSeed.
func defaultSeed() uint64 {
	if v, err := strconv.ParseUint(os.Getenv(SeedEnv), 10, 64); err == nil {
		return v
	}
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails
	return binary.LittleEndian.Uint64(b[:])
}

// Seed returns the seed of s's random choices (see WithSeed).
func (s *Sim) Seed() uint64 { return s.seed }

// chance returns true or false with equal probability. s.mu is held.
func (s *Sim) chance() bool { return s.rng.IntN(2) == 0 }

// Host returns a Host that drives s. Every call returns a new Host; all of
// them share the simulated service.
func (s *Sim) Host(opts ...hcs.HostOption) *hcs.Host {
	return backend.NewHost(s.backend(), opts).(*hcs.Host)
}

// backend returns s as the seam package hcs drives.
func (s *Sim) backend() backend.Backend { return (*seam)(s) }

// Close shuts the simulated service down and waits until nothing it
// started runs any more. Every system that has not stopped is terminated
// (its callbacks receive SystemExited with ForcedExit and its processes
// exit with code 1), pending operations fail with HCS_E_SERVICE_DISCONNECT,
// pending late events are dropped, and every later call fails with
// HCS_E_SERVICE_DISCONNECT. Handles stay valid for closing.
//
// Close returns after the last completion and event callback has returned
// and every command function has returned: a CommandFunc must therefore
// return once its context is done. Close must not be called from a
// callback or a command. Calling it again does nothing.
func (s *Sim) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for _, sys := range s.sortedSystems() {
		if sys.State != stateStopped {
			s.stopSystem(sys, exitForced)
		}
	}
	s.failPending(hcs.HCS_E_SERVICE_DISCONNECT, "the compute service was shut down")
	close(s.layers.closed)
	s.dropTimers()
	for p := range s.lateEOF {
		s.endOutput(p) // their delayed end of file was just dropped
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// SystemSnapshot describes a compute system of a Sim as the simulator
// sees it, for tests: unlike hcs.SystemInfo, what a program learns by
// listing systems, it counts the open handles and running processes and
// keeps a stopped system's exit type.
type SystemSnapshot struct {
	ID        string
	Owner     string
	Type      schema.SystemType // Container or VirtualMachine
	RuntimeID string
	// State is Created, Running, Paused, SavedAsTemplate or Stopped.
	State schema.State
	// ExitType is how a stopped system stopped: GracefulExit, ForcedExit
	// or UnexpectedExit; "" while it has not stopped.
	ExitType schema.NotificationType
	// Handles is the number of open handles to the system.
	Handles int
	// Processes is the number of processes that have not exited.
	Processes int
}

// Systems returns a snapshot of the compute systems, sorted by ID. A
// stopped system is listed until its last handle is closed.
func (s *Sim) Systems() []SystemSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	var infos []SystemSnapshot
	for _, sys := range s.sortedSystems() {
		live := 0
		for _, p := range sys.procs {
			if !p.Exited {
				live++
			}
		}
		infos = append(infos, SystemSnapshot{
			ID:        sys.ID,
			Owner:     sys.Owner,
			Type:      schema.SystemType(sys.Type),
			RuntimeID: sys.RuntimeID,
			State:     schema.State(sys.State),
			ExitType:  schema.NotificationType(sys.ExitType),
			Handles:   len(sys.handles),
			Processes: live,
		})
	}
	return infos
}

// sortedSystems returns the created systems sorted by id. s.mu is held.
func (s *Sim) sortedSystems() []*system {
	list := make([]*system, 0, len(s.systems))
	for _, sys := range s.systems {
		list = append(list, sys)
	}
	slices.SortFunc(list, func(a, b *system) int { return cmp.Compare(a.ID, b.ID) })
	return list
}

// LiveHandles returns the number of handles open on s: operations, systems
// and processes, plus the stdio streams handed out by a process creation
// and not closed yet. A program that closes everything it opened brings it
// back to 0.
func (s *Sim) LiveHandles() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.handles) + int(s.openStdio.Load())
}

// PendingOperations returns the number of operations that have started and
// not completed.
func (s *Sim) PendingOperations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// CallbacksInFlight returns the number of completion and event callbacks
// running at this moment.
func (s *Sim) CallbacksInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight
}

// WaitIdle waits until no operation is pending, no completion or event
// waits to be delivered (late events included) and no callback runs. It
// lets a test wait for the background work of package hcs, such as the
// cleanup of a system whose creation its caller abandoned, and returns
// ctx's error if ctx ends first. Running processes do not count: a process
// is not work of the service.
func (s *Sim) WaitIdle(ctx context.Context) error {
	for {
		s.mu.Lock()
		if s.isIdle() {
			s.mu.Unlock()
			return nil
		}
		if s.idle == nil {
			s.idle = make(chan struct{})
		}
		idle := s.idle
		s.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// isIdle reports whether s has no pending work. s.mu is held.
func (s *Sim) isIdle() bool {
	return len(s.pending) == 0 && s.dispatcher.quiet()
}

// checkIdle wakes the WaitIdle callers if s is idle. s.mu is held.
func (s *Sim) checkIdle() {
	if s.idle != nil && s.isIdle() {
		close(s.idle)
		s.idle = nil
	}
}
