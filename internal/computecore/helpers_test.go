//go:build windows

package computecore

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

// HRESULTs the tests expect, as `hr error` results carry them.
const (
	hrInvalidState        = syscall.Errno(0x80370105)
	hrTerminatedDuringSta = syscall.Errno(0x80370100)
	hrUnexpectedExit      = syscall.Errno(0x80370106)
	hrInvalidJSON         = syscall.Errno(0x8037010D)
	hrSystemNotFound      = syscall.Errno(0x8037010E)
	hrAlreadyExists       = syscall.Errno(0x8037010F)
	hrAlreadyStopped      = syscall.Errno(0x80370110)
	hrNotStarted          = syscall.Errno(0x80370115)
	hrAlreadyStarted      = syscall.Errno(0x80370116)
	hrPending             = syscall.Errno(0x80370117)
	hrTimeout             = syscall.Errno(0x80370118)
	hrCallbackSet         = syscall.Errno(0x80370119)
	hrServiceDisconnect   = syscall.Errno(0x8037011E)
	hrProcessStopped      = syscall.Errno(0x8037011F)
	hrNotImpl             = syscall.Errno(0x80004001)
	hrFail                = syscall.Errno(0x80004005)
	hrInvalidArg          = syscall.Errno(windows.ERROR_INVALID_PARAMETER) // E_INVALIDARG
	hrFileExists          = syscall.Errno(windows.ERROR_FILE_EXISTS)
	hrFileNotFound        = syscall.Errno(windows.ERROR_FILE_NOT_FOUND)
)

const waitTimeout = 20 * time.Second

// completion is what the completion dispatcher saw.
type completion struct {
	op     backend.Handle
	thread uint32 // native thread the callback ran on
}

// dispatcher is the backend.Callbacks of the tests: contexts are integer
// keys into two maps of buffered channels, like package hcs's registry. It
// never blocks.
type dispatcher struct {
	next atomic.Uintptr

	mu      sync.Mutex
	ops     map[uintptr]chan completion
	events  map[uintptr]chan backend.Event
	unknown atomic.Uint64 // callbacks for contexts nobody registered
}

var disp = &dispatcher{
	ops:    make(map[uintptr]chan completion),
	events: make(map[uintptr]chan backend.Event),
}

func (d *dispatcher) callbacks() backend.Callbacks {
	return backend.Callbacks{
		Completion: func(op backend.Handle, ctx uintptr) {
			d.mu.Lock()
			ch := d.ops[ctx]
			d.mu.Unlock()
			if ch == nil {
				d.unknown.Add(1)
				return
			}
			select {
			case ch <- completion{op, windows.GetCurrentThreadId()}:
			default:
				d.unknown.Add(1) // a second completion: counted as a fault
			}
		},
		Event: func(ctx uintptr, e backend.Event) {
			d.mu.Lock()
			ch := d.events[ctx]
			d.mu.Unlock()
			if ch == nil {
				d.unknown.Add(1)
				return
			}
			select {
			case ch <- e:
			default:
				d.unknown.Add(1)
			}
		},
	}
}

func (d *dispatcher) newOpContext() (uintptr, chan completion) {
	ctx := d.next.Add(1)
	ch := make(chan completion, 1)
	d.mu.Lock()
	d.ops[ctx] = ch
	d.mu.Unlock()
	return ctx, ch
}

func (d *dispatcher) newEventContext() (uintptr, chan backend.Event) {
	ctx := d.next.Add(1)
	ch := make(chan backend.Event, 64)
	d.mu.Lock()
	d.events[ctx] = ch
	d.mu.Unlock()
	return ctx, ch
}

func (d *dispatcher) forget(ctx uintptr) {
	d.mu.Lock()
	delete(d.ops, ctx)
	delete(d.events, ctx)
	d.mu.Unlock()
}

var initOnce sync.Once

// mock returns the backend for a test that needs the mock computecore.dll,
// resets the mock, and checks at the end of the test that everything was
// closed and freed. It skips the test when the DLL is not the mock.
func mock(t testing.TB) backend.Backend {
	t.Helper()
	if why := mockctl.Why(); why != "" {
		t.Skip("needs the mock computecore.dll installed by the Wine harness: " + why)
	}
	b, err := Backend()
	if err != nil {
		t.Fatalf("Backend: %v", err)
	}
	initOnce.Do(func() { b.Init(disp.callbacks()) })
	waitQuiet(t)
	mockctl.Reset()
	mockctl.SetLabel(t.Name())
	unknown := disp.unknown.Load()
	t.Cleanup(func() {
		defer mockctl.SetLabel("after " + t.Name())
		mockctl.SetCompletionDelay(0)
		mockctl.FireLateEvents(false)
		waitQuiet(t)
		if n := mockctl.LiveHandles(); n != 0 {
			t.Errorf("mock: %d handles still open at the end of the test", n)
		}
		if n := mockctl.OutstandingResults(); n != 0 {
			t.Errorf("mock: %d result strings not freed with LocalFree", n)
		}
		if n := disp.unknown.Load() - unknown; n != 0 {
			t.Errorf("%d callbacks reached the dispatcher with a context nobody registered", n)
		}
		registry.mu.RLock()
		defer registry.mu.RUnlock()
		if len(registry.operations)+len(registry.handles)+len(registry.contexts) != 0 {
			t.Errorf("registry not empty at the end of the test: %d operations, handles %v, contexts %v",
				len(registry.operations), registry.handles, registry.contexts)
		}
	})
	return b
}

// waitQuiet waits until no callback is running in the mock and no result
// string is outstanding (a completion may still be on its way out).
func waitQuiet(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for mockctl.CallbacksInFlight() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("mock: %d callbacks still in flight after %v", mockctl.CallbacksInFlight(), waitTimeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// op is an operation created for one call.
type op struct {
	h   backend.Handle
	ctx uintptr
	ch  chan completion
}

func newOp(t testing.TB, b backend.Backend) *op {
	t.Helper()
	ctx, ch := disp.newOpContext()
	h, err := b.CreateOperation(ctx)
	if err != nil {
		t.Fatalf("CreateOperation: %v", err)
	}
	return &op{h: h, ctx: ctx, ch: ch}
}

func (o *op) close(b backend.Backend) {
	b.CloseOperation(o.h)
	disp.forget(o.ctx)
}

// wait waits for the completion callback of o.
func (o *op) wait(t testing.TB) completion {
	t.Helper()
	select {
	case c := <-o.ch:
		if c.op != o.h {
			t.Errorf("completion for operation %#x, want %#x", c.op, o.h)
		}
		return c
	case <-time.After(waitTimeout):
		t.Fatalf("operation %#x did not complete within %v", o.h, waitTimeout)
		return completion{}
	}
}

// do runs one asynchronous call: it creates an operation, passes it to call,
// waits for its completion and returns its result document and error. A
// synchronous failure of call is returned as is, with its operation closed.
func do(t testing.TB, b backend.Backend, call func(op backend.Handle) error) (string, error) {
	t.Helper()
	o := newOp(t, b)
	defer o.close(b)
	if err := call(o.h); err != nil {
		return "", err
	}
	o.wait(t)
	return b.GetOperationResult(o.h)
}

// must fails the test if err is not nil.
func must(t testing.TB, what string, doc string, err error) string {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v (result %s)", what, err, doc)
	}
	return doc
}

// wantErr fails the test unless err is want.
func wantErr(t testing.TB, what string, err error, want syscall.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v (%#x), want %v (%#x)", what, err, errnoOf(err), want, uint32(want))
	}
}

func errnoOf(err error) uint32 {
	var e syscall.Errno
	if errors.As(err, &e) {
		return uint32(e)
	}
	return 0
}

var systemSeq atomic.Uint64

// newID returns a fresh compute system id.
func newID(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), systemSeq.Add(1))
}

// containerConfig is a minimal configuration the mock accepts.
func containerConfig(owner string) string {
	return `{"Owner":"` + owner + `","SchemaVersion":{"Major":2,"Minor":1},"Container":{},"ShouldTerminateOnLastHandleClosed":true}`
}

// createSystem creates a system and waits for the create to complete.
func createSystem(t testing.TB, b backend.Backend, id string) backend.Handle {
	t.Helper()
	var sys backend.Handle
	doc, err := do(t, b, func(op backend.Handle) error {
		var err error
		sys, err = b.CreateComputeSystem(id, containerConfig("computecore-test"), op)
		return err
	})
	if err != nil {
		if sys != 0 {
			b.CloseComputeSystem(sys)
		}
		t.Fatalf("CreateComputeSystem(%q): %v (result %s)", id, err, doc)
	}
	return sys
}

// startedSystem creates and starts a system that the test's cleanup closes.
func startedSystem(t testing.TB, b backend.Backend) (string, backend.Handle) {
	t.Helper()
	id := newID("started")
	sys := createSystem(t, b, id)
	t.Cleanup(func() { b.CloseComputeSystem(sys) })
	doc, err := do(t, b, func(op backend.Handle) error { return b.StartComputeSystem(sys, op, "") })
	must(t, "StartComputeSystem", doc, err)
	return id, sys
}

// waitEvent waits for an event of type typ on ch.
func waitEvent(t testing.TB, ch <-chan backend.Event, typ uint32) backend.Event {
	t.Helper()
	timeout := time.After(waitTimeout)
	for {
		select {
		case e := <-ch:
			if e.Type == typ {
				return e
			}
		case <-timeout:
			t.Fatalf("no event %#x within %v", typ, waitTimeout)
			return backend.Event{}
		}
	}
}

// decode unmarshals a JSON document, failing the test if it is malformed.
func decode(t testing.TB, what, doc string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		t.Fatalf("%s: bad JSON %q: %v", what, doc, err)
	}
}

func isUnsupported(err error) bool { return errors.Is(err, errors.ErrUnsupported) }
