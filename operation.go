package hcs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"

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

// operation is one in-flight HCS operation.
type operation struct {
	key    uintptr
	state  atomic.Int32
	done   chan struct{} // closed on completion, unless abandoned first
	handle backend.Handle

	// cleanup runs after an abandoned operation completes. It is set before
	// the operation is abandoned and read only after.
	cleanup func()
}

var (
	nextOpKey atomic.Uintptr
	ops       sync.Map // uintptr → *operation
)

// newOperation registers a new operation under a fresh key.
func newOperation() *operation {
	o := &operation{key: nextOpKey.Add(1), done: make(chan struct{})}
	ops.Store(o.key, o)
	holdAlive()
	return o
}

// unregister removes o from the registry. It is called once per operation.
func (o *operation) unregister() {
	ops.Delete(o.key)
	releaseAlive()
}

// dispatchCompletion is the backend's completion callback. It runs on an
// HCS thread and must not block.
func dispatchCompletion(_ backend.Handle, key uintptr) {
	v, ok := ops.Load(key)
	if !ok {
		return // not ours, or already finished: nothing to do
	}
	o := v.(*operation)
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

// call is one asynchronous HCS call being made.
type call struct {
	h      *Host
	o      *operation
	handle backend.Handle // the operation handle
}

// startCall creates an operation and issues the call through issue. When
// issue fails synchronously, HCS will not complete the operation: it is
// closed here and the error returned.
func (h *Host) startCall(issue func(op backend.Handle) error) (*call, error) {
	o := newOperation()
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
	return &call{h: h, o: o, handle: op}, nil
}

// finish reads the result of a completed call and closes its operation.
func (c *call) finish(withProcess bool) result {
	var r result
	var err error
	if withProcess {
		r.info, r.doc, err = c.h.b.GetOperationResultAndProcessInfo(c.handle)
	} else {
		r.doc, err = c.h.b.GetOperationResult(c.handle)
	}
	r.err = backendError(err)
	c.h.b.CloseOperation(c.handle)
	c.o.unregister()
	return r
}

// waitReason says why wait returned.
type waitReason int

const (
	waitCompleted waitReason = iota
	waitContext
	waitStopped // one of the stop channels closed
)

// wait waits for c to complete, for ctx to end, or for any of stop to be
// closed. Unless the call completed, it is abandoned: when HCS completes it
// later, its result is read and passed to cleanup on a new goroutine, which
// the host's background group tracks. cleanup may be nil.
func (c *call) wait(ctx context.Context, withProcess bool, cleanup func(result), stop ...<-chan struct{}) (result, waitReason) {
	var s0, s1, s2 <-chan struct{}
	switch len(stop) {
	case 3:
		s2 = stop[2]
		fallthrough
	case 2:
		s1 = stop[1]
		fallthrough
	case 1:
		s0 = stop[0]
	}
	reason := waitCompleted
	select {
	case <-c.o.done:
		return c.finish(withProcess), waitCompleted
	case <-ctx.Done():
		reason = waitContext
	case <-s0:
		reason = waitStopped
	case <-s1:
		reason = waitStopped
	case <-s2:
		reason = waitStopped
	}
	c.h.background.add()
	abandoned := c.o.abandon(func() {
		defer c.h.background.done()
		r := c.finish(withProcess)
		if cleanup != nil {
			cleanup(r)
		}
	})
	if !abandoned {
		c.h.background.done()
		<-c.o.done
		return c.finish(withProcess), waitCompleted
	}
	// Best effort: HCS documents HcsCancelOperation as returning E_NOTIMPL.
	_ = c.h.b.CancelOperation(c.handle)
	return result{}, reason
}

// tracker counts a host's abandoned calls whose cleanup has not finished,
// and lets Drain wait for the count to reach zero. Unlike a
// sync.WaitGroup, it may be added to while someone waits.
type tracker struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0; nil while n is 0
}

func (t *tracker) add() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == 0 {
		t.idle = make(chan struct{})
	}
	t.n++
}

func (t *tracker) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n--
	if t.n == 0 {
		close(t.idle)
		t.idle = nil
	}
}

// wait returns when the count is zero or ctx ends.
func (t *tracker) wait(ctx context.Context) error {
	t.mu.Lock()
	idle := t.idle
	t.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
