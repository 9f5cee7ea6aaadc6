//go:build windows

package computecore

import (
	"testing"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

// HCS serializes the signals (terminations included) sent to a process per
// compute system handle (hcsshim, internal/hcs/process.go, Kill): a
// TerminateProcess waits behind a pending SignalProcess issued through the
// same system handle, and runs at once through another one.
func TestProcessControlQueue(t *testing.T) {
	b := mock(t)
	id, sys := startedSystem(t, b)
	p := startProcess(t, b, sys, processParams("wait", false, false, false))
	other := startProcess(t, b, sys, processParams("wait", false, false, false))

	mockctl.HoldNext("HcsSignalProcess")
	sig := newOp(t, b)
	defer sig.close(b)
	if err := b.SignalProcess(p.h, sig.h, ""); err != nil {
		t.Fatalf("SignalProcess: %v", err)
	}
	term := newOp(t, b)
	defer term.close(b)
	if err := b.TerminateProcess(p.h, term.h, ""); err != nil {
		t.Fatalf("TerminateProcess: %v", err)
	}

	// Another process, through the same system handle: not queued.
	doc, err := do(t, b, func(op backend.Handle) error { return b.TerminateProcess(other.h, op, "") })
	must(t, "TerminateProcess of another process", doc, err)
	if code := other.exitCode(t); code != 1 {
		t.Errorf("other process: exit code %d, want 1", code)
	}

	// The same process through a second system handle, as hcsshim's Kill
	// does: not queued either.
	sys2, err := b.OpenComputeSystem(id)
	if err != nil {
		t.Fatalf("OpenComputeSystem: %v", err)
	}
	defer b.CloseComputeSystem(sys2)
	p2, err := b.OpenProcess(sys2, p.info.PID)
	if err != nil {
		t.Fatalf("OpenProcess: %v", err)
	}
	defer b.CloseProcess(p2)
	doc, err = do(t, b, func(op backend.Handle) error { return b.TerminateProcess(p2, op, "") })
	must(t, "TerminateProcess through a second system handle", doc, err)
	if code := p.exitCode(t); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}

	// The held signal and the terminate queued behind it are still
	// pending: nothing but the release can complete them.
	_, err = b.GetOperationResult(sig.h)
	wantErr(t, "held SignalProcess", err, hrPending)
	_, err = b.GetOperationResult(term.h)
	wantErr(t, "TerminateProcess queued behind it", err, hrPending)

	mockctl.ReleaseHeld()
	sig.wait(t)
	_, err = b.GetOperationResult(sig.h)
	wantErr(t, "released SignalProcess of an exited process", err, hrProcessStopped)
	term.wait(t)
	_, err = b.GetOperationResult(term.h)
	wantErr(t, "queued TerminateProcess of an exited process", err, hrProcessStopped)
}

// A call queued behind another runs once that one completes, in order.
func TestProcessControlQueueOrder(t *testing.T) {
	b := mock(t)
	_, sys := startedSystem(t, b)
	p := startProcess(t, b, sys, processParams("wait", false, false, false))

	mockctl.HoldNext("HcsGetProcessProperties") // not a control call: not queued
	props := newOp(t, b)
	defer props.close(b)
	if err := b.GetProcessProperties(p.h, props.h, ""); err != nil {
		t.Fatalf("GetProcessProperties: %v", err)
	}
	mockctl.HoldNext("HcsSignalProcess")
	sig := newOp(t, b)
	defer sig.close(b)
	if err := b.SignalProcess(p.h, sig.h, `{"Signal":"CtrlBreak"}`); err != nil {
		t.Fatalf("SignalProcess: %v", err)
	}
	term := newOp(t, b)
	defer term.close(b)
	if err := b.TerminateProcess(p.h, term.h, ""); err != nil {
		t.Fatalf("TerminateProcess: %v", err)
	}
	mockctl.ReleaseHeld()
	props.wait(t)
	sig.wait(t)
	doc, err := b.GetOperationResult(sig.h)
	must(t, "SignalProcess, first in the queue", doc, err)
	term.wait(t)
	_, err = b.GetOperationResult(term.h)
	wantErr(t, "TerminateProcess after the signal ended the process", err, hrProcessStopped)
	if code := p.exitCode(t); code != 0xC000013A {
		t.Errorf("exit code %#x, want 0xC000013A (the signal ran first)", code)
	}
}
