package hcs

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/drain"
)

// Host is a connection to a Host Compute Service: the machine's own (see
// Local) or a simulated one (see package hcssim). A Host is safe for
// concurrent use. It holds no handle of its own and needs no closing. The
// zero value is not usable: every call on it fails with ErrNotSupported.
//
// When the compute service disconnects, calls on the Host fail with an
// error matching ErrServiceDisconnect until it is back, then work again;
// the Systems and Processes opened before stay unusable (see System).
type Host struct {
	b      backend.Backend
	err    error // set when the backend is unavailable; every call returns it
	logger *slog.Logger

	// background tracks cleanups of abandoned calls: operations whose
	// caller gave up (context ended) but that HCS has not completed yet.
	background drain.Tracker
}

// HostOption configures a Host.
type HostOption func(*hostConfig)

type hostConfig struct {
	logger *slog.Logger
}

// WithLogger makes the Host log each HCS call at debug level, with the
// compute system id, the outcome and the duration. Documents sent to HCS are
// never logged, so neither are environment variables. A nil logger disables
// logging, the default.
func WithLogger(l *slog.Logger) HostOption {
	return func(c *hostConfig) { c.logger = l }
}

// Local returns the shared Host for this machine's HCS, reached through
// computecore.dll (Windows 10 1809, Windows Server 2019 or later). Every
// call returns the same Host, configured with no options; for a Host with
// options, such as a logger, use NewLocal. Off Windows, or when the DLL
// cannot be loaded, every call on the returned Host fails with an error
// matching ErrNotSupported.
func Local() *Host { return localHost() }

var localHost = sync.OnceValue(func() *Host { return NewLocal() })

// NewLocal returns a new Host for this machine's HCS, configured by opts.
// Like Local's Host it reaches HCS through computecore.dll, loaded once per
// process, and has nothing to close. It is independent of Local's Host and
// of every other Host NewLocal returns: its options are its own, and its
// Drain waits only for the calls made through it. Off Windows, or when the
// DLL cannot be loaded, every call on the returned Host fails with an error
// matching ErrNotSupported.
func NewLocal(opts ...HostOption) *Host {
	b, err := localBackend()
	return newHost(b, err, opts)
}

func init() {
	backend.NewHost = func(b backend.Backend, opts any) any {
		hostOpts, _ := opts.([]HostOption)
		return newHost(b, nil, hostOpts)
	}
	backend.ClassifyError = backendError
}

// newHost returns a Host over b. When b is nil, err says why and every call
// fails with it.
func newHost(b backend.Backend, err error, opts []HostOption) *Host {
	var cfg hostConfig
	for _, o := range opts {
		o(&cfg)
	}
	h := &Host{b: b, err: err, logger: cfg.logger}
	if b != nil {
		b.Init(backend.Callbacks{Completion: dispatchCompletion, Event: dispatchEvent})
	}
	return h
}

// available returns the error every call fails with when the host has no
// backend, wrapped for op.
func (h *Host) available(op, id string) error {
	switch {
	case h.err != nil:
		return &Error{Op: op, ID: id, Err: h.err}
	case h.b == nil:
		return &Error{Op: op, ID: id, Err: fmt.Errorf("%w: a zero Host; use Local or hcssim", ErrNotSupported)}
	}
	return nil
}

// log records one finished call at debug level.
func (h *Host) log(ctx context.Context, op, id string, start time.Time, err error) {
	h.logProcess(ctx, op, id, 0, start, err)
}

// logProcess is log for a call that concerns process pid.
func (h *Host) logProcess(ctx context.Context, op, id string, pid uint32, start time.Time, err error) {
	if h.logger == nil || !h.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{slog.String("op", op), slog.Duration("duration", time.Since(start))}
	if id != "" {
		attrs = append(attrs, slog.String("id", id))
	}
	if pid != 0 {
		attrs = append(attrs, slog.Uint64("pid", uint64(pid)))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	h.logger.LogAttrs(ctx, slog.LevelDebug, "hcs call", attrs...)
}

// Drain waits until every call that was abandoned — its context ended
// before HCS completed it — has been completed by HCS and cleaned up, or
// until ctx ends, returning ctx's error. Cleaning up an abandoned
// CreateSystem terminates and closes the system it created. Programs call
// Drain before exiting so that nothing they started is orphaned; tests call
// it before checking for leaks.
func (h *Host) Drain(ctx context.Context) error {
	// A cleanup that starts another call (terminating an orphan) waits for
	// it, or abandons it and so adds to the count, before it finishes: the
	// count cannot touch zero while work remains.
	return h.background.Wait(ctx)
}
