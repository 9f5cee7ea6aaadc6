package hcssim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
)

// harness drives a Sim at the seam, with callbacks that record completions
// and events.
type harness struct {
	t *testing.T
	s *Sim
	b backend.Backend

	mu      sync.Mutex
	open    map[backend.Handle]*bool // system handles h.system made, open
	nextCtx uintptr
	done    map[uintptr]chan struct{} // by operation context
	events  map[uintptr][]backend.Event
	changed chan struct{} // closed and replaced on every event
}

const testTimeout = 10 * time.Second

func newHarness(t *testing.T, opts ...Option) *harness {
	t.Helper()
	h := &harness{
		t:       t,
		s:       New(opts...),
		done:    make(map[uintptr]chan struct{}),
		events:  make(map[uintptr][]backend.Event),
		changed: make(chan struct{}),
		open:    make(map[backend.Handle]*bool),
	}
	h.b = h.s.backend()
	h.b.Init(backend.Callbacks{Completion: h.completion, Event: h.event})
	t.Cleanup(func() { // runs last: every test closes what it opened
		h.s.Close()
		h.wantNoHandles()
	})
	return h
}

func (h *harness) completion(_ backend.Handle, ctx uintptr) {
	h.mu.Lock()
	defer h.mu.Unlock()
	close(h.done[ctx])
}

func (h *harness) event(ctx uintptr, e backend.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events[ctx] = append(h.events[ctx], e)
	close(h.changed)
	h.changed = make(chan struct{})
}

// newCtx returns a fresh callback context.
func (h *harness) newCtx() uintptr {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nextCtx++
	return h.nextCtx
}

// op creates an operation and returns it with the channel its completion
// closes.
func (h *harness) op() (backend.Handle, chan struct{}) {
	h.t.Helper()
	ctx := h.newCtx()
	done := make(chan struct{})
	h.mu.Lock()
	h.done[ctx] = done
	h.mu.Unlock()
	op, err := h.b.CreateOperation(ctx)
	if err != nil {
		h.t.Fatalf("CreateOperation: %v", err)
	}
	return op, done
}

// await waits for the completion of op and returns its result; it closes op.
func (h *harness) await(op backend.Handle, done chan struct{}) (string, error) {
	h.t.Helper()
	select {
	case <-done:
	case <-time.After(testTimeout):
		h.t.Fatalf("operation %#x did not complete", op)
	}
	doc, err := h.b.GetOperationResult(op)
	h.b.CloseOperation(op)
	return doc, err
}

// call runs an asynchronous call and returns its outcome. The call itself
// must succeed.
func (h *harness) call(f func(op backend.Handle) error) (string, error) {
	h.t.Helper()
	op, done := h.op()
	if err := f(op); err != nil {
		h.b.CloseOperation(op)
		h.t.Fatalf("call failed synchronously: %v", err)
	}
	return h.await(op, done)
}

// mustCall is call for a call that must succeed.
func (h *harness) mustCall(f func(op backend.Handle) error) string {
	h.t.Helper()
	doc, err := h.call(f)
	if err != nil {
		h.t.Fatalf("call failed: %v (%s)", err, doc)
	}
	return doc
}

// create creates a system and returns its handle and the outcome.
func (h *harness) create(id, config string) (backend.Handle, string, error) {
	h.t.Helper()
	var sys backend.Handle
	doc, err := h.call(func(op backend.Handle) error {
		var err error
		sys, err = h.b.CreateComputeSystem(id, config, op)
		return err
	})
	return sys, doc, err
}

// container returns a container configuration for owner.
func container(owner string) string {
	return fmt.Sprintf(`{"Owner":%q,"SchemaVersion":{"Major":2,"Minor":1},"Container":{}}`, owner)
}

// system creates a container system in the given state and returns its
// handle, closed at the end of the test.
func (h *harness) system(id, state string) backend.Handle {
	h.t.Helper()
	sys, doc, err := h.create(id, container("test"))
	if err != nil {
		h.t.Fatalf("create %s: %v (%s)", id, err, doc)
	}
	open := true
	h.mu.Lock()
	h.open[sys] = &open
	h.mu.Unlock()
	h.t.Cleanup(func() {
		if open {
			h.b.CloseComputeSystem(sys)
		}
	})
	h.toState(sys, state)
	return sys
}

// closeSystem closes a handle that h.system returned, before the end of
// the test.
func (h *harness) closeSystem(sys backend.Handle) {
	h.mu.Lock()
	*h.open[sys] = false
	delete(h.open, sys)
	h.mu.Unlock()
	h.b.CloseComputeSystem(sys)
}

// toState moves a Created system to state.
func (h *harness) toState(sys backend.Handle, state string) {
	h.t.Helper()
	steps := map[string][]func(op backend.Handle) error{
		stateCreated: nil,
		stateRunning: {h.start(sys)},
		statePaused:  {h.start(sys), h.pause(sys)},
		stateSavedAsTemplate: {h.start(sys), h.pause(sys), func(op backend.Handle) error {
			return h.b.SaveComputeSystem(sys, op, `{"SaveType":"AsTemplate"}`)
		}},
		stateStopped: {func(op backend.Handle) error { return h.b.TerminateComputeSystem(sys, op, "") }},
	}[state]
	for _, f := range steps {
		h.mustCall(f)
	}
}

func (h *harness) start(sys backend.Handle) func(backend.Handle) error {
	return func(op backend.Handle) error { return h.b.StartComputeSystem(sys, op, "") }
}

func (h *harness) pause(sys backend.Handle) func(backend.Handle) error {
	return func(op backend.Handle) error { return h.b.PauseComputeSystem(sys, op, "") }
}

// state returns the state of system id as the Sim reports it, or "" if it
// is not listed.
func (h *harness) state(id string) string {
	for _, info := range h.s.Systems() {
		if info.ID == id {
			return string(info.State)
		}
	}
	return ""
}

// listen sets an event callback on a system handle and returns its context.
func (h *harness) listen(sys backend.Handle) uintptr {
	h.t.Helper()
	ctx := h.newCtx()
	if err := h.b.SetComputeSystemCallback(sys, backend.EventOptionNone, ctx); err != nil {
		h.t.Fatalf("SetComputeSystemCallback: %v", err)
	}
	return ctx
}

// listenProcess sets an event callback on a process handle.
func (h *harness) listenProcess(p backend.Handle) uintptr {
	h.t.Helper()
	ctx := h.newCtx()
	if err := h.b.SetProcessCallback(p, backend.EventOptionNone, ctx); err != nil {
		h.t.Fatalf("SetProcessCallback: %v", err)
	}
	return ctx
}

// waitEvents waits until ctx has received n events and returns them.
func (h *harness) waitEvents(ctx uintptr, n int) []backend.Event {
	h.t.Helper()
	deadline := time.After(testTimeout)
	for {
		h.mu.Lock()
		got, changed := h.events[ctx], h.changed
		h.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline:
			h.t.Fatalf("context %d: got %d events, want %d: %v", ctx, len(got), n, got)
		}
	}
}

// eventsOf returns the events received on ctx so far.
func (h *harness) eventsOf(ctx uintptr) []backend.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.events[ctx]
}

// idle waits until the Sim is idle.
func (h *harness) idle() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := h.s.WaitIdle(ctx); err != nil {
		h.t.Fatalf("WaitIdle: %v", err)
	}
}

// wantHR fails the test unless err is the HRESULT want.
func wantHR(t *testing.T, err error, want hcs.HRESULT) {
	t.Helper()
	var hr hcs.HRESULT
	if !errors.As(err, &hr) || hr != want {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

// wantResultError fails the test unless doc is a ResultError for want whose
// message contains each of parts.
func wantResultError(t *testing.T, doc string, want hcs.HRESULT, parts ...string) {
	t.Helper()
	re := hcs.ParseResultError([]byte(doc))
	if re == nil || re.Error != want {
		t.Fatalf("result document %s: want Error %v", doc, want)
	}
	for _, p := range parts {
		if !strings.Contains(re.ErrorMessage, p) {
			t.Errorf("ErrorMessage %q does not contain %q", re.ErrorMessage, p)
		}
	}
	if len(re.ErrorEvents) != 1 || re.ErrorEvents[0].Message != re.ErrorMessage || re.ErrorEvents[0].EventID == nil || *re.ErrorEvents[0].EventID != 1 {
		t.Errorf("ErrorEvents = %+v", re.ErrorEvents)
	}
}

// wantNoHandles fails the test if handles are still open.
func (h *harness) wantNoHandles() {
	h.t.Helper()
	if n := h.s.LiveHandles(); n != 0 {
		h.t.Errorf("LiveHandles = %d, want 0", n)
	}
}
