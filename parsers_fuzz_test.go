package hcs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/schema"
)

// Fuzz targets for the parsers of documents HCS sends: event payloads of
// each kind, statistics and enumeration results. (Result errors:
// FuzzParseResultError in errors_test.go; schema types: schema/fuzz_test.go.)
// The seeds in testdata/fuzz/<Target> run with every plain go test; make
// fuzz runs each target for FUZZTIME.

// exitStatusSeeds are SystemExited payloads, as sent and as HCS got wrong.
var exitStatusSeeds = []string{
	`{"Status":0,"ExitType":"GracefulExit"}`,
	`{"Status":-2143878907,"ExitType":"UnexpectedExit","Attribution":[{"WorkerExit":{"ExitCode":3,"UnexpectedExit":true}}]}`,
	`{"ExitType":"ForcedExit"}`,
	`{"Status":"0"}`,
	`{"Status":4294967295}`,
	`null`,
	`[]`,
	``,
}

func FuzzParseExitStatus(f *testing.F) {
	for _, s := range exitStatusSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st := ParseExitStatus(data)
		if st == nil {
			t.Fatal("nil status")
		}
		if !bytes.Equal(st.Raw, data) {
			t.Fatalf("Raw = %q, want %q", st.Raw, data)
		}
		if st.ExitType == "" {
			t.Fatal("empty ExitType: want Unknown when HCS does not say")
		}
		var doc schema.SystemExitStatus
		if json.Unmarshal(data, &doc) == nil && doc.Status != nil && st.Status != HRESULT(*doc.Status) {
			t.Fatalf("Status = %v, want %#x", st.Status, *doc.Status)
		}
		_ = st.Status.Error()
	})
}

// processStateSeeds are ProcessExited payloads.
var processStateSeeds = []string{
	`{"ProcessId":100,"Exited":true,"ExitCode":0,"LastWaitResult":0}`,
	`{"ProcessId":100,"Exited":true,"ExitCode":3221225786,"LastWaitResult":0}`,
	`{"ProcessId":100,"Exited":true,"ExitCode":1,"LastWaitResult":-2147024894}`,
	`{"Exited":false}`,
	`{"Exited":true}`,
	`{"ExitCode":-1}`,
	`null`,
	``,
}

func FuzzParseProcessState(f *testing.F) {
	for _, s := range processStateSeeds {
		f.Add(uint32(100), []byte(s))
	}
	f.Fuzz(func(t *testing.T, pid uint32, data []byte) {
		ps := parseProcessState(pid, data)
		if ps == nil {
			t.Fatal("nil state")
		}
		if ps.PID() != pid {
			t.Fatalf("PID = %d, want %d", ps.PID(), pid)
		}
		code := ps.ExitCode()
		if ps.Exited() != (code >= 0) {
			t.Fatalf("Exited = %v but ExitCode = %d", ps.Exited(), code)
		}
		if ps.Success() != (code == 0) {
			t.Fatalf("Success = %v but ExitCode = %d", ps.Success(), code)
		}
		if ps.String() == "" {
			t.Fatal("empty String")
		}
	})
}

// eventSeeds pair each event kind with a payload of its own and foreign
// ones.
var eventSeeds = []struct {
	typ  uint32
	data string
}{
	{backend.EventSystemExited, `{"Status":0,"ExitType":"GracefulExit"}`},
	{backend.EventSystemCrashInitiated, `{"SystemId":"vm1","CrashParameters":[30,1,2,3,4]}`},
	{backend.EventSystemCrashReport, `{"SystemId":"vm1","ActivityId":"00000000-0000-0000-0000-000000000000","WindowsCrashInfo":{"WindowsMemoryDumpType":"Full","DumpFile":"C:\\x.dmp"},"CrashParameters":[30,18446744073709551615]}`},
	{backend.EventProcessExited, `{"ProcessId":104,"Exited":true,"ExitCode":3221225786,"LastWaitResult":0}`},
	{backend.EventSystemRDPEnhancedModeStateChanged, `{"Enabled":true}`},
	{backend.EventSystemSiloJobCreated, ``},
	{backend.EventSystemGuestConnectionClosed, `null`},
	{backend.EventOperationCallback, ``},
	{backend.EventServiceDisconnect, ``},
	{0x80000002, `{"Unknown":[1,2,{"x":null}]}`},
	{backend.EventSystemCrashReport, `{"CrashParameters":[-1]}`},
	{backend.EventProcessExited, `{"ProcessId":"104"}`},
}

// FuzzEventPayload sends a payload of any kind through the event path as a
// backend does (dispatchEvent into a registered sink, to a subscriber) and
// decodes it into each document an event can carry.
func FuzzEventPayload(f *testing.F) {
	for _, s := range eventSeeds {
		f.Add(s.typ, []byte(s.data))
	}
	f.Fuzz(func(t *testing.T, typ uint32, data []byte) {
		sink := newEventSink(EventSystemExited)
		defer sink.close()
		sub := sink.subscribe()
		dispatchEvent(sink.key, backend.Event{Type: typ, Data: string(data)})
		e, ok := sub.next(context.Background())
		if !ok {
			t.Fatal("event not delivered")
		}
		if e.Type != EventType(typ) || !bytes.Equal(e.Data, data) || (len(data) == 0) != (e.Data == nil) {
			t.Fatalf("delivered %v %q, want %v %q", e.Type, e.Data, EventType(typ), data)
		}
		if e.Type.String() == "" {
			t.Fatal("empty type name")
		}
		for _, v := range []any{new(schema.SystemExitStatus), new(schema.CrashReport), new(schema.ProcessStatus)} {
			err := e.Decode(v)
			if len(data) == 0 && err == nil {
				t.Fatal("Decode of an empty document succeeded")
			}
			if err != nil && err.Error() == "" {
				t.Fatal("empty error message")
			}
		}
		switch e.Type {
		case EventSystemExited:
			if st := ParseExitStatus(e.Data); st == nil || st.ExitType == "" {
				t.Fatalf("ParseExitStatus = %+v", st)
			}
			if !isClosed(sink.exited) {
				t.Fatal("SystemExited did not close exited")
			}
		case EventProcessExited:
			_ = parseProcessState(1, e.Data).ExitCode()
		}
	})
}

// statisticsSeeds are Properties documents with statistics, bare ones, and
// documents without any.
var statisticsSeeds = []string{
	`{"Id":"web1","Statistics":{"Timestamp":"2024-01-02T03:04:05.0000006Z","ContainerStartTime":"2024-01-02T03:00:00Z","Uptime100ns":2450000000,"Processor":{"TotalRuntime100ns":1,"RuntimeUser100ns":2,"RuntimeKernel100ns":3},"Memory":{"MemoryUsageCommitBytes":4096,"MemoryUsageCommitPeakBytes":8192,"MemoryUsagePrivateWorkingSetBytes":1024},"Storage":{"ReadCountNormalized":1,"ReadSizeBytes":512,"WriteCountNormalized":2,"WriteSizeBytes":1024}}}`,
	`{"Timestamp":"2024-01-02T03:04:05Z","Uptime100ns":1}`,
	`{"Statistics":null,"Uptime100ns":7}`,
	`{"Statistics":{}}`,
	`{"Statistics":1}`,
	`{"Timestamp":"yesterday"}`,
	`{}`,
	`null`,
	`[]`,
	``,
}

func FuzzParseStatistics(f *testing.F) {
	for _, s := range statisticsSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		st, err := parseStatistics(doc)
		if err != nil {
			if st != nil {
				t.Fatal("statistics and an error")
			}
			if !errors.Is(err, ErrInvalidSchema) {
				t.Fatalf("error %v does not match ErrInvalidSchema", err)
			}
			return
		}
		if st == nil {
			t.Fatal("nil statistics and nil error")
		}
		if st.Timestamp.IsZero() && st.Uptime100ns == nil && st.Processor == nil && st.Memory == nil && st.Storage == nil {
			t.Fatalf("empty statistics from %q", doc)
		}
		if _, err := json.Marshal(st); err != nil {
			t.Fatalf("statistics do not encode: %v", err)
		}
	})
}

// systemListSeeds are enumeration results.
var systemListSeeds = []string{
	`[{"Id":"web1","SystemType":"Container","Name":"web1","Owner":"ci","RuntimeId":"00000000-0000-0000-0000-000000000001","RuntimeOsType":"Windows","State":"Running"},{"Id":"vm1","SystemType":"VirtualMachine","State":"Stopped"}]`,
	`[]`,
	`null`,
	``,
	`{}`,
	`[null]`,
	`[{"Id":1}]`,
	`[{"Id":"x","Extra":{"Nested":[1,2,3]}}]`,
}

func FuzzParseSystemList(f *testing.F) {
	for _, s := range systemListSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		infos, err := parseSystemList(doc, "list")
		if err != nil {
			if infos != nil {
				t.Fatal("systems and an error")
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalidSchema) || e.Op != "list" {
				t.Fatalf("error %#v: want an *Error matching ErrInvalidSchema", err)
			}
			return
		}
		if infos == nil {
			t.Fatal("nil list and nil error")
		}
		if _, err := json.Marshal(infos); err != nil {
			t.Fatalf("list does not encode: %v", err)
		}
	})
}
