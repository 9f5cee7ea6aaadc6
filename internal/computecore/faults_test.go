//go:build windows

package computecore

import (
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

// The faults of real HCS that hcsshim's comments record, as the mock
// produces them on demand (mockctl), seen through the FFI.

// noEvent fails the test if ch holds an event. The mock delivers the events
// a call causes before the call's completion, on the same thread, so once a
// call's completion was seen, an event it caused is already in ch.
func noEvent(t *testing.T, what string, ch <-chan backend.Event) {
	t.Helper()
	select {
	case e := <-ch:
		t.Errorf("%s: event %#x %q, want none", what, e.Type, e.Data)
	default:
	}
}

// status reads the process's status through GetProcessProperties.
func status(t *testing.T, b backend.Backend, h backend.Handle) processStatus {
	t.Helper()
	doc, err := do(t, b, func(op backend.Handle) error { return b.GetProcessProperties(h, op, "") })
	must(t, "GetProcessProperties", doc, err)
	var st processStatus
	decode(t, "process status", doc, &st)
	return st
}

// The create-process operation fails (E_INVALIDARG) while the process runs
// (Windows Server 2022, hcsshim internal/hcs/v2/system.go createProcess):
// the handle is live, and HcsGetProcessInfo gives the pid and the pipes.
func TestFailCreateProcessRunning(t *testing.T) {
	b := mock(t)
	_, sys := startedSystem(t, b)
	mockctl.FailCreateProcessRunning(0x80070057) // E_INVALIDARG

	o := newOp(t, b)
	defer o.close(b)
	h, err := b.CreateProcess(sys, processParams("cat", true, true, false), o.h)
	if err != nil {
		t.Fatalf("CreateProcess: %v", err)
	}
	defer b.CloseProcess(h)
	ctx, events := disp.newEventContext()
	defer disp.forget(ctx)
	if err := b.SetProcessCallback(h, backend.EventOptionNone, ctx); err != nil {
		t.Fatalf("SetProcessCallback: %v", err)
	}
	o.wait(t)
	info, doc, err := b.GetOperationResultAndProcessInfo(o.h)
	wantErr(t, "create process operation", err, hrInvalidArg)
	if !strings.Contains(doc, `"Error"`) {
		t.Errorf("failed create without a ResultError: %q", doc)
	}
	if info.Stdin != nil || info.Stdout != nil || info.Stderr != nil {
		closeInfo(info)
		t.Errorf("failed create gave streams: %+v", info)
	}
	if st := status(t, b, h); st.Exited || st.ProcessId == 0 {
		t.Fatalf("status after the failed create: %+v, want a running process", st)
	}

	// Recovery as hcsshim does it: HcsGetProcessInfo.
	o2 := newOp(t, b)
	defer o2.close(b)
	if err := b.GetProcessInfo(h, o2.h); err != nil {
		t.Fatalf("GetProcessInfo: %v", err)
	}
	o2.wait(t)
	info, doc, err = b.GetOperationResultAndProcessInfo(o2.h)
	must(t, "GetProcessInfo", doc, err)
	defer closeInfo(info)
	if info.PID == 0 || info.Stdin == nil || info.Stdout == nil || info.Stderr != nil {
		t.Fatalf("GetProcessInfo = %+v, want pid, stdin and stdout", info)
	}
	if _, err := io.WriteString(info.Stdin, "still here"); err != nil {
		t.Fatalf("write: %v", err)
	}
	info.Stdin.Close()
	if out := readAll(t, "stdout", info.Stdout); out != "still here" {
		t.Errorf("cat copied %q", out)
	}
	e := waitEvent(t, events, backend.EventProcessExited)
	var st processStatus
	decode(t, "ProcessExited", e.Data, &st)
	if st.ProcessId != info.PID || st.ExitCode != 0 {
		t.Errorf("ProcessExited %+v for pid %d", st, info.PID)
	}

	// The knob acts once.
	p := startProcess(t, b, sys, processParams("echo ok", false, true, false))
	if out := readAll(t, "stdout", p.info.Stdout); out != "ok\r\n" {
		t.Errorf("next create: stdout %q", out)
	}
}

// ProcessExited may never come (hcsshim force-unblocks its wait after a
// failed signal or terminate). The exit is still recorded.
func TestDropNextProcessExit(t *testing.T) {
	b := mock(t)
	_, sys := startedSystem(t, b)
	p := startProcess(t, b, sys, processParams("wait", false, false, false))
	mockctl.DropNextProcessExit()
	doc, err := do(t, b, func(op backend.Handle) error { return b.TerminateProcess(p.h, op, "") })
	must(t, "TerminateProcess", doc, err)
	noEvent(t, "process exit with the event dropped", p.events)
	if st := status(t, b, p.h); !st.Exited || st.ExitCode != 1 {
		t.Errorf("status %+v, want exited with 1", st)
	}

	// Only the next exit.
	q := startProcess(t, b, sys, processParams("wait", false, false, false))
	doc, err = do(t, b, func(op backend.Handle) error { return b.TerminateProcess(q.h, op, "") })
	must(t, "TerminateProcess", doc, err)
	if code := q.exitCode(t); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
}

// Calls on an exited process fail with E_ACCESSDENIED on some hosts and
// with the legacy 0xC037011F on older ones (hcsshim internal/hcs/process.go
// Kill), not always HCS_E_PROCESS_ALREADY_STOPPED.
func TestStoppedProcessError(t *testing.T) {
	b := mock(t)
	_, sys := startedSystem(t, b)
	p := startProcess(t, b, sys, processParams("exit 3", false, false, false))
	if code := p.exitCode(t); code != 3 {
		t.Fatalf("exit code %d", code)
	}
	calls := map[string]func(op backend.Handle) error{
		"TerminateProcess": func(op backend.Handle) error { return b.TerminateProcess(p.h, op, "") },
		"SignalProcess":    func(op backend.Handle) error { return b.SignalProcess(p.h, op, "") },
		"ModifyProcess": func(op backend.Handle) error {
			return b.ModifyProcess(p.h, op, `{"Operation":"ConsoleSize","ConsoleSize":{"Height":25,"Width":80}}`)
		},
		"GetProcessInfo": func(op backend.Handle) error { return b.GetProcessInfo(p.h, op) },
	}
	for _, c := range []struct {
		set  uint32
		want syscall.Errno
	}{
		{0x80070005, 5},          // E_ACCESSDENIED, unwrapped to ERROR_ACCESS_DENIED
		{0xC037011F, 0xC037011F}, // ERROR_VMCOMPUTE_PROCESS_ALREADY_STOPPED (legacy)
		{0, hrProcessStopped},    // reset
	} {
		mockctl.StoppedProcessError(c.set)
		for name, call := range calls {
			_, err := do(t, b, call)
			wantErr(t, fmt.Sprintf("%s of an exited process with StoppedProcessError(%#x)", name, c.set), err, c.want)
		}
	}
}

// A system's exit may leave its processes without ProcessExited (hcsshim:
// "container exited first"). Their status says they exited.
func TestSystemExitDropsProcessExits(t *testing.T) {
	b := mock(t)
	for _, drop := range []bool{true, false} {
		mockctl.SystemExitDropsProcessExits(drop)
		_, sys := startedSystem(t, b)
		ctx, sysEvents := disp.newEventContext()
		if err := b.SetComputeSystemCallback(sys, backend.EventOptionNone, ctx); err != nil {
			t.Fatal(err)
		}
		p := startProcess(t, b, sys, processParams("wait", false, false, false))
		doc, err := do(t, b, func(op backend.Handle) error { return b.TerminateComputeSystem(sys, op, "") })
		must(t, "TerminateComputeSystem", doc, err)
		waitEvent(t, sysEvents, backend.EventSystemExited)
		if drop {
			// The processes' events are queued before SystemExited.
			noEvent(t, "process of an exited system", p.events)
		} else if code := p.exitCode(t); code != 1 {
			t.Errorf("exit code %d, want 1", code)
		}
		if st := status(t, b, p.h); !st.Exited {
			t.Errorf("drop=%t: status %+v, want exited", drop, st)
		}
		disp.forget(ctx)
	}
}
