package hcs

import (
	"context"
	"testing"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/schema"
)

// TestEventTypeValues keeps the exported constants, written as numbers so
// that go doc shows them, equal to the backend's, which the FFI and the
// simulator use.
func TestEventTypeValues(t *testing.T) {
	for _, tt := range []struct {
		got  EventType
		want uint32
	}{
		{EventSystemExited, backend.EventSystemExited},
		{EventSystemCrashInitiated, backend.EventSystemCrashInitiated},
		{EventSystemCrashReport, backend.EventSystemCrashReport},
		{EventSystemRDPEnhancedModeStateChanged, backend.EventSystemRDPEnhancedModeStateChanged},
		{EventSystemSiloJobCreated, backend.EventSystemSiloJobCreated},
		{EventSystemGuestConnectionClosed, backend.EventSystemGuestConnectionClosed},
		{EventProcessExited, backend.EventProcessExited},
		{EventOperationCallback, backend.EventOperationCallback},
		{EventServiceDisconnect, backend.EventServiceDisconnect},
	} {
		if uint32(tt.got) != tt.want {
			t.Errorf("%v = %#x, backend has %#x", tt.got, uint32(tt.got), tt.want)
		}
	}
}

func TestEventTypeString(t *testing.T) {
	for typ, want := range map[EventType]string{
		EventSystemExited:      "SystemExited",
		EventProcessExited:     "ProcessExited",
		EventServiceDisconnect: "ServiceDisconnect",
		EventGroupVMLifecycle:  "GroupVmLifecycle",
		EventType(0x40000003):  "EventType(0x40000003)",
	} {
		if got := typ.String(); got != want {
			t.Errorf("%#x.String() = %q, want %q", uint32(typ), got, want)
		}
	}
	if !EventSystemExited.Terminal() || !EventServiceDisconnect.Terminal() || EventSystemCrashReport.Terminal() {
		t.Error("Terminal is wrong")
	}
}

func collect(t *testing.T, ctx context.Context, s *eventSink, stopAfter int) []Event {
	t.Helper()
	var got []Event
	for e := range s.events(ctx) {
		got = append(got, e)
		if len(got) == stopAfter {
			break
		}
	}
	return got
}

func TestSlowSubscriberMissesOnlyNonTerminalEvents(t *testing.T) {
	s := newEventSink(EventSystemExited)
	defer s.close()
	seq := s.events(context.Background())
	const sent = 1000
	for range sent {
		dispatchEvent(s.key, backend.Event{Type: backend.EventSystemCrashInitiated})
	}
	dispatchEvent(s.key, backend.Event{Type: backend.EventSystemExited, Data: `{"Status":0,"ExitType":"ForcedExit"}`})
	var got []Event
	missed := 0
	for e := range seq {
		got = append(got, e)
		missed += e.Missed
	}
	if len(got) != subscriberBuffer+1 {
		t.Fatalf("got %d events, want %d buffered + the terminal one", len(got), subscriberBuffer)
	}
	if missed != sent-subscriberBuffer {
		t.Fatalf("Missed adds up to %d, want %d", missed, sent-subscriberBuffer)
	}
	if got[0].Missed != sent-subscriberBuffer {
		t.Fatalf("first event's Missed = %d, want the drop reported at once", got[0].Missed)
	}
	last := got[len(got)-1]
	if last.Type != EventSystemExited {
		t.Fatalf("last event %v, want SystemExited", last.Type)
	}
	if st := ParseExitStatus(s.exitDocument()); st.ExitType != schema.NotificationTypeForcedExit {
		t.Fatalf("exit status %+v", st)
	}
}

func TestEventsAfterTerminalAreIgnored(t *testing.T) {
	s := newEventSink(EventSystemExited)
	defer s.close()
	dispatchEvent(s.key, backend.Event{Type: backend.EventServiceDisconnect})
	dispatchEvent(s.key, backend.Event{Type: backend.EventSystemCrashReport})
	got := collect(t, context.Background(), s, -1)
	if len(got) != 1 || got[0].Type != EventServiceDisconnect {
		t.Fatalf("late subscriber got %v, want only ServiceDisconnect", got)
	}
	if !isClosed(s.disconnected) || isClosed(s.exited) {
		t.Fatal("disconnect not recorded as such")
	}
}

func TestEventsEndOnCloseAndOnContext(t *testing.T) {
	s := newEventSink(EventSystemExited)
	seq := s.events(context.Background())
	dispatchEvent(s.key, backend.Event{Type: backend.EventSystemCrashReport, Data: `{}`})
	s.close()
	dispatchEvent(s.key, backend.Event{Type: backend.EventSystemCrashReport}) // after close: dropped
	var got []Event
	for e := range seq {
		got = append(got, e)
	}
	if len(got) != 1 || string(got[0].Data) != `{}` {
		t.Fatalf("got %v, want the one event sent before Close", got)
	}

	s2 := newEventSink(EventSystemExited)
	defer s2.close()
	ctx, cancel := context.WithCancel(context.Background())
	seq2 := s2.events(ctx)
	cancel()
	for e := range seq2 {
		t.Fatalf("event %v after the context ended", e)
	}
	s2.mu.Lock()
	n := len(s2.subs)
	s2.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d subscriptions left after the context ended", n)
	}
}

func TestBreakingOutUnsubscribes(t *testing.T) {
	s := newEventSink(EventSystemExited)
	defer s.close()
	seq := s.events(context.Background())
	dispatchEvent(s.key, backend.Event{Type: backend.EventSystemCrashReport})
	dispatchEvent(s.key, backend.Event{Type: backend.EventSystemCrashReport})
	for range seq {
		break
	}
	s.mu.Lock()
	n := len(s.subs)
	s.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d subscriptions left after break", n)
	}
}

func TestEventDecode(t *testing.T) {
	var st schema.SystemExitStatus
	e := Event{Type: EventSystemExited, Data: []byte(`{"Status":-2143878907,"ExitType":"UnexpectedExit"}`)}
	if err := e.Decode(&st); err != nil || st.ExitType != schema.NotificationTypeUnexpectedExit {
		t.Fatalf("Decode: %+v, %v", st, err)
	}
	if err := (Event{Type: EventServiceDisconnect}).Decode(&st); err == nil {
		t.Fatal("Decode of an event without a document succeeded")
	}
	if err := (Event{Type: EventSystemExited, Data: []byte(`{`)}).Decode(&st); err == nil {
		t.Fatal("Decode of a truncated document succeeded")
	}
}

func TestParseExitStatus(t *testing.T) {
	for _, tc := range []struct {
		doc      string
		status   HRESULT
		exitType schema.NotificationType
	}{
		{`{"Status":0,"ExitType":"GracefulExit"}`, 0, schema.NotificationTypeGracefulExit},
		{`{"Status":-2143878906,"ExitType":"UnexpectedExit"}`, HCS_E_UNEXPECTED_EXIT, schema.NotificationTypeUnexpectedExit},
		{`{"ExitType":"SomethingNew"}`, 0, "SomethingNew"},
		{`garbage`, 0, schema.NotificationTypeUnknown},
		{``, 0, schema.NotificationTypeUnknown},
	} {
		st := ParseExitStatus([]byte(tc.doc))
		if st.Status != tc.status || st.ExitType != tc.exitType {
			t.Errorf("ParseExitStatus(%q) = %v %q, want %v %q", tc.doc, st.Status, st.ExitType, tc.status, tc.exitType)
		}
	}
}
