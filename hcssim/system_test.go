package hcssim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
)

func TestOperationStates(t *testing.T) {
	h := newHarness(t, WithLatency(50*time.Millisecond))
	op, done := h.op()
	defer h.b.CloseOperation(op)

	_, err := h.b.GetOperationResult(op)
	wantHR(t, err, hcs.HCS_E_OPERATION_NOT_STARTED)
	_, err = h.b.WaitForOperationResult(op, 0)
	wantHR(t, err, hcs.HCS_E_OPERATION_NOT_STARTED)
	wantHR(t, h.b.CancelOperation(op), hcs.E_NOTIMPL)

	sys, err := h.b.CreateComputeSystem("s1", container("o"), op)
	if err != nil {
		t.Fatal(err)
	}
	defer h.b.CloseComputeSystem(sys)
	_, err = h.b.GetOperationResult(op)
	wantHR(t, err, hcs.HCS_E_OPERATION_PENDING)
	_, err = h.b.WaitForOperationResult(op, 1)
	wantHR(t, err, hcs.HCS_E_OPERATION_TIMEOUT)
	if n := h.s.PendingOperations(); n != 1 {
		t.Errorf("PendingOperations = %d, want 1", n)
	}
	wantHR(t, h.b.StartComputeSystem(sys, op, ""), hcs.HCS_E_OPERATION_ALREADY_STARTED)
	_, err = h.b.CreateComputeSystem("s2", container("o"), op)
	wantHR(t, err, hcs.HCS_E_OPERATION_ALREADY_STARTED)

	if doc, err := h.b.WaitForOperationResult(op, 0xFFFFFFFF); err != nil || doc != "" {
		t.Fatalf("WaitForOperationResult = %q, %v", doc, err)
	}
	<-done
	if doc, err := h.b.GetOperationResult(op); err != nil || doc != "" {
		t.Fatalf("GetOperationResult = %q, %v", doc, err)
	}
	wantHR(t, h.b.StartComputeSystem(sys, op, ""), hcs.HCS_E_OPERATION_ALREADY_STARTED)
	h.idle()
	if n := h.s.PendingOperations(); n != 0 {
		t.Errorf("PendingOperations = %d, want 0", n)
	}
}

// wantMisuse fails the test unless f panics with a misuse diagnostic
// containing each of parts.
func wantMisuse(t *testing.T, f func(), parts ...string) {
	t.Helper()
	defer func() {
		t.Helper()
		m, ok := recover().(*misuse)
		if !ok {
			t.Fatalf("no misuse diagnostic; want one saying %q", parts)
		}
		for _, p := range parts {
			if !strings.Contains(m.msg, p) {
				t.Errorf("diagnostic %q does not say %q", m.msg, p)
			}
		}
	}()
	f()
}

// TestMisuseIsFatal checks that a call computecore.dll would crash on
// panics with a diagnostic, as the real DLL crashes with an access
// violation, instead of answering E_HANDLE.
func TestMisuseIsFatal(t *testing.T) {
	h := newHarness(t)
	const bogus = backend.Handle(0xdead)
	never := func(fn string) []string {
		return []string{fn, "0xdead", "never handed out", "computecore.dll would crash"}
	}
	wantMisuse(t, func() { _, _ = h.b.GetOperationResult(bogus) }, never("HcsGetOperationResult")...)
	wantMisuse(t, func() { _, _, _ = h.b.GetOperationResultAndProcessInfo(bogus) }, never("HcsGetOperationResultAndProcessInfo")...)
	wantMisuse(t, func() { _, _ = h.b.WaitForOperationResult(bogus, 0) }, never("HcsWaitForOperationResult")...)
	wantMisuse(t, func() { _ = h.b.CancelOperation(bogus) }, never("HcsCancelOperation")...)
	wantMisuse(t, func() { h.b.CloseOperation(bogus) }, never("HcsCloseOperation")...)
	wantMisuse(t, func() { h.b.CloseComputeSystem(bogus) }, never("HcsCloseComputeSystem")...)
	wantMisuse(t, func() { h.b.CloseProcess(bogus) }, never("HcsCloseProcess")...)
	wantMisuse(t, func() { _ = h.b.SetComputeSystemCallback(bogus, 0, 1) }, never("HcsSetComputeSystemCallback")...)
	wantMisuse(t, func() { _ = h.b.SetProcessCallback(bogus, 0, 1) }, never("HcsSetProcessCallback")...)
	wantMisuse(t, func() { _, _ = h.b.OpenProcess(bogus, 100) }, never("HcsOpenProcess")...)

	op, _ := h.op()
	defer h.b.CloseOperation(op)
	wantMisuse(t, func() { _ = h.b.StartComputeSystem(bogus, op, "") }, never("HcsStartComputeSystem")...)
	wantMisuse(t, func() { _ = h.b.StartComputeSystem(op, op, "") }, "is an operation, not a compute system")
	wantMisuse(t, func() { _ = h.b.TerminateProcess(bogus, op, "") }, never("HcsTerminateProcess")...)
	wantMisuse(t, func() { _, _ = h.b.CreateProcess(bogus, `{}`, op) }, never("HcsCreateProcess")...)

	sys := h.system("s", stateRunning)
	wantMisuse(t, func() { _ = h.b.StartComputeSystem(sys, bogus, "") }, never("HcsStartComputeSystem")...)
	wantMisuse(t, func() { _ = h.b.StartComputeSystem(sys, sys, "") }, "is a compute system, not an operation")
	wantMisuse(t, func() { _ = h.b.TerminateProcess(sys, op, "") }, "is a compute system, not a process")

	// A closed handle is as bogus as any, unless its value was reused.
	sys2 := h.system("s2", stateCreated)
	h.closeSystem(sys2)
	h.s.mu.Lock()
	_, reused := h.s.handles[sys2]
	h.s.mu.Unlock()
	if !reused {
		wantMisuse(t, func() { _ = h.b.StartComputeSystem(sys2, op, "") }, "HcsStartComputeSystem", "closed by HcsCloseComputeSystem")
		wantMisuse(t, func() { h.b.CloseComputeSystem(sys2) }, "HcsCloseComputeSystem", "closed by HcsCloseComputeSystem")
	}

	// Closing a handle while an operation is pending on it.
	hold := h.s.HoldNext(CallPause)
	pause, done := h.op()
	if err := h.b.PauseComputeSystem(sys, pause, ""); err != nil {
		t.Fatal(err)
	}
	wantMisuse(t, func() { h.b.CloseComputeSystem(sys) }, "HcsCloseComputeSystem", "closed while its HcsPauseComputeSystem operation")
	wantMisuse(t, func() { h.b.CloseOperation(pause) }, "HcsCloseOperation", "closed while its HcsPauseComputeSystem call is pending")
	hold.Release()
	h.await(pause, done)
	h.mustCall(func(op backend.Handle) error { return h.b.ResumeComputeSystem(sys, op, "") })

	p, _, _ := h.process(sys, `{"CommandLine":"wait"}`)
	hold = h.s.HoldNext(CallSignalProcess)
	signal, done := h.op()
	if err := h.b.SignalProcess(p, signal, ""); err != nil {
		t.Fatal(err)
	}
	wantMisuse(t, func() { h.b.CloseProcess(p) }, "HcsCloseProcess", "closed while its HcsSignalProcess operation")
	hold.Release()
	h.await(signal, done)
	h.b.CloseProcess(p)
	wantMisuse(t, func() { h.b.CloseProcess(p) }, "HcsCloseProcess")
}

// TestHandleValuesAreReused checks that the value of a closed handle comes
// back for a later one, as pointers do in computecore.dll.
func TestHandleValuesAreReused(t *testing.T) {
	h := newHarness(t, WithSeed(1))
	seen := make(map[backend.Handle]bool)
	for range 20 {
		op, err := h.b.CreateOperation(1)
		if err != nil {
			t.Fatal(err)
		}
		h.b.CloseOperation(op)
		if seen[op] {
			return
		}
		seen[op] = true
	}
	t.Fatalf("20 handles, none reused: %v", seen)
}

func TestCompletionIsAsynchronous(t *testing.T) {
	h := newHarness(t)
	var mu sync.Mutex
	called := make(chan struct{})
	h.b.Init(backend.Callbacks{Completion: func(backend.Handle, uintptr) {
		mu.Lock() // deadlocks if called on the caller's goroutine
		close(called)
		mu.Unlock()
	}})
	op, err := h.b.CreateOperation(1)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	sys, err := h.b.CreateComputeSystem("s", container("o"), op)
	mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-called:
	case <-time.After(testTimeout):
		t.Fatal("no completion")
	}
	h.b.CloseOperation(op)
	h.b.CloseComputeSystem(sys)
}

func TestCreate(t *testing.T) {
	h := newHarness(t)
	op, _ := h.op()
	_, err := h.b.CreateComputeSystem("", container("o"), op)
	wantHR(t, err, hcs.E_INVALIDARG)
	_, err = h.b.CreateComputeSystem("x", "", op)
	wantHR(t, err, hcs.E_INVALIDARG)
	h.b.CloseOperation(op)

	for _, tc := range []struct{ name, config string }{
		{"malformed", `{"Container":`},
		{"wrong type", `{"Owner":5,"Container":{}}`},
		{"neither", `{"Owner":"o"}`},
		{"null", `{"Container":null}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sys, doc, err := h.create("bad", tc.config)
			wantHR(t, err, hcs.HCS_E_INVALID_JSON)
			wantResultError(t, doc, hcs.HCS_E_INVALID_JSON, string(CallCreateSystem), `"bad"`)
			if h.state("bad") != "" {
				t.Error("failed create is listed")
			}
			// The handle of a failed create must still be closed; calls
			// on it fail as on a system that does not exist.
			_, err = h.call(h.start(sys))
			wantHR(t, err, hcs.HCS_E_SYSTEM_NOT_FOUND)
			h.b.CloseComputeSystem(sys)
		})
	}

	vm := h.system("vm", stateCreated)
	_ = vm
	sys, doc, err := h.create("vm", `{"VirtualMachine":{}}`)
	wantHR(t, err, hcs.HCS_E_SYSTEM_ALREADY_EXISTS)
	wantResultError(t, doc, hcs.HCS_E_SYSTEM_ALREADY_EXISTS, `"vm"`)
	h.b.CloseComputeSystem(sys)

	sys, _, err = h.create("v", `{"Owner":"me","VirtualMachine":{}}`)
	if err != nil {
		t.Fatal(err)
	}
	defer h.b.CloseComputeSystem(sys)
	infos := h.s.Systems()
	if len(infos) != 2 || infos[0].ID != "v" || infos[0].Type != "VirtualMachine" || infos[0].Owner != "me" ||
		infos[0].State != stateCreated || infos[0].Handles != 1 || len(infos[0].RuntimeID) != 36 ||
		infos[1].ID != "vm" || infos[1].Type != "Container" {
		t.Errorf("Systems() = %+v", infos)
	}
}

func TestOpen(t *testing.T) {
	h := newHarness(t)
	_, err := h.b.OpenComputeSystem("nope")
	wantHR(t, err, hcs.HCS_E_SYSTEM_NOT_FOUND)
	_, err = h.b.OpenComputeSystem("")
	wantHR(t, err, hcs.E_INVALIDARG)

	sys := h.system("s", stateRunning)
	other, err := h.b.OpenComputeSystem("s")
	if err != nil {
		t.Fatal(err)
	}
	if other == sys {
		t.Error("open returned the creating handle")
	}
	c1, c2 := h.listen(sys), h.listen(other)
	wantHR(t, h.b.SetComputeSystemCallback(other, 0, 99), hcs.HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET)
	wantHR(t, h.b.SetComputeSystemCallback(sys, 2, 99), hcs.E_INVALIDARG)

	h.mustCall(func(op backend.Handle) error { return h.b.ShutDownComputeSystem(other, op, "") })
	for _, ctx := range []uintptr{c1, c2} {
		ev := h.waitEvents(ctx, 1)
		if ev[0].Type != backend.EventSystemExited || ev[0].Data != `{"Status":0,"ExitType":"GracefulExit"}` {
			t.Errorf("event = %+v", ev[0])
		}
	}

	// A stopped system stays listed, and openable, until its last handle closes.
	h.b.CloseComputeSystem(other)
	if got := h.state("s"); got != stateStopped {
		t.Fatalf("state = %q, want Stopped", got)
	}
	again, err := h.b.OpenComputeSystem("s")
	if err != nil {
		t.Fatal(err)
	}
	h.b.CloseComputeSystem(again)
	h.closeSystem(sys)
	if got := h.state("s"); got != "" {
		t.Errorf("stopped system without handles still listed as %q", got)
	}
	_, err = h.b.OpenComputeSystem("s")
	wantHR(t, err, hcs.HCS_E_SYSTEM_NOT_FOUND)
}

func TestStateMachine(t *testing.T) {
	const (
		invalid = hcs.HCS_E_INVALID_STATE
		stopped = hcs.HCS_E_SYSTEM_ALREADY_STOPPED
	)
	type call struct {
		name string
		do   func(b backend.Backend, sys, op backend.Handle) error
	}
	start := call{"start", func(b backend.Backend, sys, op backend.Handle) error { return b.StartComputeSystem(sys, op, "") }}
	pause := call{"pause", func(b backend.Backend, sys, op backend.Handle) error { return b.PauseComputeSystem(sys, op, "") }}
	resume := call{"resume", func(b backend.Backend, sys, op backend.Handle) error { return b.ResumeComputeSystem(sys, op, "") }}
	save := call{"save", func(b backend.Backend, sys, op backend.Handle) error { return b.SaveComputeSystem(sys, op, "") }}
	template := call{"save as template", func(b backend.Backend, sys, op backend.Handle) error {
		return b.SaveComputeSystem(sys, op, `{"SaveType":"AsTemplate"}`)
	}}
	shutdown := call{"shutdown", func(b backend.Backend, sys, op backend.Handle) error { return b.ShutDownComputeSystem(sys, op, "") }}
	terminate := call{"terminate", func(b backend.Backend, sys, op backend.Handle) error { return b.TerminateComputeSystem(sys, op, "") }}
	crash := call{"crash", func(b backend.Backend, sys, op backend.Handle) error {
		return b.CrashComputeSystem(sys, op, `{"Type":"CrashGuest"}`)
	}}
	modify := call{"modify", func(b backend.Backend, sys, op backend.Handle) error {
		return b.ModifyComputeSystem(sys, op, `{"ResourcePath":"VirtualMachine/ComputeTopology/Memory/SizeInMB","RequestType":"Update","Settings":2048}`)
	}}

	type want struct {
		hr       hcs.HRESULT
		state    string
		exitType string
	}
	ok := func(state string) want { return want{state: state} }
	exit := func(exitType string) want { return want{state: stateStopped, exitType: exitType} }
	fails := func(hr hcs.HRESULT) want { return want{hr: hr} }
	table := map[string]map[string]want{ // from state, by call
		stateCreated: {
			"start": ok(stateRunning), "pause": fails(invalid), "resume": fails(invalid), "save": fails(invalid),
			"save as template": fails(invalid), "shutdown": fails(invalid), "terminate": exit(exitForced),
			"crash": fails(invalid), "modify": ok(stateCreated),
		},
		stateRunning: {
			"start": fails(invalid), "pause": ok(statePaused), "resume": fails(invalid), "save": fails(invalid),
			"save as template": fails(invalid), "shutdown": exit(exitGraceful), "terminate": exit(exitForced),
			"crash": exit(exitUnexpected), "modify": ok(stateRunning),
		},
		statePaused: {
			"start": fails(invalid), "pause": fails(invalid), "resume": ok(stateRunning), "save": ok(statePaused),
			"save as template": ok(stateSavedAsTemplate), "shutdown": exit(exitGraceful), "terminate": exit(exitForced),
			"crash": exit(exitUnexpected), "modify": ok(statePaused),
		},
		stateSavedAsTemplate: {
			"start": fails(invalid), "pause": fails(invalid), "resume": fails(invalid), "save": fails(invalid),
			"save as template": fails(invalid), "shutdown": fails(invalid), "terminate": exit(exitForced),
			"crash": fails(invalid), "modify": ok(stateSavedAsTemplate),
		},
		stateStopped: {
			"start": fails(invalid), "pause": fails(invalid), "resume": fails(invalid), "save": fails(invalid),
			"save as template": fails(invalid), "shutdown": fails(stopped), "terminate": fails(stopped),
			"crash": fails(stopped), "modify": fails(invalid),
		},
	}
	calls := []call{start, pause, resume, save, template, shutdown, terminate, crash, modify}
	h := newHarness(t)
	n := 0
	for from, row := range table {
		for _, c := range calls {
			w, found := row[c.name]
			if !found {
				t.Fatalf("no expectation for %s from %s", c.name, from)
			}
			t.Run(from+"/"+c.name, func(t *testing.T) {
				n++
				id := "sys" + strconv.Itoa(n)
				sys := h.system(id, from)
				ctx := h.listen(sys)
				doc, err := h.call(func(op backend.Handle) error { return c.do(h.b, sys, op) })
				if w.hr != 0 {
					wantHR(t, err, w.hr)
					wantResultError(t, doc, w.hr, string(Call("Hcs")), `"`+id+`"`)
					if got := h.state(id); got != from {
						t.Errorf("state after failure = %s, want %s", got, from)
					}
					return
				}
				if err != nil {
					t.Fatalf("%v: %s", err, doc)
				}
				if got := h.state(id); got != w.state {
					t.Errorf("state = %s, want %s", got, w.state)
				}
				if w.exitType == "" {
					return
				}
				events := h.waitEvents(ctx, 1)
				if c.name == "crash" {
					events = h.waitEvents(ctx, 3)
					if events[0].Type != backend.EventSystemCrashInitiated || events[1].Type != backend.EventSystemCrashReport {
						t.Errorf("crash events = %+v", events)
					}
					var report struct {
						SystemID string `json:"SystemId"`
					}
					if err := json.Unmarshal([]byte(events[0].Data), &report); err != nil || report.SystemID != id {
						t.Errorf("crash report %s", events[0].Data)
					}
					events = events[2:]
				}
				var status struct {
					Status   int32
					ExitType string
				}
				if events[0].Type != backend.EventSystemExited || json.Unmarshal([]byte(events[0].Data), &status) != nil ||
					status.ExitType != w.exitType {
					t.Errorf("exit event = %+v, want ExitType %s", events[0], w.exitType)
				}
			})
		}
	}
}

func TestBadDocuments(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", statePaused)
	for _, tc := range []struct {
		name string
		do   func(op backend.Handle) error
		want hcs.HRESULT
	}{
		{"modify", func(op backend.Handle) error { return h.b.ModifyComputeSystem(sys, op, `{`) }, hcs.HCS_E_INVALID_JSON},
		{"save", func(op backend.Handle) error { return h.b.SaveComputeSystem(sys, op, `[`) }, hcs.HCS_E_INVALID_JSON},
		{"save type", func(op backend.Handle) error { return h.b.SaveComputeSystem(sys, op, `{"SaveType":"Sideways"}`) }, hcs.E_INVALIDARG},
		{"crash", func(op backend.Handle) error { return h.b.CrashComputeSystem(sys, op, `nope`) }, hcs.HCS_E_INVALID_JSON},
		{"properties", func(op backend.Handle) error { return h.b.GetComputeSystemProperties(sys, op, `{"PropertyTypes":`) }, hcs.HCS_E_INVALID_JSON},
		{"property type", func(op backend.Handle) error {
			return h.b.GetComputeSystemProperties(sys, op, `{"PropertyTypes":["Bogus"]}`)
		}, hcs.E_INVALIDARG},
		{"enumerate", func(op backend.Handle) error { return h.b.EnumerateComputeSystems(`{"Ids":"x"}`, op) }, hcs.HCS_E_INVALID_JSON},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := h.call(tc.do)
			wantHR(t, err, tc.want)
			wantResultError(t, doc, tc.want)
		})
	}
	op, _ := h.op()
	defer h.b.CloseOperation(op)
	wantHR(t, h.b.ModifyComputeSystem(sys, op, ""), hcs.E_INVALIDARG)
	if got := h.state("s"); got != statePaused {
		t.Errorf("state = %s after failed calls", got)
	}
}

func TestSaveToFile(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", statePaused)
	const path = `C:\state\s.vmrs`
	_, err := h.b.GetProcessorCompatibilityFromSavedState(path)
	wantHR(t, err, hcs.ERROR_FILE_NOT_FOUND)
	h.mustCall(func(op backend.Handle) error {
		return h.b.SaveComputeSystem(sys, op, `{"SaveType":"ToFile","SaveStateFilePath":"C:\\state\\s.vmrs"}`)
	})
	if doc, err := h.b.GetProcessorCompatibilityFromSavedState(path); err != nil || doc != "{}" {
		t.Errorf("GetProcessorCompatibilityFromSavedState = %q, %v", doc, err)
	}
}

func TestTerminateOnLastHandleClosed(t *testing.T) {
	h := newHarness(t)
	const config = `{"Container":{},"ShouldTerminateOnLastHandleClosed":true}`
	sys, _, err := h.create("t", config)
	if err != nil {
		t.Fatal(err)
	}
	h.mustCall(h.start(sys))
	other, err := h.b.OpenComputeSystem("t")
	if err != nil {
		t.Fatal(err)
	}
	ctx := h.listen(other)
	h.b.CloseComputeSystem(sys)
	if got := h.state("t"); got != stateRunning {
		t.Fatalf("state = %q with a handle left, want Running", got)
	}
	h.b.CloseComputeSystem(other)
	if got := h.state("t"); got != "" {
		t.Errorf("state = %q after last close, want gone", got)
	}
	if got := h.eventsOf(ctx); len(got) != 0 {
		t.Errorf("closed handle got events %v", got)
	}

	// Without the flag the system outlives its handles.
	sys, _, err = h.create("keep", container("o"))
	if err != nil {
		t.Fatal(err)
	}
	h.mustCall(h.start(sys))
	h.b.CloseComputeSystem(sys)
	if got := h.state("keep"); got != stateRunning {
		t.Errorf("state = %q, want Running", got)
	}
}

func TestEnumerate(t *testing.T) {
	h := newHarness(t)
	list := func(query string) []systemEntry {
		t.Helper()
		doc := h.mustCall(func(op backend.Handle) error { return h.b.EnumerateComputeSystems(query, op) })
		var got []systemEntry
		if err := json.Unmarshal([]byte(doc), &got); err != nil {
			t.Fatalf("%v: %s", err, doc)
		}
		return got
	}
	if got := list(""); len(got) != 0 {
		t.Fatalf("empty simulator lists %v", got)
	}
	if doc := h.mustCall(func(op backend.Handle) error { return h.b.EnumerateComputeSystems("", op) }); doc != "[]" {
		t.Errorf("empty enumeration = %s, want []", doc)
	}
	h.system("a", stateRunning)
	h.system("b", stateCreated)
	vm, _, err := h.create("c", `{"Owner":"vmm","VirtualMachine":{}}`)
	if err != nil {
		t.Fatal(err)
	}
	defer h.b.CloseComputeSystem(vm)

	ids := func(entries []systemEntry) string {
		s := ""
		for _, e := range entries {
			s += e.ID
		}
		return s
	}
	for query, want := range map[string]string{
		``:                                   "abc",
		`{}`:                                 "abc",
		`{"Ids":[],"Owners":[]}`:             "abc",
		`{"Ids":["a","c","zz"]}`:             "ac",
		`{"Names":["b"]}`:                    "b",
		`{"Types":["VirtualMachine"]}`:       "c",
		`{"Types":["Container"]}`:            "ab",
		`{"Owners":["test"]}`:                "ab",
		`{"Owners":["nobody"]}`:              "",
		`{"Owners":["vmm"],"Ids":["a"]}`:     "",
		`{"Owners":["test","vmm"],"Ids":[]}`: "abc",
	} {
		if got := ids(list(query)); got != want {
			t.Errorf("enumerate %s = %q, want %q", query, got, want)
		}
	}
	got := list(`{"Ids":["a"]}`)[0]
	if got.Name != "a" || got.SystemType != "Container" || got.Owner != "test" || got.State != stateRunning ||
		len(got.RuntimeID) != 36 || got.RuntimeOsType != "Windows" {
		t.Errorf("entry = %+v", got)
	}
}

func TestProperties(t *testing.T) {
	var (
		mu  sync.Mutex
		now = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	h := newHarness(t, WithClock(clock))
	sys := h.system("p", stateCreated)
	props := func(query string) (properties, error) {
		t.Helper()
		var p properties
		doc, err := h.call(func(op backend.Handle) error { return h.b.GetComputeSystemProperties(sys, op, query) })
		if err == nil {
			if err := json.Unmarshal([]byte(doc), &p); err != nil {
				t.Fatalf("%v: %s", err, doc)
			}
		}
		return p, err
	}
	p, err := props("")
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "p" || p.Name != "p" || p.SystemType != "Container" || p.Owner != "test" || p.State != stateCreated ||
		p.Stopped || p.ExitType != "" || p.RuntimeOsType != "Windows" || len(p.RuntimeID) != 36 || p.Statistics != nil {
		t.Errorf("properties = %+v", p)
	}
	_, err = props(`{"PropertyTypes":["Statistics"]}`)
	wantHR(t, err, hcs.HCS_E_INVALID_STATE)

	h.mustCall(h.start(sys))
	advance(10 * time.Second)
	p, err = props(`{"PropertyTypes":["Statistics","ProcessList","TerminateOnLastHandleClosed","Memory"]}`)
	if err != nil {
		t.Fatal(err)
	}
	st := p.Statistics
	if st == nil || st.Uptime100ns != 100_000_000 || st.Processor.TotalRuntime100ns != 25_000_000 ||
		st.Processor.RuntimeUser100ns+st.Processor.RuntimeKernel100ns != 25_000_000 ||
		st.Processor.RuntimeUser100ns != 16_666_666 || st.Memory.MemoryUsageCommitBytes != 268435456 ||
		st.Memory.MemoryUsageCommitPeakBytes != 314572800 || st.Memory.MemoryUsagePrivateWorkingSetBytes != 201326592 ||
		st.Storage.ReadCountNormalized != 1000 || st.Storage.ReadSizeBytes != 1000*4096 ||
		st.Storage.WriteCountNormalized != 500 || !st.Timestamp.Equal(clock()) {
		t.Errorf("statistics = %+v", st)
	}
	if len(st.Network) != 1 {
		t.Fatalf("network = %+v, want one endpoint", st.Network)
	}
	if n := st.Network[0]; n.PacketsReceived != 2000 || n.BytesReceived != 2000*1024 || n.PacketsSent != 1000 ||
		n.BytesSent != 1000*512 || n.DroppedPacketsIncoming != 1 || n.DroppedPacketsOutgoing != 0 ||
		n.EndpointID != endpointID("p") || len(n.InstanceID) != 36 {
		t.Errorf("network = %+v", n)
	}
	if p.ProcessList == nil || len(*p.ProcessList) != 0 || p.TerminateOnLastHandleClosed == nil || *p.TerminateOnLastHandleClosed {
		t.Errorf("properties = %+v", p)
	}

	// Paused time counts as uptime, not as processor or storage time.
	h.mustCall(h.pause(sys))
	advance(10 * time.Second)
	p, err = props(`{"PropertyTypes":["Statistics"]}`)
	if err != nil {
		t.Fatal(err)
	}
	if st := p.Statistics; st.Uptime100ns != 200_000_000 || st.Processor.TotalRuntime100ns != 25_000_000 ||
		st.Storage.ReadCountNormalized != 1000 || st.Network[0].PacketsReceived != 2000 {
		t.Errorf("paused statistics = %+v", st)
	}
	h.mustCall(func(op backend.Handle) error { return h.b.ResumeComputeSystem(sys, op, "") })
	advance(4 * time.Second)
	p, _ = props(`{"PropertyTypes":["Statistics"]}`)
	if st := p.Statistics; st.Processor.TotalRuntime100ns != 35_000_000 || st.Storage.WriteCountNormalized != 700 {
		t.Errorf("resumed statistics = %+v", st)
	}

	h.mustCall(func(op backend.Handle) error { return h.b.ShutDownComputeSystem(sys, op, "") })
	p, err = props("")
	if err != nil || !p.Stopped || p.State != stateStopped || p.ExitType != exitGraceful {
		t.Errorf("stopped properties = %+v, %v", p, err)
	}
	_, err = props(`{"PropertyTypes":["Statistics"]}`)
	wantHR(t, err, hcs.HCS_E_INVALID_STATE)
}

func TestStatisticsAdvanceInRealTime(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	read := func() *statistics {
		doc := h.mustCall(func(op backend.Handle) error {
			return h.b.GetComputeSystemProperties(sys, op, `{"PropertyTypes":["Statistics"]}`)
		})
		var p properties
		if err := json.Unmarshal([]byte(doc), &p); err != nil {
			t.Fatal(err)
		}
		return p.Statistics
	}
	a := read()
	time.Sleep(20 * time.Millisecond)
	b := read()
	if b.Uptime100ns <= a.Uptime100ns || b.Processor.TotalRuntime100ns <= a.Processor.TotalRuntime100ns ||
		b.Storage.ReadCountNormalized <= a.Storage.ReadCountNormalized || !b.Timestamp.After(a.Timestamp) ||
		b.Network[0].BytesReceived <= a.Network[0].BytesReceived {
		t.Errorf("statistics did not advance: %+v then %+v", a, b)
	}
}

// TestCompletionAndEventsInEitherOrder checks that the completion of an
// operation may run before or after the events the operation caused (HCS
// documents no order), that each seed makes the same choice, and that the
// events of one handle keep their order either way.
func TestCompletionAndEventsInEitherOrder(t *testing.T) {
	orders := make(map[string]bool)
	for seed := range uint64(24) {
		first := completionOrder(t, seed)
		if again := completionOrder(t, seed); again != first {
			t.Fatalf("seed %d: completion %s, then %s", seed, first, again)
		}
		orders[first] = true
	}
	if !orders["before the events"] || !orders["after the events"] {
		t.Fatalf("24 seeds gave the completion only %v", orders)
	}
}

func isDone(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// completionOrder crashes a system with two event callbacks, the first of
// which blocks in its first event, and reports whether the crash's
// completion ran before the events or waited for them.
func completionOrder(t *testing.T, seed uint64) string {
	t.Helper()
	h := newHarness(t, WithSeed(seed))
	sys := h.system("s", stateRunning)
	other, err := h.b.OpenComputeSystem("s")
	if err != nil {
		t.Fatal(err)
	}
	defer h.b.CloseComputeSystem(other)
	var (
		mu        sync.Mutex
		log       []string
		completed = make(chan struct{})
		unblock   = make(chan struct{})
	)
	h.b.Init(backend.Callbacks{
		Completion: func(backend.Handle, uintptr) { close(completed) },
		Event: func(ctx uintptr, e backend.Event) {
			mu.Lock()
			log = append(log, fmt.Sprintf("event %d %#x", ctx, e.Type))
			mu.Unlock()
			if ctx == 1 {
				<-unblock
			}
		},
	})
	if err := h.b.SetComputeSystemCallback(sys, 0, 1); err != nil {
		t.Fatal(err)
	}
	if err := h.b.SetComputeSystemCallback(other, 0, 2); err != nil {
		t.Fatal(err)
	}
	op, err := h.b.CreateOperation(3)
	if err != nil {
		t.Fatal(err)
	}
	defer h.b.CloseOperation(op)
	if err := h.b.CrashComputeSystem(sys, op, ""); err != nil {
		t.Fatal(err)
	}
	// Either the completion runs while the first callback is blocked, or
	// it waits in that callback's queue: then nothing else is left to run.
	order := ""
	for deadline := time.Now().Add(testTimeout); order == ""; {
		select {
		case <-completed:
			order = "before the events"
			continue
		default:
		}
		h.s.mu.Lock()
		waiting := len(h.s.ready) == 0 && h.s.running == 1 && h.s.inFlight == 1 && len(h.s.pending) == 0
		h.s.mu.Unlock()
		switch {
		case waiting && !isDone(completed): // a completion that ran first could have just ended
			order = "after the events"
		case time.Now().After(deadline):
			t.Fatal("neither the completion nor the events came")
		default:
			time.Sleep(time.Millisecond)
		}
	}
	close(unblock)
	<-completed
	h.idle()
	mu.Lock()
	defer mu.Unlock()
	var one []string
	for _, l := range log {
		if strings.HasPrefix(l, "event 1 ") {
			one = append(one, l)
		}
	}
	if want := []string{"event 1 0x2", "event 1 0x3", "event 1 0x1"}; fmt.Sprint(one) != fmt.Sprint(want) || len(log) != 6 {
		t.Errorf("seed %d: events %q, want 6, and for one handle %q", seed, log, want)
	}
	return order
}

func TestOperationCallbacksOption(t *testing.T) {
	h := newHarness(t)
	sys := h.system("s", stateRunning)
	if err := h.b.SetComputeSystemCallback(sys, backend.EventOptionEnableOperationCallbacks, 1); err != nil {
		t.Fatal(err)
	}
	// Every operation of the seam has a completion callback, which HCS
	// refuses on a handle whose callback takes operation events.
	op, _ := h.op()
	defer h.b.CloseOperation(op)
	wantHR(t, h.b.PauseComputeSystem(sys, op, ""), hcs.HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET)
	_, err := h.b.CreateProcess(sys, `{"CommandLine":"exit"}`, op)
	wantHR(t, err, hcs.HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET)

	other, err := h.b.OpenComputeSystem("s")
	if err != nil {
		t.Fatal(err)
	}
	defer h.b.CloseComputeSystem(other)
	p, _, _ := h.process(other, `{"CommandLine":"wait"}`)
	defer h.b.CloseProcess(p)
	q, err := h.b.OpenProcess(other, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer h.b.CloseProcess(q)
	if err := h.b.SetProcessCallback(q, backend.EventOptionEnableOperationCallbacks, 2); err != nil {
		t.Fatal(err)
	}
	wantHR(t, h.b.TerminateProcess(q, op, ""), hcs.HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET)
	h.mustCall(func(op backend.Handle) error { return h.b.TerminateProcess(p, op, "") })
}

// TestNameGUID checks that the simulator's name-based GUIDs are stable,
// distinct and version 5.
func TestNameGUID(t *testing.T) {
	a, b := nameGUID("endpoint web"), nameGUID("endpoint db")
	if a != nameGUID("endpoint web") || a == b {
		t.Errorf("nameGUID gives %s and %s", a, b)
	}
	for _, g := range []string{a, b, newGUID()} {
		if len(g) != 36 || g[8] != '-' || g[13] != '-' || g[18] != '-' || g[23] != '-' || !strings.ContainsRune("89ab", rune(g[19])) {
			t.Errorf("%s is not a GUID of the RFC 9562 variant", g)
		}
	}
	if a[14] != '5' || newGUID()[14] != '4' {
		t.Errorf("versions: %s, %s", a, newGUID())
	}
}
