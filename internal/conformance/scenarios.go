package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/gohcs/hcs/internal/winetest"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/schema"
)

var scenarios = []scenario{
	{name: "ListBySyntheticOwnerIsEmpty", run: listBySyntheticOwner},
	{name: "OpenNonexistent", run: openNonexistent},
	{name: "MinimalVMCreateTerminate", run: minimalVM},
	{name: "ServiceProperties", run: serviceProperties},
	{name: "Lifecycle", fake: true, run: lifecycle},
	{name: "InvalidTransitions", fake: true, run: invalidTransitions},
	{name: "AlreadyExists", fake: true, run: alreadyExists},
	{name: "InvalidDocument", fake: true, run: invalidDocument},
	{name: "ListFilters", fake: true, run: listFilters},
	{name: "OpenSharesSystem", fake: true, run: openSharesSystem},
	{name: "OpenStoppedSystemWaits", fake: true, run: openStopped},
	{name: "CrashEvents", fake: true, run: crashEvents},
	{name: "SaveAsTemplate", fake: true, run: saveAsTemplate},
	{name: "EventsFanOut", fake: true, run: eventsFanOut},
	{name: "WaitManyGoroutines", fake: true, run: waitMany},
	{name: "UseAfterClose", fake: true, run: useAfterClose},
	{name: "ConcurrentCloseAndCalls", fake: true, run: concurrentClose},
	{name: "HostFileUtilities", fake: true, run: fileUtilities},
	{name: "FailNextCarriesResultError", fake: true, faults: true, run: failNext},
	{name: "CancelEachOperation", fake: true, faults: true, run: cancelEach},
	{name: "CancelCreateTerminatesSystem", fake: true, faults: true, run: cancelCreate},
	{name: "ExitDuringPendingStart", fake: true, faults: true, run: exitDuringStart},
	{name: "ServiceDisconnect", fake: true, faults: true, run: serviceDisconnect},
	{name: "LateCallbackAfterClose", fake: true, faults: true, run: lateCallback},
	{name: "ManyGoroutinesManySystems", fake: true, faults: true, run: manyGoroutines},
}

func listBySyntheticOwner(t *testing.T, e *env) {
	infos, err := e.h.ListByOwner(ctxT(t), e.owner)
	if err != nil {
		t.Fatalf("ListByOwner: %v", err)
	}
	if len(infos) != 0 {
		t.Fatalf("ListByOwner(%q) = %v, want none", e.owner, infos)
	}
	if infos == nil {
		t.Fatal("ListByOwner returned a nil slice with a nil error")
	}
}

func openNonexistent(t *testing.T, e *env) {
	_, err := e.h.OpenSystem(ctxT(t), e.id("missing"))
	wantErr(t, err, hcs.ErrNotFound, "open")
}

func minimalVM(t *testing.T, e *env) {
	ctx := ctxT(t)
	id := e.id("vm")
	s, err := e.h.CreateSystem(ctx, id, e.vmDoc())
	if err != nil {
		if e.target.Real && errors.Is(err, hcs.ErrFeatureNotInstalled) {
			t.Skipf("Hyper-V is not installed: %v", err)
		}
		t.Fatalf("CreateSystem(VM): %v", err)
	}
	defer s.Close()
	if in, ok := e.listed(t, id); !ok || in.Type != "VirtualMachine" {
		t.Fatalf("listed = %+v, %v; want a VirtualMachine", in, ok)
	}
	if err := s.Terminate(ctx); err != nil {
		t.Fatalf("Terminate: %v", err)
	}
	st, err := s.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if st.ExitType != "ForcedExit" {
		t.Errorf("ExitType = %q, want ForcedExit", st.ExitType)
	}
	s.Close()
	if _, ok := e.listed(t, id); ok {
		t.Fatalf("system %s still listed after terminate and close", id)
	}
}

func serviceProperties(t *testing.T, e *env) {
	doc, err := e.h.ServiceProperties(ctxT(t), `{"PropertyTypes":["Basic"]}`)
	if err != nil {
		t.Fatalf("ServiceProperties: %v", err)
	}
	var props struct {
		Properties []struct {
			SupportedSchemaVersions []struct{ Major, Minor int }
		}
	}
	if err := json.Unmarshal(doc, &props); err != nil {
		t.Fatalf("service properties %s: %v", doc, err)
	}
	if len(props.Properties) == 0 || len(props.Properties[0].SupportedSchemaVersions) == 0 {
		t.Fatalf("no supported schema versions in %s", doc)
	}
	for _, v := range props.Properties[0].SupportedSchemaVersions {
		if v.Major != 2 {
			continue
		}
		return
	}
	t.Fatalf("schema 2.x not supported according to %s", doc)
}

func lifecycle(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.create(t, "life")
	events := s.Events(ctx)
	if got := e.state(t, s); got != "Created" {
		t.Fatalf("state after create = %q, want Created", got)
	}
	steps := []struct {
		name string
		do   func(context.Context) error
		want schema.State
	}{
		{"Start", s.Start, "Running"},
		{"Pause", s.Pause, "Paused"},
		{"Resume", s.Resume, "Running"},
		{"Shutdown", s.Shutdown, "Stopped"},
	}
	for _, st := range steps {
		if err := st.do(ctx); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := e.state(t, s); got != st.want {
			t.Fatalf("state after %s = %q, want %q", st.name, got, st.want)
		}
	}
	status, err := s.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if status.ExitType != "GracefulExit" || status.Status != 0 {
		t.Fatalf("exit status = %+v, want a graceful exit with status 0", status)
	}
	var last hcs.Event
	for ev := range events {
		last = ev
	}
	if last.Type != hcs.EventSystemExited {
		t.Fatalf("last event = %v, want SystemExited", last.Type)
	}
	var doc struct{ ExitType string }
	if err := last.Decode(&doc); err != nil || doc.ExitType != "GracefulExit" {
		t.Fatalf("SystemExited document %s: %+v, %v", last.Data, doc, err)
	}
	s.Close()
	if _, ok := e.listed(t, s.ID()); ok {
		t.Fatalf("system still listed after its last handle closed")
	}
}

func invalidTransitions(t *testing.T, e *env) {
	ctx := ctxT(t)
	type call struct {
		name string
		op   string
		do   func(*hcs.System) error
	}
	start := call{"Start", "start", func(s *hcs.System) error { return s.Start(ctx) }}
	pause := call{"Pause", "pause", func(s *hcs.System) error { return s.Pause(ctx) }}
	resume := call{"Resume", "resume", func(s *hcs.System) error { return s.Resume(ctx) }}
	shutdown := call{"Shutdown", "shutdown", func(s *hcs.System) error { return s.Shutdown(ctx) }}
	terminate := call{"Terminate", "terminate", func(s *hcs.System) error { return s.Terminate(ctx) }}
	crash := call{"Crash", "crash", func(s *hcs.System) error { return s.Crash(ctx, nil) }}
	save := call{"Save", "save", func(s *hcs.System) error { return s.Save(ctx, nil) }}

	states := []struct {
		name  string
		setup func(*hcs.System) error
		bad   []call
		want  error
	}{
		{"Created", func(*hcs.System) error { return nil }, []call{pause, resume, shutdown, crash, save}, hcs.ErrInvalidState},
		{"Running", func(s *hcs.System) error { return s.Start(ctx) }, []call{start, resume, save}, hcs.ErrInvalidState},
		{"Paused", func(s *hcs.System) error {
			if err := s.Start(ctx); err != nil {
				return err
			}
			return s.Pause(ctx)
		}, []call{start, pause}, hcs.ErrInvalidState},
		{"Stopped", func(s *hcs.System) error { return s.Terminate(ctx) }, []call{start, pause, resume, save}, hcs.ErrInvalidState},
		{"StoppedAgain", func(s *hcs.System) error { return s.Terminate(ctx) }, []call{shutdown, terminate, crash}, hcs.ErrAlreadyStopped},
	}
	for _, st := range states {
		for _, c := range st.bad {
			t.Run(st.name+"/"+c.name, func(t *testing.T) {
				s := e.create(t, "bad")
				if err := st.setup(s); err != nil {
					t.Fatalf("reaching %s: %v", st.name, err)
				}
				wantErr(t, c.do(s), st.want, c.op)
			})
		}
	}
}

func alreadyExists(t *testing.T, e *env) {
	s := e.create(t, "dup")
	_, err := e.h.CreateSystem(ctxT(t), s.ID(), e.containerDoc())
	wantErr(t, err, hcs.ErrAlreadyExists, "create")
}

func invalidDocument(t *testing.T, e *env) {
	for _, doc := range []string{`{"Container":`, `not json`, `{"Owner":"x"}`} {
		_, err := e.h.CreateSystem(ctxT(t), e.id("badjson"), doc)
		wantErr(t, err, hcs.ErrInvalidSchema, "create")
	}
	_, err := e.h.CreateSystem(ctxT(t), e.id("badvalue"), make(chan int))
	wantErr(t, err, hcs.ErrInvalidSchema, "create")
}

func listFilters(t *testing.T, e *env) {
	ctx := ctxT(t)
	a := e.create(t, "a")
	b := e.running(t, "b")
	vm, err := e.h.CreateSystem(ctx, e.id("vm"), e.vmDoc())
	if err != nil {
		t.Fatalf("CreateSystem(VM): %v", err)
	}
	defer vm.Close()
	ids := func(q *schema.SystemQuery) map[string]bool {
		t.Helper()
		q.Owners = append(q.Owners, e.owner)
		infos, err := e.h.ListSystems(ctx, q)
		if err != nil {
			t.Fatalf("ListSystems(%+v): %v", q, err)
		}
		got := map[string]bool{}
		for _, in := range infos {
			got[in.ID] = true
			if in.Owner != e.owner {
				t.Errorf("%s listed with owner %q, want %q", in.ID, in.Owner, e.owner)
			}
		}
		return got
	}
	if got := ids(&schema.SystemQuery{}); len(got) != 3 {
		t.Errorf("by owner: %v, want 3 systems", got)
	}
	if got := ids(&schema.SystemQuery{IDs: []string{b.ID()}}); len(got) != 1 || !got[b.ID()] {
		t.Errorf("by id: %v, want only %s", got, b.ID())
	}
	if got := ids(&schema.SystemQuery{Types: []schema.SystemType{schema.SystemTypeVirtualMachine}}); len(got) != 1 || !got[vm.ID()] {
		t.Errorf("by type: %v, want only %s", got, vm.ID())
	}
	if got := ids(&schema.SystemQuery{Names: []string{a.ID(), b.ID()}}); len(got) != 2 {
		t.Errorf("by names: %v, want 2", got)
	}
	if got := ids(&schema.SystemQuery{IDs: []string{e.id("nobody")}}); len(got) != 0 {
		t.Errorf("by unknown id: %v, want none", got)
	}
}

func openSharesSystem(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "shared")
	o, err := e.h.OpenSystem(ctx, s.ID())
	if err != nil {
		t.Fatalf("OpenSystem: %v", err)
	}
	defer o.Close()
	if o.ID() != s.ID() {
		t.Fatalf("opened ID %q, want %q", o.ID(), s.ID())
	}
	if err := o.Terminate(ctx); err != nil {
		t.Fatalf("Terminate through the second handle: %v", err)
	}
	for _, sys := range []*hcs.System{s, o} {
		st, err := sys.Wait(ctx)
		if err != nil || st.ExitType != "ForcedExit" {
			t.Fatalf("Wait: %+v, %v; want ForcedExit", st, err)
		}
	}
}

func openStopped(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.create(t, "stopped")
	if err := s.Terminate(ctx); err != nil {
		t.Fatalf("Terminate: %v", err)
	}
	o, err := e.h.OpenSystem(ctx, s.ID())
	if err != nil {
		t.Fatalf("OpenSystem: %v", err)
	}
	defer o.Close()
	st, err := o.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait on a system opened after it stopped: %v", err)
	}
	if st.ExitType != "ForcedExit" {
		t.Errorf("ExitType = %q, want ForcedExit", st.ExitType)
	}
}

func crashEvents(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "crash")
	events := s.Events(ctx)
	if err := s.Crash(ctx, nil); err != nil {
		t.Fatalf("Crash: %v", err)
	}
	var types []hcs.EventType
	for ev := range events {
		types = append(types, ev.Type)
	}
	want := []hcs.EventType{hcs.EventSystemCrashInitiated, hcs.EventSystemCrashReport, hcs.EventSystemExited}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	st, err := s.Wait(ctx)
	if err != nil || st.ExitType != "UnexpectedExit" {
		t.Fatalf("Wait: %+v, %v; want UnexpectedExit", st, err)
	}
}

func saveAsTemplate(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "save")
	wantErr(t, s.Save(ctx, &schema.SaveOptions{SaveType: schema.SaveTypeAsTemplate}), hcs.ErrInvalidState, "save")
	if err := s.Pause(ctx); err != nil {
		t.Fatalf("Pause: %v", err)
	}
	if err := s.Save(ctx, &schema.SaveOptions{SaveType: schema.SaveTypeAsTemplate}); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if got := e.state(t, s); got != "SavedAsTemplate" {
		t.Fatalf("state after save = %q, want SavedAsTemplate", got)
	}
}

func eventsFanOut(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "fanout")
	const subscribers = 10
	var wg sync.WaitGroup
	got := make([][]hcs.EventType, subscribers)
	for i := range subscribers {
		events := s.Events(ctx)
		wg.Go(func() {
			for ev := range events {
				got[i] = append(got[i], ev.Type)
			}
		})
	}
	// One subscriber that never reads must not hold up the others, nor one
	// that stops early.
	stalled := s.Events(ctx)
	_ = stalled
	early := s.Events(ctx)
	wg.Go(func() {
		for range early {
			break
		}
	})
	if err := s.Pause(ctx); err != nil {
		t.Fatalf("Pause: %v", err)
	}
	if err := s.Terminate(ctx); err != nil {
		t.Fatalf("Terminate: %v", err)
	}
	wg.Wait()
	for i, types := range got {
		if len(types) == 0 || types[len(types)-1] != hcs.EventSystemExited {
			t.Errorf("subscriber %d saw %v, want SystemExited last", i, types)
		}
	}
	// A subscription made after the exit still sees the terminal event.
	var late []hcs.EventType
	for ev := range s.Events(ctx) {
		late = append(late, ev.Type)
	}
	if len(late) != 1 || late[0] != hcs.EventSystemExited {
		t.Errorf("late subscriber saw %v, want [SystemExited]", late)
	}
}

func waitMany(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "wait")
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() {
			st, err := s.Wait(ctx)
			if err == nil && st.ExitType != "GracefulExit" {
				err = fmt.Errorf("exit type %q", st.ExitType)
			}
			errs <- err
		})
	}
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Wait: %v", err)
		}
	}
	s.Close()
	if st, err := s.Wait(ctx); err != nil || st.ExitType != "GracefulExit" {
		t.Errorf("Wait after Close: %+v, %v; want the recorded exit", st, err)
	}
}

func useAfterClose(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "closed")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	wantErr(t, s.Start(ctx), hcs.ErrClosed, "start")
	wantErr(t, s.Terminate(ctx), hcs.ErrClosed, "terminate")
	_, err := s.Wait(ctx)
	wantErr(t, err, hcs.ErrClosed, "wait")
	n := 0
	for range s.Events(ctx) {
		n++
	}
	if n != 0 {
		t.Errorf("closed system delivered %d events", n)
	}
	// The system itself is still there: terminate it through a new handle.
	e.terminate(t, s.ID())
}

func concurrentClose(t *testing.T, e *env) {
	ctx := ctxT(t)
	for range 20 {
		s := e.running(t, "race")
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 5 {
					if err := s.Pause(ctx); err != nil && !errors.Is(err, hcs.ErrClosed) && !errors.Is(err, hcs.ErrInvalidState) {
						t.Errorf("Pause: %v", err)
					}
					if err := s.Resume(ctx); err != nil && !errors.Is(err, hcs.ErrClosed) && !errors.Is(err, hcs.ErrInvalidState) {
						t.Errorf("Resume: %v", err)
					}
				}
			})
		}
		wg.Go(func() { s.Close() })
		wg.Go(func() { s.Close() })
		wg.Wait()
		e.terminate(t, s.ID())
	}
}

func fileUtilities(t *testing.T, e *env) {
	ctx := ctxT(t)
	dir := winetest.TempDir(t)
	vmgs := filepath.Join(dir, "guest.vmgs")
	if err := e.h.CreateEmptyGuestStateFile(ctx, vmgs); err != nil {
		t.Fatalf("CreateEmptyGuestStateFile: %v", err)
	}
	wantErr(t, e.h.CreateEmptyGuestStateFile(ctx, vmgs), hcs.ErrAlreadyExists, "create guest state file")
	vmrs := filepath.Join(dir, "runtime.vmrs")
	if err := e.h.CreateEmptyRuntimeStateFile(ctx, vmrs); err != nil {
		t.Fatalf("CreateEmptyRuntimeStateFile: %v", err)
	}
	vmID := e.id("vm")
	if err := e.h.GrantVMAccess(ctx, vmID, vmgs); err != nil {
		t.Fatalf("GrantVMAccess: %v", err)
	}
	if err := e.h.RevokeVMAccess(ctx, vmID, vmgs); err != nil {
		t.Fatalf("RevokeVMAccess: %v", err)
	}
	missing := filepath.Join(dir, "missing.vhdx")
	wantErr(t, e.h.GrantVMAccess(ctx, vmID, missing), hcs.ErrNotFound, "grant VM access")
	if err := e.h.GrantVMGroupAccess(ctx, vmgs); err != nil {
		t.Fatalf("GrantVMGroupAccess: %v", err)
	}
	if err := e.h.RevokeVMGroupAccess(ctx, vmgs); err != nil {
		t.Fatalf("RevokeVMGroupAccess: %v", err)
	}
	if _, err := e.h.ProcessorCompatibilityFromSavedState(ctx, vmrs); err != nil {
		t.Fatalf("ProcessorCompatibilityFromSavedState: %v", err)
	}
	if err := e.h.SubmitWERReport(ctx, `{}`); err != nil {
		t.Fatalf("SubmitWERReport: %v", err)
	}
	if _, err := e.h.ModifyServiceSettings(ctx, `{}`); err != nil {
		t.Fatalf("ModifyServiceSettings: %v", err)
	}
}

func failNext(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.create(t, "fail")
	e.faults.FailNext("HcsStartComputeSystem", hcs.HCS_E_CONNECT_FAILED, "injected: guest unreachable")
	err := s.Start(ctx)
	var he *hcs.Error
	if !errors.As(err, &he) || he.Result == nil {
		t.Fatalf("Start: %v, want an *hcs.Error with a result document", err)
	}
	if !errors.Is(err, hcs.HCS_E_CONNECT_FAILED) {
		t.Fatalf("Start: %v, want HCS_E_CONNECT_FAILED", err)
	}
	if he.Result.ErrorMessage == "" || he.ID != s.ID() || !strings.Contains(err.Error(), he.Result.ErrorMessage) {
		t.Fatalf("error %q (%+v) does not carry HCS's message and the system id", err, he.Result)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatalf("Start after the injected failure: %v", err)
	}
}

func cancelEach(t *testing.T, e *env) {
	type op struct {
		name, wireOp, fn string
		setup            func(context.Context, *hcs.System) error
		do               func(context.Context, *hcs.System) error
	}
	none := func(context.Context, *hcs.System) error { return nil }
	start := func(ctx context.Context, s *hcs.System) error { return s.Start(ctx) }
	paused := func(ctx context.Context, s *hcs.System) error {
		if err := s.Start(ctx); err != nil {
			return err
		}
		return s.Pause(ctx)
	}
	ops := []op{
		{"Start", "start", "HcsStartComputeSystem", none, start},
		{"Pause", "pause", "HcsPauseComputeSystem", start, func(ctx context.Context, s *hcs.System) error { return s.Pause(ctx) }},
		{"Shutdown", "shutdown", "HcsShutDownComputeSystem", start, func(ctx context.Context, s *hcs.System) error { return s.Shutdown(ctx) }},
		{"Terminate", "terminate", "HcsTerminateComputeSystem", start, func(ctx context.Context, s *hcs.System) error { return s.Terminate(ctx) }},
		{"Properties", "properties", "HcsGetComputeSystemProperties", start, func(ctx context.Context, s *hcs.System) error {
			_, err := s.PropertiesJSON(ctx, nil)
			return err
		}},
		{"Modify", "modify", "HcsModifyComputeSystem", start, func(ctx context.Context, s *hcs.System) error {
			return s.ModifyJSON(ctx, json.RawMessage(`{"ResourcePath":"VirtualMachine/Devices","RequestType":"Update"}`))
		}},
		{"Resume", "resume", "HcsResumeComputeSystem", paused, func(ctx context.Context, s *hcs.System) error { return s.Resume(ctx) }},
		{"Save", "save", "HcsSaveComputeSystem", paused, func(ctx context.Context, s *hcs.System) error {
			return s.Save(ctx, &schema.SaveOptions{SaveType: schema.SaveTypeAsTemplate})
		}},
		{"Crash", "crash", "HcsCrashComputeSystem", start, func(ctx context.Context, s *hcs.System) error { return s.Crash(ctx, nil) }},
		{"CreateProcess", "create process", "HcsCreateProcess", start, func(ctx context.Context, s *hcs.System) error {
			_, err := s.CreateProcess(ctx, &schema.ProcessParameters{CommandLine: "wait", CreateStdOutPipe: schema.Ptr(true)})
			return err
		}},
	}
	for _, o := range ops {
		t.Run(o.name, func(t *testing.T) {
			s := e.create(t, "cancel")
			if err := o.setup(ctxT(t), s); err != nil {
				t.Fatalf("setup: %v", err)
			}
			ctx, release := e.abandon(t, o.fn)
			defer release()
			wantAbandoned(t, ctx, o.do(ctx, s), o.wireOp)
			// The abandoned operation finishes in the background; the
			// handle stays usable.
			release()
			if err := e.h.Drain(ctxT(t)); err != nil {
				t.Fatalf("Drain: %v", err)
			}
			if _, err := s.PropertiesJSON(ctxT(t), nil); err != nil {
				t.Fatalf("Properties after the cancelled %s: %v", o.name, err)
			}
		})
	}
}

func cancelCreate(t *testing.T, e *env) {
	ctx, release := e.abandon(t, "HcsCreateComputeSystem")
	defer release()
	id := e.id("orphan")
	_, err := e.h.CreateSystem(ctx, id, e.containerDoc())
	wantAbandoned(t, ctx, err, "create")
	release()
	if err := e.h.Drain(ctxT(t)); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if in, ok := e.listed(t, id); ok {
		t.Fatalf("system created for a cancelled caller is still there: %+v", in)
	}
}

func exitDuringStart(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.create(t, "exit")
	e.faults.SetDelay(50 * time.Millisecond)
	defer e.faults.SetDelay(0)
	e.faults.ExitDuringNext("HcsStartComputeSystem")
	wantErr(t, s.Start(ctx), hcs.ErrUnexpectedExit, "start")
	st, err := s.Wait(ctx)
	if err != nil || st.ExitType != "UnexpectedExit" {
		t.Fatalf("Wait: %+v, %v; want UnexpectedExit", st, err)
	}
}

func serviceDisconnect(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "disc")
	events := s.Events(ctx)
	release := e.keepPending("HcsPauseComputeSystem")
	defer release()
	before := e.faults.LiveHandles()
	errc := make(chan error, 1)
	go func() { errc <- s.Pause(ctx) }()
	for e.faults.LiveHandles() == before { // the Pause's operation
		time.Sleep(time.Millisecond)
	}
	e.faults.Disconnect()
	defer e.faults.Reconnect()
	select {
	case err := <-errc:
		wantErr(t, err, hcs.ErrServiceDisconnect, "pause")
	case <-time.After(10 * time.Second):
		t.Fatal("pending Pause did not return after the service disconnected")
	}
	_, err := s.Wait(ctx)
	wantErr(t, err, hcs.ErrServiceDisconnect, "wait")
	var last hcs.Event
	for ev := range events {
		last = ev
	}
	if last.Type != hcs.EventServiceDisconnect {
		t.Fatalf("last event %v, want ServiceDisconnect", last.Type)
	}
	release()
	e.faults.Reconnect()
	if err := e.h.Drain(ctxT(t)); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	// The handle belonged to the lost connection and stays unusable; the
	// system itself is still there and is opened again.
	_, err = s.Properties(ctx)
	wantErr(t, err, hcs.ErrServiceDisconnect, "properties")
	again, err := e.h.OpenSystem(ctx, s.ID())
	if err != nil {
		t.Fatalf("OpenSystem after reconnect: %v", err)
	}
	defer again.Close()
	if _, err := again.Properties(ctx); err != nil {
		t.Errorf("Properties through the system opened again: %v", err)
	}
	e.terminate(t, s.ID())
}

func lateCallback(t *testing.T, e *env) {
	e.faults.FireLateEvents(true)
	defer e.faults.FireLateEvents(false)
	for range 10 {
		s := e.running(t, "late")
		events := s.Events(ctxT(t))
		s.Close()
		for ev := range events {
			t.Errorf("event %v delivered after Close", ev.Type)
		}
	}
	// The late events arrive after Close returned; they must be dropped
	// without harm. Wait until they have been delivered.
	if err := e.faults.EventsDelivered(ctxT(t)); err != nil {
		t.Fatalf("late events not delivered: %v", err)
	}
	for _, in := range mustList(t, e) {
		e.terminate(t, in.ID)
	}
}

func mustList(t *testing.T, e *env) []hcs.SystemInfo {
	t.Helper()
	infos, err := e.h.ListByOwner(ctxT(t), e.owner)
	if err != nil {
		t.Fatalf("ListByOwner: %v", err)
	}
	return infos
}

func manyGoroutines(t *testing.T, e *env) {
	const systems, goroutines, rounds = 50, 200, 5
	ctx := ctxT(t)
	sys := make([]*hcs.System, systems)
	for i := range sys {
		sys[i] = e.running(t, fmt.Sprintf("many%d", i))
	}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for range rounds {
				s := sys[r.IntN(systems)]
				var err error
				switch r.IntN(5) {
				case 0:
					err = s.Pause(ctx)
				case 1:
					err = s.Resume(ctx)
				case 2:
					_, err = s.PropertiesJSON(ctx, nil)
				case 3:
					cctx, cancel := context.WithTimeout(ctx, time.Duration(r.IntN(3))*time.Millisecond)
					_, err = s.PropertiesJSON(cctx, nil)
					cancel()
					if errors.Is(err, context.DeadlineExceeded) {
						err = nil
					}
				case 4:
					_, err = e.h.ListByOwner(ctx, e.owner)
				}
				if err != nil && !errors.Is(err, hcs.ErrInvalidState) {
					t.Errorf("goroutine %d: %v", g, err)
				}
			}
		})
	}
	wg.Wait()
	for _, s := range sys {
		if err := s.Terminate(ctx); err != nil {
			t.Errorf("Terminate: %v", err)
		}
		s.Close()
	}
	// A call abandoned by its context keeps its handle open until HCS
	// completes it; the system leaves the list with its last handle.
	if err := e.h.Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if infos := mustList(t, e); len(infos) != 0 {
		t.Errorf("%d systems still listed", len(infos))
	}
}
