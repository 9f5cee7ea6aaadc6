package hcs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gohcs/hcs/internal/backend"
)

// The completion bridge.
//
// Every asynchronous HCS call gets an operation whose native context is an
// integer key (never a Go pointer). The backend's single completion callback
// looks the key up in ops and closes the operation's done channel: it never
// blocks, so an HCS thread-pool thread is never held by Go. The goroutine
// that issued the call waits on that channel, not on a parked OS thread.
//
// HCS cannot cancel an operation (HcsCancelOperation is documented to return
// E_NOTIMPL), so a caller whose context ends first abandons the operation:
// it returns at once, and the completion callback later starts a goroutine
// that reads the result, runs the call's cleanup and closes the operation.

const (
	opPending   int32 = iota
	opCompleted       // completed while its caller waited
	opAbandoned       // its caller gave up; the cleanup has not started
	opCleaning        // completed after being abandoned; the cleanup runs
)

// operation is one asynchronous HCS call: the HCS operation it was made
// with, and the state the completion callback and the caller share.
type operation struct {
	h      *Host
	key    uintptr
	state  atomic.Int32
	done   chan struct{} // closed on completion, unless abandoned first
	handle backend.Handle

	// cleanup runs after an abandoned operation completes. It is set before
	// the operation is abandoned and read only after.
	cleanup func()
}

// registry maps the integer keys given to HCS as native contexts to what
// they stand for. (A plain map under a mutex: sync.Map would box each key.)
type registry[T any] struct {
	mu sync.Mutex
	m  map[uintptr]T
}

func (r *registry[T]) store(key uintptr, v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = make(map[uintptr]T)
	}
	r.m[key] = v
}

func (r *registry[T]) load(key uintptr) (T, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[key]
	return v, ok
}

func (r *registry[T]) remove(key uintptr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, key)
}

func (r *registry[T]) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}

var (
	nextKey atomic.Uintptr // keys of operations and event sinks alike
	ops     registry[*operation]
)

// newOperation registers a new operation of h under a fresh key.
func (h *Host) newOperation() *operation {
	o := &operation{h: h, key: nextKey.Add(1), done: make(chan struct{})}
	ops.store(o.key, o)
	holdAlive()
	return o
}

// unregister removes o from the registry. It is called once per operation.
func (o *operation) unregister() {
	ops.remove(o.key)
	releaseAlive()
}

// dispatchCompletion is the backend's completion callback. It runs on an
// HCS thread and must not block.
func dispatchCompletion(_ backend.Handle, key uintptr) {
	o, ok := ops.load(key)
	if !ok {
		return // not ours, or already finished: nothing to do
	}
	if o.state.CompareAndSwap(opPending, opCompleted) {
		close(o.done)
		return
	}
	// Only the first completion of an abandoned operation cleans it up,
	// however many times a misbehaving backend reports it.
	if o.state.CompareAndSwap(opAbandoned, opCleaning) {
		go o.cleanup()
	}
}

// abandon marks o as given up by its caller. It reports false when o
// completed first, in which case the caller must finish it normally.
func (o *operation) abandon(cleanup func()) bool {
	o.cleanup = cleanup
	return o.state.CompareAndSwap(opPending, opAbandoned)
}

// backendError turns an error from the backend into one package hcs
// classifies: syscall.Errno values (HRESULTs, or the bare Win32 codes
// mkwinsyscall unwraps from FACILITY_WIN32 HRESULTs) become HRESULTs, and a
// missing DLL or entry point matches ErrNotSupported.
func backendError(err error) error {
	var errno syscall.Errno
	switch {
	case err == nil:
		return nil
	case errors.As(err, new(HRESULT)):
		return err
	case errors.As(err, &errno):
		v := uint32(errno) // cut to 32 bits before classifying
		if v <= 0xFFFF {
			return HRESULTFromWin32(v)
		}
		return HRESULT(int32(v))
	case errors.Is(err, errors.ErrUnsupported):
		return fmt.Errorf("%w: %w", ErrNotSupported, err)
	}
	return err
}

// result is what a completed operation produced.
type result struct {
	doc  string
	info backend.ProcessInfo
	err  error // classified
}

// startCall creates an operation and issues the call through issue. When
// issue fails synchronously, HCS will not complete the operation: it is
// closed here and the error returned.
func (h *Host) startCall(issue func(op backend.Handle) error) (*operation, error) {
	o := h.newOperation()
	op, err := h.b.CreateOperation(o.key)
	if err != nil {
		o.unregister()
		return nil, backendError(err)
	}
	if op == 0 {
		o.unregister()
		return nil, E_OUTOFMEMORY
	}
	o.handle = op
	if err := issue(op); err != nil {
		h.b.CloseOperation(op)
		o.unregister()
		return nil, backendError(err)
	}
	return o, nil
}

// finish reads the result of a completed operation and closes it.
func (o *operation) finish(withProcess bool) result {
	var r result
	var err error
	if withProcess {
		r.info, r.doc, err = o.h.b.GetOperationResultAndProcessInfo(o.handle)
	} else {
		r.doc, err = o.h.b.GetOperationResult(o.handle)
	}
	r.err = backendError(err)
	o.h.b.CloseOperation(o.handle)
	o.unregister()
	return r
}

// waitReason says why wait returned.
type waitReason int

const (
	waitCompleted waitReason = iota
	waitContext
	waitStopped // one of the stop channels closed
)

// stops are up to three channels whose closing ends a wait early (a
// handle closed, the service disconnected, the system exited); nil
// entries never do.
type stops [3]<-chan struct{}

// wait waits for o to complete, for ctx to end, or for one of stop to be
// closed. Unless the operation completed, it is abandoned: when HCS
// completes it later, a new goroutine, which the host's background
// tracker counts, reads its result, passes it to cleanup (if not nil) and
// then releases life (if not nil). The caller releases life itself when
// the operation completed.
func (o *operation) wait(ctx context.Context, withProcess bool, stop stops, life *lifetime, cleanup func(result)) (result, waitReason) {
	reason := waitCompleted
	select {
	case <-o.done:
		return o.finish(withProcess), waitCompleted
	case <-ctx.Done():
		reason = waitContext
	case <-stop[0]:
		reason = waitStopped
	case <-stop[1]:
		reason = waitStopped
	case <-stop[2]:
		reason = waitStopped
	}
	h := o.h
	// Best effort: HCS documents HcsCancelOperation as returning E_NOTIMPL.
	// It must come before abandon: once abandoned, the completion's cleanup
	// may close the operation at any moment.
	_ = h.b.CancelOperation(o.handle)
	h.background.Add()
	abandoned := o.abandon(func() {
		defer h.background.Done()
		r := o.finish(withProcess)
		if cleanup != nil {
			cleanup(r)
		}
		if life != nil {
			life.release()
		}
	})
	if !abandoned {
		h.background.Done()
		<-o.done
		return o.finish(withProcess), waitCompleted
	}
	return result{}, reason
}

// callee is what a call is made on, for its errors and its lifetime: a
// System or Process handle (life set), or the host itself.
type callee struct {
	op   string
	id   string
	pid  uint32
	life *lifetime // the handle's; nil for host-level calls
	stop stops     // channels whose closing ends the wait early
	// stopped says why a closed stop channel ended the wait.
	stopped func() error
}

// call makes one asynchronous HCS call and returns its result document.
// On a handle it holds a reference for as long as HCS may use the handle,
// also when ctx ends first and the operation is abandoned. Failures are
// *Error values naming c.
func (h *Host) call(ctx context.Context, c callee, issue func(o backend.Handle) error) (string, error) {
	fail := func(err error) *Error { return &Error{Op: c.op, ID: c.id, PID: c.pid, Err: err} }
	if c.life != nil {
		if err := c.life.acquire(); err != nil {
			return "", fail(err)
		}
	}
	release := func() {
		if c.life != nil {
			c.life.release()
		}
	}
	if err := ctx.Err(); err != nil {
		release()
		return "", fail(err)
	}
	// A call whose wait would stop at once (its handle belongs to a lost
	// service connection, or the system it must not outlive has exited)
	// is not made.
	for _, stop := range c.stop {
		if isClosed(stop) {
			release()
			return "", fail(c.stopped())
		}
	}
	o, err := h.startCall(issue)
	if err != nil {
		release()
		return "", newError(c.op, c.id, c.pid, err, "")
	}
	r, reason := o.wait(ctx, false, c.stop, c.life, nil)
	switch reason {
	case waitContext:
		return "", fail(ctx.Err())
	case waitStopped:
		return "", fail(c.stopped())
	}
	release()
	if r.err != nil {
		return r.doc, newError(c.op, c.id, c.pid, r.err, r.doc)
	}
	return r.doc, nil
}

// terminateOrphan terminates, through issue, a compute system or process
// that nobody will use (created for a caller that gave up, or whose setup
// failed), then drops the handle's own reference to life, the lifetime of
// the native handle issue uses. It returns at once: the work runs in the
// background, which Drain waits for. The termination holds a reference to
// life like any call, so the native handle is closed only once HCS is done
// with it, also when the wait for HCS gives up after orphanTimeout. Errors
// are logged: there is nobody to return them to; one saying that there is
// nothing to terminate is not an error here.
func (h *Host) terminateOrphan(what string, life *lifetime, issue func(o backend.Handle) error) {
	h.background.Add()
	go func() {
		defer h.background.Done()
		defer life.close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(orphanTimeout.Load()))
		defer cancel()
		_, err := h.call(ctx, callee{op: "terminate " + what, life: life}, issue)
		if err != nil && !isGone(err) && h.logger != nil {
			h.logger.Warn("hcs: terminating an abandoned "+what+" failed", "error", err)
		}
	}()
}

// orphanTimeout bounds how long terminating an orphan waits for HCS before
// it logs a failure, in nanoseconds; the termination itself goes on. Tests
// shorten it.
var orphanTimeout atomic.Int64

func init() { orphanTimeout.Store(int64(2 * time.Minute)) }
