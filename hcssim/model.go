package hcssim

import "time"

// The simulator's model: what it knows about compute systems and processes,
// as plain data with no handles, goroutines, pipes or callbacks, so that it
// can be saved and restored. The behaviour that drives it (handles,
// operations, event delivery, running commands) lives beside it, in the
// runtime types that embed these records.

// Compute system states, as the HCS schema names them (State).
const (
	stateCreated         = "Created"
	stateRunning         = "Running"
	statePaused          = "Paused"
	stateStopped         = "Stopped"
	stateSavedAsTemplate = "SavedAsTemplate"
)

// Exit types, as the HCS schema names them (NotificationType).
const (
	exitGraceful   = "GracefulExit"
	exitForced     = "ForcedExit"
	exitUnexpected = "UnexpectedExit"
)

// systemRecord is the state of one compute system.
type systemRecord struct {
	ID        string
	Owner     string
	Type      string // "Container" or "VirtualMachine"
	RuntimeID string
	State     string
	ExitType  string // set once State is Stopped
	// TerminateOnLastHandleClosed is ShouldTerminateOnLastHandleClosed of
	// the configuration.
	TerminateOnLastHandleClosed bool
	// StartedAt is when the system was started; zero before.
	StartedAt time.Time
	// RunTime is how long the system ran before RunningSince: paused time
	// does not count.
	RunTime time.Duration
	// RunningSince is when the system last entered Running; zero when it
	// is not running.
	RunningSince time.Time
	// NextPID is the process id the next process gets.
	NextPID uint32
	// StoragePath is the volume of the scratch layer a container runs on
	// (Container.Storage.Path); "" for a virtual machine, or a container
	// created without storage.
	StoragePath string `json:",omitempty"`
}

// processRecord is the state of one process.
type processRecord struct {
	PID         uint32
	CommandLine string
	ImageName   string
	CreatedAt   time.Time
	Exited      bool
	ExitCode    uint32
	// ConsoleHeight and ConsoleWidth are the console size, from the
	// parameters or the last ConsoleSize modification.
	ConsoleHeight, ConsoleWidth uint16
}

// runTime returns how long r has been running at now, paused time excluded.
func (r *systemRecord) runTime(now time.Time) time.Duration {
	d := r.RunTime
	if !r.RunningSince.IsZero() {
		d += now.Sub(r.RunningSince)
	}
	return d
}

// setState moves r to state at now, keeping the running time up to date.
func (r *systemRecord) setState(state string, now time.Time) {
	if !r.RunningSince.IsZero() {
		r.RunTime += now.Sub(r.RunningSince)
		r.RunningSince = time.Time{}
	}
	if state == stateRunning {
		r.RunningSince = now
		if r.StartedAt.IsZero() {
			r.StartedAt = now
		}
	}
	r.State = state
}
