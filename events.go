package hcs

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"sync"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/schema"
)

// EventType is an HCS_EVENT_TYPE value. Values HCS adds in the future pass
// through unchanged; String names the known ones.
type EventType uint32

// The HCS event types, with the values of HCS_EVENT_TYPE. The last two come
// from SDK headers newer than the published reference (group events, delivered with group notifications
// enabled); they are named so that logs read well.
const (
	EventInvalid                           EventType = 0x00000000
	EventSystemExited                      EventType = 0x00000001
	EventSystemCrashInitiated              EventType = 0x00000002
	EventSystemCrashReport                 EventType = 0x00000003
	EventSystemRDPEnhancedModeStateChanged EventType = 0x00000004
	EventSystemSiloJobCreated              EventType = 0x00000005
	EventSystemGuestConnectionClosed       EventType = 0x00000006
	EventProcessExited                     EventType = 0x00010000
	EventOperationCallback                 EventType = 0x01000000
	EventServiceDisconnect                 EventType = 0x02000000
	EventGroupVMLifecycle                  EventType = 0x80000002
	EventGroupOperationInfo                EventType = 0xC0000001
)

var eventTypeNames = map[EventType]string{
	EventInvalid:                           "Invalid",
	EventGroupVMLifecycle:                  "GroupVmLifecycle",
	EventGroupOperationInfo:                "GroupOperationInfo",
	EventSystemExited:                      "SystemExited",
	EventSystemCrashInitiated:              "SystemCrashInitiated",
	EventSystemCrashReport:                 "SystemCrashReport",
	EventSystemRDPEnhancedModeStateChanged: "SystemRdpEnhancedModeStateChanged",
	EventSystemSiloJobCreated:              "SystemSiloJobCreated",
	EventSystemGuestConnectionClosed:       "SystemGuestConnectionClosed",
	EventProcessExited:                     "ProcessExited",
	EventOperationCallback:                 "OperationCallback",
	EventServiceDisconnect:                 "ServiceDisconnect",
}

// String returns the event type's name without the HcsEvent prefix, such as
// "SystemExited", or "EventType(0x40000003)" for a value it does not know.
func (t EventType) String() string {
	if n, ok := eventTypeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("EventType(%#08x)", uint32(t))
}

// Terminal reports whether no event can follow one of this type on the
// same handle: the system exited or the service disconnected.
func (t EventType) Terminal() bool {
	return t == EventSystemExited || t == EventServiceDisconnect
}

// Event is a notification HCS sent about a compute system.
type Event struct {
	Type EventType
	// Data is the event's document exactly as HCS sent it, or nil. It is a
	// SystemExitStatus for SystemExited (ParseExitStatus reads it), a
	// CrashReport for SystemCrashReport; Decode unmarshals it. Every subscriber shares it:
	// treat it as read-only.
	Data []byte
	// Missed counts the non-terminal events this subscriber did not receive
	// just before this one because it fell behind. Terminal events are never
	// dropped.
	Missed int
}

// Decode unmarshals the event's document into v, typically a
// *schema.CrashReport. It fails when the event has no document. For
// SystemExited, use [ParseExitStatus] instead: it gives the same
// [ExitStatus] as [System.Wait], with an HRESULT status and ExitType Unknown
// where HCS did not say, where a *schema.SystemExitStatus has a *int32 and
// an empty ExitType.
func (e Event) Decode(v any) error {
	if len(e.Data) == 0 {
		return fmt.Errorf("hcs: %v event has no document", e.Type)
	}
	if err := json.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("hcs: decode %v event: %w", e.Type, err)
	}
	return nil
}

// ExitStatus describes how a compute system exited: the SystemExited
// event's document.
//
// It is the typed view of schema.SystemExitStatus, which stays the wire
// type: Status is an HRESULT rather than a *int32, ExitType is never empty,
// and Raw keeps the document; ExitType and Attribution are the schema's own
// types. [ParseExitStatus] reads it from a SystemExited event.
type ExitStatus struct {
	// Status is the exit status HCS reported; zero for a clean exit.
	Status HRESULT
	// ExitType is how the system exited: GracefulExit, ForcedExit,
	// UnexpectedExit, or Unknown when HCS did not say.
	ExitType schema.NotificationType
	// Attribution lists what HCS attributes the exit to, when it says.
	Attribution []schema.AttributionRecord
	// Raw is the document as HCS sent it; nil when HCS sent none.
	Raw []byte
}

// ParseExitStatus reads a SystemExitStatus document, such as the Data of a
// SystemExited [Event], into the ExitStatus that [System.Wait] returns. It
// never fails and never returns nil: for an empty or malformed document the
// result has a zero Status and ExitType Unknown. Raw is data itself, not a
// copy.
func ParseExitStatus(data []byte) *ExitStatus {
	st := &ExitStatus{Raw: data}
	var doc schema.SystemExitStatus
	if len(data) > 0 && json.Unmarshal(data, &doc) == nil {
		if doc.Status != nil {
			st.Status = HRESULT(*doc.Status)
		}
		st.ExitType = doc.ExitType
		st.Attribution = doc.Attribution
	}
	if st.ExitType == "" {
		st.ExitType = schema.NotificationTypeUnknown
	}
	return st
}

// The event registry: the backend's single event callback looks the native
// context up here. Keys come from the same counter as operation keys.
var sinks registry[*eventSink]

// dispatchEvent is the backend's event callback. It runs on an HCS thread
// and must not block: it copies nothing more than the backend already
// copied and hands the event to the sink, whose delivery never waits.
func dispatchEvent(key uintptr, e backend.Event) {
	sink, ok := sinks.load(key)
	if !ok {
		return // handle closed: late events are dropped
	}
	var data []byte
	if e.Data != "" {
		data = []byte(e.Data)
	}
	sink.deliver(Event{Type: EventType(e.Type), Data: data})
}

// subscriberBuffer is how many undelivered events one subscriber may hold
// before the oldest non-terminal ones are dropped.
const subscriberBuffer = 256

// eventSink fans out the events of one system or process handle to Wait
// and to subscribers. It is registered under key while the handle is open.
type eventSink struct {
	key       uintptr
	exitEvent EventType // SystemExited or ProcessExited

	mu       sync.Mutex
	subs     map[*subscription]struct{}
	exitData []byte // the exit event's document
	terminal Event  // the terminal event, once hasTerm
	hasTerm  bool
	ended    bool // handle closed: no more events

	exited       chan struct{} // closed when the system or process exits
	disconnected chan struct{} // closed when the service disconnects
	closed       chan struct{} // closed when the handle is closed
}

func newEventSink(exitEvent EventType) *eventSink {
	s := &eventSink{
		key:          nextKey.Add(1),
		exitEvent:    exitEvent,
		subs:         make(map[*subscription]struct{}),
		exited:       make(chan struct{}),
		disconnected: make(chan struct{}),
		closed:       make(chan struct{}),
	}
	sinks.store(s.key, s)
	holdAlive()
	return s
}

// deliver hands e to every subscriber without blocking. It reports whether
// e was taken: nothing is after a terminal event, or once the handle is
// closed.
func (s *eventSink) deliver(e Event) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended || s.hasTerm {
		return false
	}
	terminal := true
	switch e.Type {
	case s.exitEvent:
		s.exitData = e.Data
		close(s.exited)
	case EventServiceDisconnect:
		close(s.disconnected)
	default:
		terminal = false
	}
	if terminal {
		s.terminal, s.hasTerm = e, true
	}
	for sub := range s.subs {
		sub.push(e, terminal)
	}
	return true
}

// close unregisters the sink and ends every subscription once it has
// drained. It is called once, when the handle is closed.
func (s *eventSink) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	sinks.remove(s.key)
	releaseAlive()
	s.ended = true
	close(s.closed)
	for sub := range s.subs {
		sub.end()
	}
}

// exitDocument returns the exit event's document; valid once exited is
// closed.
func (s *eventSink) exitDocument() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exitData
}

func (s *eventSink) subscribe() *subscription {
	sub := &subscription{sink: s, notify: make(chan struct{}, 1)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hasTerm {
		sub.terminal, sub.hasTerm = s.terminal, true
		sub.ended = true
	} else if s.ended {
		sub.ended = true
	} else {
		s.subs[sub] = struct{}{}
	}
	return sub
}

func (s *eventSink) unsubscribe(sub *subscription) {
	s.mu.Lock()
	delete(s.subs, sub)
	s.mu.Unlock()
	sub.end()
}

// subscription is one consumer's bounded queue of events.
type subscription struct {
	sink   *eventSink
	notify chan struct{} // capacity 1: "something changed"

	mu       sync.Mutex
	ring     []Event // circular queue; grows up to subscriberBuffer
	head     int     // index of the oldest queued event
	count    int     // events queued
	missed   int
	terminal Event // delivered after the queue drains, once hasTerm
	hasTerm  bool
	ended    bool // no more events will be pushed
}

// push queues e, dropping the oldest non-terminal event when full. It never
// blocks, and costs the same however far behind the subscriber is.
func (sub *subscription) push(e Event, terminal bool) {
	sub.mu.Lock()
	switch {
	case terminal:
		sub.terminal, sub.hasTerm = e, true
		sub.ended = true
	case sub.count == subscriberBuffer:
		// Full: overwrite the oldest event.
		sub.ring[sub.head] = e
		sub.head = (sub.head + 1) % len(sub.ring)
		sub.missed++
	default:
		if sub.count == len(sub.ring) {
			sub.grow()
		}
		sub.ring[(sub.head+sub.count)%len(sub.ring)] = e
		sub.count++
	}
	sub.mu.Unlock()
	sub.wake()
}

// grow doubles the ring, up to subscriberBuffer, keeping the order.
func (sub *subscription) grow() {
	n := min(max(2*len(sub.ring), 8), subscriberBuffer)
	ring := make([]Event, n)
	for i := range sub.count {
		ring[i] = sub.ring[(sub.head+i)%len(sub.ring)]
	}
	sub.ring, sub.head = ring, 0
}

func (sub *subscription) end() {
	sub.mu.Lock()
	sub.ended = true
	sub.mu.Unlock()
	sub.wake()
}

func (sub *subscription) wake() {
	select {
	case sub.notify <- struct{}{}:
	default:
	}
}

// next returns the next event, waiting for one until ctx ends. It reports
// false when the stream has ended.
func (sub *subscription) next(ctx context.Context) (Event, bool) {
	for {
		sub.mu.Lock()
		switch {
		case sub.count > 0:
			e := sub.ring[sub.head]
			sub.ring[sub.head] = Event{}
			sub.head = (sub.head + 1) % len(sub.ring)
			sub.count--
			e.Missed, sub.missed = sub.missed, 0
			sub.mu.Unlock()
			return e, true
		case sub.hasTerm:
			e := sub.terminal
			sub.terminal, sub.hasTerm = Event{}, false
			e.Missed, sub.missed = sub.missed, 0
			sub.mu.Unlock()
			return e, true
		case sub.ended:
			sub.mu.Unlock()
			return Event{}, false
		}
		sub.mu.Unlock()
		select {
		case <-sub.notify:
		case <-ctx.Done():
			return Event{}, false
		}
	}
}

// events returns the iterator over a new subscription to s. The
// subscription starts now, not when the loop starts, so events sent between
// this call and the loop are not lost.
func (s *eventSink) events(ctx context.Context) iter.Seq[Event] {
	sub := s.subscribe()
	stop := context.AfterFunc(ctx, func() { s.unsubscribe(sub) })
	return func(yield func(Event) bool) {
		defer func() {
			stop()
			s.unsubscribe(sub)
		}()
		for {
			e, ok := sub.next(ctx)
			if !ok || !yield(e) {
				return
			}
		}
	}
}
