//go:build windows

package computecore

import (
	"errors"
	"strings"
	"testing"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
	"github.com/gohcs/hcs/internal/winstr"
)

// A non-ASCII id survives the round trip Go → UTF-16 → mock → UTF-16 → Go,
// through create, enumerate, open and properties.
func TestUnicodeIDRoundTrip(t *testing.T) {
	b := mock(t)
	id := "ünïcödé-系统"
	sys := createSystem(t, b, id)
	defer b.CloseComputeSystem(sys)

	doc, err := do(t, b, func(op backend.Handle) error {
		return b.EnumerateComputeSystems(`{"Ids":["`+id+`"]}`, op)
	})
	must(t, "EnumerateComputeSystems", doc, err)
	var list []struct{ Id, Owner, State, SystemType, RuntimeOsType string }
	decode(t, "enumeration", doc, &list)
	if len(list) != 1 || list[0].Id != id {
		t.Fatalf("enumeration of %q = %s", id, doc)
	}
	if list[0].Owner != "computecore-test" || list[0].SystemType != "Container" || list[0].State != "Created" ||
		list[0].RuntimeOsType != "Windows" {
		t.Errorf("enumerated %+v", list[0])
	}

	// Every system, unfiltered: ours is among them.
	doc, err = do(t, b, func(op backend.Handle) error { return b.EnumerateComputeSystems("", op) })
	must(t, "EnumerateComputeSystems(all)", doc, err)
	if !strings.Contains(doc, id) {
		t.Errorf("unfiltered enumeration lacks %q: %s", id, doc)
	}

	other, err := b.OpenComputeSystem(id)
	if err != nil {
		t.Fatalf("OpenComputeSystem(%q): %v", id, err)
	}
	defer b.CloseComputeSystem(other)
	doc, err = do(t, b, func(op backend.Handle) error { return b.GetComputeSystemProperties(other, op, "") })
	must(t, "GetComputeSystemProperties", doc, err)
	var props struct{ Id, Name string }
	decode(t, "properties", doc, &props)
	if props.Id != id || props.Name != id {
		t.Errorf("properties Id %q Name %q, want %q", props.Id, props.Name, id)
	}
}

// Every state transition, the events it sends, and the errors of invalid
// transitions.
func TestSystemLifecycle(t *testing.T) {
	b := mock(t)
	id := newID("lifecycle")
	sys := createSystem(t, b, id)
	defer b.CloseComputeSystem(sys)
	ctx, events := disp.newEventContext()
	defer disp.forget(ctx)
	if err := b.SetComputeSystemCallback(sys, backend.EventOptionNone, ctx); err != nil {
		t.Fatalf("SetComputeSystemCallback: %v", err)
	}
	err := b.SetComputeSystemCallback(sys, backend.EventOptionNone, ctx+1000)
	wantErr(t, "second SetComputeSystemCallback", err, hrCallbackSet)

	step := func(name string, call func(op backend.Handle) error, want error) string {
		t.Helper()
		doc, err := do(t, b, call)
		if want == nil {
			return must(t, name, doc, err)
		}
		if !errors.Is(err, want) {
			t.Errorf("%s: err = %v (%#x), want %v; result %s", name, err, errnoOf(err), want, doc)
		}
		if !strings.Contains(doc, `"Error"`) {
			t.Errorf("%s: failure without a ResultError document: %q", name, doc)
		}
		return doc
	}
	step("Pause(Created)", func(op backend.Handle) error { return b.PauseComputeSystem(sys, op, "") }, hrInvalidState)
	step("Start", func(op backend.Handle) error { return b.StartComputeSystem(sys, op, "") }, nil)
	step("Start(Running)", func(op backend.Handle) error { return b.StartComputeSystem(sys, op, "") }, hrInvalidState)
	step("Modify", func(op backend.Handle) error {
		return b.ModifyComputeSystem(sys, op, `{"ResourcePath":"VirtualMachine/ComputeTopology/Memory/SizeInMB","RequestType":"Update","Settings":512}`)
	}, nil)
	step("Modify(bad JSON)", func(op backend.Handle) error { return b.ModifyComputeSystem(sys, op, `{"ResourcePath":`) }, hrInvalidJSON)
	step("Pause", func(op backend.Handle) error { return b.PauseComputeSystem(sys, op, "") }, nil)
	step("Save", func(op backend.Handle) error { return b.SaveComputeSystem(sys, op, `{"SaveType":"ToFile"}`) }, nil)
	step("Resume", func(op backend.Handle) error { return b.ResumeComputeSystem(sys, op, "") }, nil)

	doc := step("Properties", func(op backend.Handle) error {
		return b.GetComputeSystemProperties(sys, op, `{"PropertyTypes":["Statistics"]}`)
	}, nil)
	var props struct {
		State      string
		Statistics *struct{ Uptime100ns uint64 }
	}
	decode(t, "properties", doc, &props)
	if props.State != "Running" || props.Statistics == nil {
		t.Errorf("properties of a running system: %s", doc)
	}

	step("Crash", func(op backend.Handle) error { return b.CrashComputeSystem(sys, op, "") }, nil)
	waitEvent(t, events, backend.EventSystemCrashInitiated)
	waitEvent(t, events, backend.EventSystemCrashReport)
	e := waitEvent(t, events, backend.EventSystemExited)
	if !strings.Contains(e.Data, "UnexpectedExit") {
		t.Errorf("SystemExited after a crash: %q", e.Data)
	}
	step("Terminate(Stopped)", func(op backend.Handle) error { return b.TerminateComputeSystem(sys, op, "") }, hrAlreadyStopped)
	step("Shutdown(Stopped)", func(op backend.Handle) error { return b.ShutDownComputeSystem(sys, op, "") }, hrAlreadyStopped)

	// A second system for the graceful and forced exits.
	for _, c := range []struct {
		name string
		stop func(sys, op backend.Handle) error
		exit string
	}{
		{"Shutdown", func(sys, op backend.Handle) error { return b.ShutDownComputeSystem(sys, op, "") }, "GracefulExit"},
		{"Terminate", func(sys, op backend.Handle) error { return b.TerminateComputeSystem(sys, op, "") }, "ForcedExit"},
	} {
		_, sys := startedSystem(t, b)
		ctx, events := disp.newEventContext()
		if err := b.SetComputeSystemCallback(sys, backend.EventOptionNone, ctx); err != nil {
			t.Fatalf("SetComputeSystemCallback: %v", err)
		}
		step(c.name, func(op backend.Handle) error { return c.stop(sys, op) }, nil)
		if e := waitEvent(t, events, backend.EventSystemExited); !strings.Contains(e.Data, c.exit) {
			t.Errorf("SystemExited after %s: %q, want %s", c.name, e.Data, c.exit)
		}
		var result *uint16
		err := optional(hcsWaitForComputeSystemExit(sys, 5000, &result))
		doc := winstr.Take(result)
		if errors.Is(err, errors.ErrUnsupported) {
			t.Logf("HcsWaitForComputeSystemExit: %v", err)
		} else if err != nil {
			t.Errorf("HcsWaitForComputeSystemExit of a stopped system: %v (result %s)", err, doc)
		}
		disp.forget(ctx)
	}
}

// Synchronous argument checks and lookup failures.
func TestSystemErrors(t *testing.T) {
	b := mock(t)
	_, err := b.OpenComputeSystem(newID("missing"))
	wantErr(t, "OpenComputeSystem(unknown)", err, hrSystemNotFound)

	// A NUL inside a string is refused before HCS sees it.
	_, err = b.OpenComputeSystem("bad\x00id")
	wantErr(t, "OpenComputeSystem(NUL)", err, hrInvalidArg)
	o := newOp(t, b)
	_, err = b.CreateComputeSystem("x", "{\x00}", o.h)
	wantErr(t, "CreateComputeSystem(NUL)", err, hrInvalidArg)
	_, err = b.CreateComputeSystem("", containerConfig("x"), o.h)
	wantErr(t, "CreateComputeSystem(empty id)", err, hrInvalidArg)
	o.close(b)

	// Asynchronous failures: the handle is returned, and must be closed.
	for _, c := range []struct {
		name, config string
		want         error
	}{
		{"malformed", `{"Container":`, hrInvalidJSON},
		{"neither container nor VM", `{"Owner":"x"}`, hrInvalidJSON},
	} {
		var sys backend.Handle
		doc, err := do(t, b, func(op backend.Handle) error {
			var err error
			sys, err = b.CreateComputeSystem(newID("bad"), c.config, op)
			return err
		})
		if !errors.Is(err, c.want) || !strings.Contains(doc, "Error") {
			t.Errorf("create %s: %v, %q; want %v and a ResultError", c.name, err, doc, c.want)
		}
		if sys != 0 {
			b.CloseComputeSystem(sys)
		}
	}
	id := newID("dup")
	sys := createSystem(t, b, id)
	defer b.CloseComputeSystem(sys)
	var dup backend.Handle
	_, err = do(t, b, func(op backend.Handle) error {
		var err error
		dup, err = b.CreateComputeSystem(id, containerConfig("x"), op)
		return err
	})
	wantErr(t, "create of an existing id", err, hrAlreadyExists)
	if dup != 0 {
		b.CloseComputeSystem(dup)
	}
	// Closed and bogus handles: misuse_test.go.
}

// Fault injection: a synchronous and an asynchronous failure of the same
// call return the injected HRESULT; the asynchronous one with its
// ResultError document, freed like any other.
func TestInjectedFailures(t *testing.T) {
	b := mock(t)
	_, sys := startedSystem(t, b)

	mockctl.FailNext("HcsPauseComputeSystem", uint32(hrFail), true)
	_, err := do(t, b, func(op backend.Handle) error { return b.PauseComputeSystem(sys, op, "") })
	wantErr(t, "synchronous injected failure", err, hrFail)

	mockctl.FailNext("HcsPauseComputeSystem", 0x80070005, false)
	doc, err := do(t, b, func(op backend.Handle) error { return b.PauseComputeSystem(sys, op, "") })
	wantErr(t, "asynchronous injected failure (E_ACCESSDENIED, unwrapped)", err, 5)
	if !strings.Contains(doc, "HcsPauseComputeSystem") {
		t.Errorf("ResultError does not name the call: %q", doc)
	}

	mockctl.FailNext("HcsGetServiceProperties", uint32(hrFail), true)
	_, err = b.GetServiceProperties(`{"PropertyTypes":["Basic"]}`)
	wantErr(t, "GetServiceProperties with injected failure", err, hrFail)

	// The system exits while a start is pending.
	id := newID("exit-during")
	sys2 := createSystem(t, b, id)
	defer b.CloseComputeSystem(sys2)
	ctx, events := disp.newEventContext()
	defer disp.forget(ctx)
	if err := b.SetComputeSystemCallback(sys2, backend.EventOptionNone, ctx); err != nil {
		t.Fatal(err)
	}
	mockctl.ExitDuringNext("HcsStartComputeSystem")
	_, err = do(t, b, func(op backend.Handle) error { return b.StartComputeSystem(sys2, op, "") })
	wantErr(t, "start with exit during it", err, hrTerminatedDuringSta)
	waitEvent(t, events, backend.EventSystemExited)
}

// A disconnected service fails pending and new calls and tells every system
// and process callback (process callbacks too: hcsshim's process wait ends
// on it). The handles open at the disconnection stay unusable after the
// service is back; a handle opened again works.
func TestServiceDisconnect(t *testing.T) {
	b := mock(t)
	id, sys := startedSystem(t, b)
	ctx, events := disp.newEventContext()
	defer disp.forget(ctx)
	if err := b.SetComputeSystemCallback(sys, backend.EventOptionNone, ctx); err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, b, sys, processParams("wait", false, false, false))
	mockctl.Disconnect()
	reconnected := false
	defer func() {
		if !reconnected {
			mockctl.Reconnect()
		}
	}()
	if e := waitEvent(t, events, backend.EventServiceDisconnect); e.Data != "" {
		t.Errorf("ServiceDisconnect data %q, want none", e.Data)
	}
	if e := waitEvent(t, p.events, backend.EventServiceDisconnect); e.Data != "" {
		t.Errorf("ServiceDisconnect to a process callback: data %q, want none", e.Data)
	}
	_, err := do(t, b, func(op backend.Handle) error { return b.PauseComputeSystem(sys, op, "") })
	wantErr(t, "call while disconnected", err, hrServiceDisconnect)
	mockctl.Reconnect()
	reconnected = true
	_, err = do(t, b, func(op backend.Handle) error { return b.PauseComputeSystem(sys, op, "") })
	wantErr(t, "Pause through the old handle after reconnect", err, hrServiceDisconnect)
	_, err = do(t, b, func(op backend.Handle) error { return b.TerminateProcess(p.h, op, "") })
	wantErr(t, "TerminateProcess through the old handle after reconnect", err, hrServiceDisconnect)
	again, err := b.OpenComputeSystem(id)
	if err != nil {
		t.Fatalf("OpenComputeSystem after reconnect: %v", err)
	}
	defer b.CloseComputeSystem(again)
	doc, err := do(t, b, func(op backend.Handle) error { return b.PauseComputeSystem(again, op, "") })
	must(t, "Pause through the handle opened again", doc, err)
}
