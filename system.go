package hcs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"reflect"
	"runtime"
	"time"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/schema"
)

// System is an open handle to a compute system: a container or a virtual
// machine. It is safe for concurrent use. Methods that wait for HCS take a
// context; when it ends first they return an error matching the context's
// error at once, while HCS finishes the operation in the background (HCS
// operations cannot be cancelled).
//
// Close releases the handle. A System that becomes unreachable without
// Close is closed by the garbage collector as a backstop, and the leak is
// logged; a system created with ShouldTerminateOnLastHandleClosed is then
// terminated by HCS, so keep the System reachable while you need it.
//
// A System lives no longer than the connection to the compute service it
// was opened on. When the service disconnects (vmcompute stops or
// restarts), pending calls and Wait fail with an error matching
// ErrServiceDisconnect, Events ends with EventServiceDisconnect, and this
// package refuses every later call on the System with such an error, also
// after the service is back: the handle belongs to the lost connection. The compute system
// itself may still exist: open it again with Host.OpenSystem, and Close the
// old System. See the System (ServiceDisconnect) example.
type System struct {
	h      *Host
	id     string
	handle backend.Handle
	sink   *eventSink

	life *lifetime
	leak runtime.Cleanup
}

// ID returns the compute system's identifier.
func (s *System) ID() string { return s.id }

// CreateSystem creates a compute system with the given identifier from an
// HCS document and returns an open handle to it, in state Created. config
// is a *schema.ComputeSystem, a json.RawMessage, a []byte or a string
// holding the JSON document, or any other value encoding/json turns into
// one. A document given as text may be UTF-16 or start with a byte order
// mark, as Windows tools save it: it is sent as UTF-8 (schema.ToUTF8).
//
// If ctx ends before HCS has created the system, CreateSystem returns an
// error matching ctx.Err(); when HCS completes the creation later, the new
// system is terminated and its handle closed, so nothing is orphaned (see
// Host.Drain).
func (h *Host) CreateSystem(ctx context.Context, id string, config any) (*System, error) {
	const op = "create"
	start := time.Now()
	s, err := h.createSystem(ctx, op, id, config)
	h.log(ctx, op, id, start, err)
	return s, err
}

func (h *Host) createSystem(ctx context.Context, op, id string, config any) (*System, error) {
	if err := h.available(op, id); err != nil {
		return nil, err
	}
	doc, err := document(config)
	if err == nil && doc == "" {
		err = errors.New("no configuration document")
	}
	if err != nil {
		return nil, &Error{Op: op, ID: id, Err: fmt.Errorf("%w: %w", ErrInvalidSchema, err)}
	}
	if err := ctx.Err(); err != nil {
		return nil, &Error{Op: op, ID: id, Err: err}
	}
	var handle backend.Handle
	c, err := h.startCall(func(o backend.Handle) error {
		var err error
		handle, err = h.b.CreateComputeSystem(id, doc, o)
		return err
	})
	if err != nil {
		if handle != 0 {
			h.b.CloseComputeSystem(handle)
		}
		return nil, newError(op, id, 0, err, "")
	}
	r, reason := c.wait(ctx, false, stops{}, nil, func(r result) {
		if r.err == nil {
			h.terminateOrphan("compute system", h.systemLifetime(handle), h.terminateSystem(handle))
			return
		}
		h.b.CloseComputeSystem(handle)
	})
	if reason != waitCompleted {
		return nil, &Error{Op: op, ID: id, Err: ctx.Err()}
	}
	if r.err != nil {
		h.b.CloseComputeSystem(handle)
		return nil, newError(op, id, 0, r.err, r.doc)
	}
	s, err := h.newSystem(id, handle)
	if err != nil {
		h.terminateOrphan("compute system", h.systemLifetime(handle), h.terminateSystem(handle))
		return nil, newError(op, id, 0, err, "")
	}
	// The system may have stopped before its event callback was set (another
	// handle terminated it, HCS failed it): its SystemExited went to nobody.
	if err := s.learnExit(ctx, op); err != nil {
		s.abandon()
		return nil, err
	}
	return s, nil
}

// systemLifetime returns a lifetime that closes handle, for a handle no
// System owns.
func (h *Host) systemLifetime(handle backend.Handle) *lifetime {
	return newLifetime(func() { h.b.CloseComputeSystem(handle) })
}

// terminateSystem returns the call that terminates the system of handle.
func (h *Host) terminateSystem(handle backend.Handle) func(o backend.Handle) error {
	return func(o backend.Handle) error { return h.b.TerminateComputeSystem(handle, o, "") }
}

// abandon closes s, terminating its system first, in the background: s was
// created for a caller that will not get it.
func (s *System) abandon() {
	s.leak.Stop()
	s.sink.close()
	s.h.terminateOrphan("compute system", s.life, s.h.terminateSystem(s.handle))
}

// OpenSystem opens the existing compute system with the given identifier.
// A system that does not exist gives an error matching ErrNotFound. HCS
// opens it synchronously: ctx is checked before the call only.
func (h *Host) OpenSystem(ctx context.Context, id string) (*System, error) {
	const op = "open"
	start := time.Now()
	s, err := h.openSystem(ctx, op, id)
	h.log(ctx, op, id, start, err)
	return s, err
}

func (h *Host) openSystem(ctx context.Context, op, id string) (*System, error) {
	if err := h.available(op, id); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, &Error{Op: op, ID: id, Err: err}
	}
	handle, err := h.b.OpenComputeSystem(id)
	if err != nil {
		return nil, newError(op, id, 0, backendError(err), "")
	}
	s, err := h.newSystem(id, handle)
	if err != nil {
		h.b.CloseComputeSystem(handle)
		return nil, newError(op, id, 0, err, "")
	}
	// No SystemExited event will come for a system that already stopped:
	// learn its state now so that Wait does not wait forever.
	if err := s.learnExit(ctx, op); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// learnExit asks HCS for the state of the system and, when it has stopped,
// records its exit as a SystemExited event would: a system that stops
// before its handle's event callback is set sends that event to nobody.
// Failures are reported as op's.
func (s *System) learnExit(ctx context.Context, op string) error {
	doc, err := s.run(ctx, op, true, func(sys, o backend.Handle) error {
		return s.h.b.GetComputeSystemProperties(sys, o, "")
	})
	if err != nil {
		return err
	}
	var props struct {
		State    string `json:"State"`
		Stopped  bool   `json:"Stopped"`
		ExitType string `json:"ExitType"`
	}
	if json.Unmarshal([]byte(doc), &props) == nil && (props.Stopped || props.State == "Stopped") {
		exitType := props.ExitType
		if exitType == "" {
			exitType = "Unknown"
		}
		// The members in the order of HCS's SystemExitStatus, so that the
		// event reads the same whichever way the exit was learnt.
		data, _ := json.Marshal(struct {
			Status   int32
			ExitType string
		}{0, exitType})
		s.sink.deliver(Event{Type: EventSystemExited, Data: data})
	}
	return nil
}

// newSystem wraps an open handle and registers its event callback.
func (h *Host) newSystem(id string, handle backend.Handle) (*System, error) {
	sink := newEventSink(EventSystemExited)
	if err := h.b.SetComputeSystemCallback(handle, backend.EventOptionNone, sink.key); err != nil {
		sink.close()
		return nil, backendError(err)
	}
	s := &System{h: h, id: id, handle: handle, sink: sink}
	s.life = newLifetime(func() {
		sink.close()
		h.b.CloseComputeSystem(handle)
	})
	s.leak = runtime.AddCleanup(s, leakedSystem, leakedHandle{h: h, id: id, life: s.life, sink: sink})
	return s, nil
}

// leakedHandle is what the garbage collector needs to close a System or
// Process that was never closed. It must not refer to the System or
// Process.
type leakedHandle struct {
	h     *Host
	id    string
	life  *lifetime
	sink  *eventSink
	pipes []io.Closer // a process's standard pipes
}

// leakedSystem closes a System nobody closed, as Close does: the native
// handle is closed once the calls HCS has not completed are done.
func leakedSystem(l leakedHandle) {
	l.sink.close()
	l.life.close()
	if l.h.logger != nil {
		l.h.logger.Warn("hcs: compute system handle leaked; closed it", "id", l.id)
	}
}

// Close closes the handle. Calls still waiting return an error matching
// ErrClosed; the native handle is closed once HCS has completed them, which
// Close does not wait for. Event streams end at once, after the events
// already received. Close is idempotent and safe to call concurrently with any
// method; later calls fail with ErrClosed. It always returns nil.
func (s *System) Close() error {
	if s.life.close() {
		s.leak.Stop()
		s.sink.close()
	}
	return nil
}

// run makes one asynchronous call on the system and returns its result
// document. expectExit is true for calls meant to stop the system
// (shutdown, terminate, crash); any other call fails with
// ErrUnexpectedExit if the system exits while it is pending.
func (s *System) run(ctx context.Context, op string, expectExit bool, issue func(sys, o backend.Handle) error) (string, error) {
	c := callee{op: op, id: s.id, life: s.life, stop: stops{s.life.closing, s.sink.disconnected}, stopped: s.stopReason}
	if !expectExit && !isClosed(s.sink.exited) {
		c.stop[2] = s.sink.exited
	}
	return s.h.call(ctx, c, func(o backend.Handle) error { return issue(s.handle, o) })
}

// stopReason says why a pending call stopped waiting.
func (s *System) stopReason() error {
	switch {
	case isClosed(s.life.closing):
		return ErrClosed
	case isClosed(s.sink.disconnected):
		return errStaleSystem
	default:
		return ErrUnexpectedExit
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
	}
	return false
}

// simple makes a call that returns no document, timing and logging it.
func (s *System) simple(ctx context.Context, op string, expectExit bool, issue func(sys, o backend.Handle) error) error {
	start := time.Now()
	_, err := s.run(ctx, op, expectExit, issue)
	s.h.log(ctx, op, s.id, start, err)
	return err
}

// Start starts the system. A system that exits while starting gives an
// error matching ErrUnexpectedExit; one not in state Created gives
// ErrInvalidState. If ctx ends first, Start returns the context's error at
// once and HCS finishes starting the system in the background.
func (s *System) Start(ctx context.Context) error {
	return s.simple(ctx, "start", false, func(sys, o backend.Handle) error {
		return s.h.b.StartComputeSystem(sys, o, "")
	})
}

// Shutdown asks the system to shut down cleanly and returns when HCS has
// done so. Use Wait for the exit status, and Terminate when a system does not
// shut down in time: if ctx ends first, Shutdown returns the context's
// error and the shutdown goes on. A stopped system gives ErrAlreadyStopped.
func (s *System) Shutdown(ctx context.Context) error {
	return s.simple(ctx, "shutdown", true, func(sys, o backend.Handle) error {
		return s.h.b.ShutDownComputeSystem(sys, o, "")
	})
}

// Terminate stops the system forcefully. A stopped system gives
// ErrAlreadyStopped. If ctx ends first, Terminate returns the context's
// error and HCS finishes terminating in the background.
func (s *System) Terminate(ctx context.Context) error {
	return s.simple(ctx, "terminate", true, func(sys, o backend.Handle) error {
		return s.h.b.TerminateComputeSystem(sys, o, "")
	})
}

// Pause pauses a running system; in another state it gives
// ErrInvalidState. If ctx ends first, Pause returns the context's error and
// HCS finishes the pause in the background.
func (s *System) Pause(ctx context.Context) error {
	return s.simple(ctx, "pause", false, func(sys, o backend.Handle) error {
		return s.h.b.PauseComputeSystem(sys, o, "")
	})
}

// Resume resumes a paused system; in another state it gives
// ErrInvalidState. If ctx ends first, Resume returns the context's error
// and HCS finishes the resume in the background.
func (s *System) Resume(ctx context.Context) error {
	return s.simple(ctx, "resume", false, func(sys, o backend.Handle) error {
		return s.h.b.ResumeComputeSystem(sys, o, "")
	})
}

// Wait waits for the system to exit and returns how it exited. It can be
// called any number of times, from any goroutine, before and after the exit
// and after Close: the exit status is never lost once the handle has seen
// it. Wait fails with ErrServiceDisconnect when the service disconnects, and
// with ErrClosed when the handle is closed before the system exits.
func (s *System) Wait(ctx context.Context) (*ExitStatus, error) {
	select {
	case <-s.sink.exited:
		return ParseExitStatus(s.sink.exitDocument()), nil
	default:
	}
	select {
	case <-s.sink.exited:
		return ParseExitStatus(s.sink.exitDocument()), nil
	case <-s.sink.disconnected:
		return nil, &Error{Op: "wait", ID: s.id, Err: errStaleSystem}
	case <-s.life.closing:
		return nil, &Error{Op: "wait", ID: s.id, Err: ErrClosed}
	case <-ctx.Done():
		return nil, &Error{Op: "wait", ID: s.id, Err: ctx.Err()}
	}
}

// Events subscribes to the system's events and returns them as a sequence
// for a range loop. The subscription starts when Events is called, so
// events sent before the loop begins are kept. A subscriber that falls
// behind loses the oldest non-terminal events (Event.Missed counts them)
// and never slows HCS or other subscribers; terminal events (SystemExited,
// ServiceDisconnect) are never lost. The sequence ends after a terminal
// event, when ctx ends, when the loop stops, or when the System is closed.
// It can be ranged over once.
func (s *System) Events(ctx context.Context) iter.Seq[Event] {
	return s.sink.events(ctx)
}

// document turns a configuration or options value into the JSON text HCS
// takes. nil, and a nil pointer, give "" (a NULL argument).
func document(v any) (string, error) {
	switch d := v.(type) {
	case nil:
		return "", nil
	case string:
		return utf8Text([]byte(d))
	case []byte:
		return utf8Text(d)
	case json.RawMessage:
		return utf8Text(d)
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return "", nil
	}
	b, err := marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// utf8Text returns a document given as text as the UTF-8 text HCS takes:
// UTF-16 and byte order marks, as Windows tools save documents, are
// converted (schema.ToUTF8).
func utf8Text(doc []byte) (string, error) {
	text, err := schema.ToUTF8(doc)
	return string(text), err
}

// schemaPkg is the import path of package schema.
var schemaPkg = reflect.TypeFor[schema.Version]().PkgPath()

// marshal encodes v. The types of package schema write valid, compact JSON
// themselves, so their MarshalJSON is called directly, without
// encoding/json's second pass over the text.
func marshal(v any) ([]byte, error) {
	if m, ok := v.(json.Marshaler); ok {
		t := reflect.TypeOf(v)
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.PkgPath() == schemaPkg {
			return m.MarshalJSON()
		}
	}
	return json.Marshal(v)
}
