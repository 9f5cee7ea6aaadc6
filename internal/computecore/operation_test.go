//go:build windows

package computecore

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gohcs/hcs/internal/winetest"
	"github.com/gohcs/hcs/internal/winstr"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

// The operation accessors, the states of an operation's result, and the
// calls package hcs does not use (wait, set callback, set context).
func TestOperation(t *testing.T) {
	b := mock(t)
	id := newID("operation")

	o := newOp(t, b)
	defer o.close(b)
	if got := hcsGetOperationContext(o.h); got != o.ctx {
		t.Errorf("HcsGetOperationContext = %d, want %d", got, o.ctx)
	}
	if got := hcsGetOperationType(o.h); got != -1 {
		t.Errorf("HcsGetOperationType before use = %d, want HcsOperationTypeNone (-1)", got)
	}
	_, err := b.GetOperationResult(o.h)
	wantErr(t, "result before use", err, hrNotStarted)
	err = b.CancelOperation(o.h)
	wantErr(t, "CancelOperation", err, hrNotImpl)

	// Changing the context: the completion carries the new one.
	ctx2, ch2 := disp.newOpContext()
	defer disp.forget(ctx2)
	if err := hcsSetOperationContext(o.h, ctx2); err != nil {
		t.Fatalf("HcsSetOperationContext: %v", err)
	}
	if got := hcsGetOperationContext(o.h); got != ctx2 {
		t.Errorf("context after set = %d, want %d", got, ctx2)
	}

	// The create stays pending until released: the checks of a pending
	// operation cannot race its completion.
	held := mockctl.HeldCalls()
	mockctl.HoldNext("HcsCreateComputeSystem")
	if got := mockctl.HeldCalls(); got != held {
		t.Errorf("HeldCalls = %d after HoldNext alone, want %d", got, held)
	}
	sys, err := b.CreateComputeSystem(id, containerConfig("op"), o.h)
	if err != nil {
		t.Fatalf("CreateComputeSystem: %v", err)
	}
	defer b.CloseComputeSystem(sys)
	if got := mockctl.HeldCalls(); got != held+1 {
		t.Errorf("HeldCalls = %d once the held create was made, want %d", got, held+1)
	}
	_, err = b.GetOperationResult(o.h)
	wantErr(t, "result while pending", err, hrPending)
	_, err = b.WaitForOperationResult(o.h, 1)
	wantErr(t, "wait with 1ms timeout", err, hrTimeout)
	err = b.StartComputeSystem(sys, o.h, "")
	wantErr(t, "reuse of a started operation", err, hrAlreadyStarted)
	if got := hcsGetOperationType(o.h); got != 1 {
		t.Errorf("HcsGetOperationType = %d, want HcsOperationTypeCreate (1)", got)
	}
	if got := hcsGetComputeSystemFromOperation(o.h); got != sys {
		t.Errorf("HcsGetComputeSystemFromOperation = %#x, want %#x", got, sys)
	}
	if id := hcsGetOperationID(o.h); id == 0 || id == ^uint64(0) {
		t.Errorf("HcsGetOperationId = %#x", id)
	}
	mockctl.ReleaseHeld()
	doc, err := b.WaitForOperationResult(o.h, windows.INFINITE)
	must(t, "WaitForOperationResult", doc, err)
	select {
	case c := <-ch2:
		if c.op != o.h {
			t.Errorf("completion of %#x, want %#x", c.op, o.h)
		}
	case <-time.After(waitTimeout):
		t.Fatal("no completion with the new context")
	}

	// HcsSetOperationCallback with the shared trampoline, on a fresh operation;
	// and the process accessors.
	doc, err = do(t, b, func(op backend.Handle) error { return b.StartComputeSystem(sys, op, "") })
	must(t, "StartComputeSystem", doc, err)
	op3 := hcsCreateOperation(0, 0) // no callback: waited for instead
	if op3 == 0 {
		t.Fatal("HcsCreateOperation without callback failed")
	}
	ctx3, ch3 := disp.newOpContext()
	defer disp.forget(ctx3)
	completion, _ := trampolines()
	if err := hcsSetOperationCallback(op3, ctx3, completion); err != nil {
		t.Fatalf("HcsSetOperationCallback: %v", err)
	}
	registerOperation(op3, ctx3)
	defer b.CloseOperation(op3)
	proc, err := b.CreateProcess(sys, processParams("echo via wait", false, true, false), op3)
	if err != nil {
		t.Fatalf("CreateProcess: %v", err)
	}
	defer b.CloseProcess(proc)
	var pi processInformation
	var result *uint16
	err = hcsWaitForOperationResultAndProcessInfo(op3, windows.INFINITE, &pi, &result)
	doc = winstr.Take(result)
	must(t, "HcsWaitForOperationResultAndProcessInfo", doc, err)
	info := processInfo(&pi)
	if info.Stdout == nil {
		t.Fatal("no stdout")
	}
	if out := readAll(t, "stdout", info.Stdout); out != "via wait\r\n" {
		t.Errorf("stdout %q", out)
	}
	info.Stdout.Close()
	if got := hcsGetProcessFromOperation(op3); got != proc {
		t.Errorf("HcsGetProcessFromOperation = %#x, want %#x", got, proc)
	}
	select {
	case <-ch3:
	case <-time.After(waitTimeout):
		t.Error("no completion through HcsSetOperationCallback")
	}
}

// Completions run on a native thread that is not the caller's.
func TestCompletionThread(t *testing.T) {
	b := mock(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	caller := windows.GetCurrentThreadId()
	for range 20 {
		o := newOp(t, b)
		if err := b.EnumerateComputeSystems("", o.h); err != nil {
			t.Fatal(err)
		}
		c := o.wait(t)
		if c.thread == caller || c.thread == 0 {
			t.Errorf("completion on thread %d, caller %d", c.thread, caller)
		}
		doc, err := b.GetOperationResult(o.h)
		must(t, "enumerate", doc, err)
		o.close(b)
	}
}

func TestService(t *testing.T) {
	b := mock(t)
	doc, err := b.GetServiceProperties(`{"PropertyTypes":["Basic"]}`)
	must(t, "GetServiceProperties", doc, err)
	if !strings.Contains(doc, "SupportedSchemaVersions") {
		t.Errorf("service properties %s", doc)
	}
	doc, err = b.ModifyServiceSettings(`{"PropertyType":"CpuGroup","Settings":{}}`)
	must(t, "ModifyServiceSettings", doc, err)
	_, err = b.ModifyServiceSettings(`{"PropertyType":`)
	wantErr(t, "ModifyServiceSettings(bad JSON)", err, hrInvalidJSON)
	if err := b.SubmitWerReport(`{"Report":"test"}`); err != nil {
		t.Errorf("SubmitWerReport: %v", err)
	}

	dir := winetest.TempDir(t)
	guest := dir + `\guest.vmgs`
	runtimeState := dir + `\runtime.vmrs`
	if err := b.CreateEmptyGuestStateFile(guest); err != nil {
		t.Errorf("CreateEmptyGuestStateFile: %v", err)
	}
	wantErr(t, "CreateEmptyGuestStateFile(exists)", b.CreateEmptyGuestStateFile(guest), hrFileExists)
	if err := b.CreateEmptyRuntimeStateFile(runtimeState); err != nil {
		t.Errorf("CreateEmptyRuntimeStateFile: %v", err)
	}
	vmID := "6f9b3c3e-8c2a-4c7e-9a51-2f3b1d0e4a77"
	if err := b.GrantVMAccess(vmID, guest); err != nil {
		t.Errorf("GrantVMAccess: %v", err)
	}
	if err := b.RevokeVMAccess(vmID, guest); err != nil {
		t.Errorf("RevokeVMAccess: %v", err)
	}
	if err := b.GrantVMGroupAccess(guest); err != nil {
		t.Errorf("GrantVMGroupAccess: %v", err)
	}
	if err := b.RevokeVMGroupAccess(guest); err != nil {
		t.Errorf("RevokeVMGroupAccess: %v", err)
	}
	err = b.GrantVMAccess(vmID, dir+`\missing.vmgs`)
	if err == nil {
		t.Error("GrantVMAccess of a missing file succeeded")
	}
	doc, err = b.GetProcessorCompatibilityFromSavedState(runtimeState)
	t.Logf("GetProcessorCompatibilityFromSavedState: %q, %v", doc, err)
}

// The undocumented *InNamespace variants are optional: the export may be
// missing (ErrUnsupported) or refuse with E_NOTIMPL; otherwise they behave
// like the plain calls with the default (NULL) namespace.
func TestNamespaceVariants(t *testing.T) {
	b := mock(t)
	id := newID("namespace")
	id16, _ := winstr.Ptr(id)
	config16, _ := winstr.Ptr(containerConfig("ns"))
	absent := func(name string, err error) bool {
		if isUnsupported(err) || errors.Is(err, hrNotImpl) {
			t.Logf("%s: not available: %v", name, err)
			return true
		}
		return false
	}

	o := newOp(t, b)
	var sys handle
	err := optional(hcsCreateComputeSystemInNamespace(nil, id16, config16, o.h, nil, &sys))
	switch {
	case absent("HcsCreateComputeSystemInNamespace", err):
	case err != nil:
		t.Errorf("HcsCreateComputeSystemInNamespace: %v", err)
	default:
		o.wait(t)
		doc, err := b.GetOperationResult(o.h)
		if err != nil {
			t.Errorf("create in namespace: %v (result %s)", err, doc)
		}
	}
	o.close(b)
	if sys != 0 {
		defer b.CloseComputeSystem(sys)
	}

	var other handle
	err = optional(hcsOpenComputeSystemInNamespace(nil, id16, genericAll, &other))
	switch {
	case absent("HcsOpenComputeSystemInNamespace", err):
	case err != nil && sys != 0:
		t.Errorf("HcsOpenComputeSystemInNamespace: %v", err)
	}
	if other != 0 {
		b.CloseComputeSystem(other)
	}

	q16, _ := winstr.Ptr(`{"Ids":["` + id + `"]}`)
	o = newOp(t, b)
	err = optional(hcsEnumerateComputeSystemsInNamespace(nil, q16, o.h))
	switch {
	case absent("HcsEnumerateComputeSystemsInNamespace", err):
	case err != nil:
		t.Errorf("HcsEnumerateComputeSystemsInNamespace: %v", err)
	default:
		o.wait(t)
		doc, err := b.GetOperationResult(o.h)
		must(t, "enumerate in namespace", doc, err)
	}
	o.close(b)
}

// A missing optional export is an error wrapping errors.ErrUnsupported, not
// a panic. The test points an optional binding at an export that does not
// exist, through the generated code path.
func TestMissingOptionalExport(t *testing.T) {
	b, err := Backend()
	if err != nil {
		t.Skipf("computecore.dll not loadable: %v", err)
	}
	saved := procHcsGrantVmGroupAccess
	procHcsGrantVmGroupAccess = modcomputecore.NewProc("HcsNoSuchEntryPointForTests")
	defer func() { procHcsGrantVmGroupAccess = saved }()
	err = b.GrantVMGroupAccess(`C:\x.vmgs`)
	if !isUnsupported(err) {
		t.Fatalf("GrantVMGroupAccess through a missing export: %v, want ErrUnsupported", err)
	}
	if !strings.Contains(err.Error(), "HcsNoSuchEntryPointForTests") {
		t.Errorf("error does not name the entry point: %v", err)
	}
	if errnoOf(err) != 0 {
		t.Errorf("error %v also carries an HRESULT (%#x)", err, errnoOf(err))
	}
}

// An event fired by HCS after its handle was closed reaches the trampoline
// and goes no further.
func TestLateEventDropped(t *testing.T) {
	b := mock(t)
	mockctl.FireLateEvents(true)
	for range 10 {
		sys := createSystem(t, b, newID("late"))
		ctx, _ := disp.newEventContext()
		if err := b.SetComputeSystemCallback(sys, backend.EventOptionNone, ctx); err != nil {
			t.Fatal(err)
		}
		before := dropped.Load()
		b.CloseComputeSystem(sys)
		// The dispatcher still knows ctx: were the event dispatched, it would
		// land in its channel, and the mock cleanup would not complain. So
		// check the trampoline saw and dropped it.
		deadline := time.Now().Add(waitTimeout)
		for dropped.Load() == before {
			if time.Now().After(deadline) {
				t.Fatal("no late event arrived after close")
			}
			time.Sleep(time.Millisecond)
		}
		disp.mu.Lock()
		n := len(disp.events[ctx])
		disp.mu.Unlock()
		if n != 0 {
			t.Errorf("%d events dispatched after close", n)
		}
		disp.forget(ctx)
	}
}
