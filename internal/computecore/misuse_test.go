//go:build windows

package computecore

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

// misuse runs call, which must be stopped by the mock as a handle misuse:
// the hook of package mockctl panics with a *mockctl.Misuse in the calling
// goroutine. It checks the diagnostic has every fragment of want.
func misuse(t *testing.T, what string, call func(), want ...string) {
	t.Helper()
	var got *mockctl.Misuse
	func() {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			m, ok := r.(*mockctl.Misuse)
			if !ok {
				panic(r)
			}
			got = m
		}()
		call()
	}()
	if got == nil {
		t.Errorf("%s: the call returned; want it stopped as a handle misuse", what)
		return
	}
	for _, w := range want {
		if !strings.Contains(got.Diagnostic, w) {
			t.Errorf("%s: diagnostic lacks %q:\n%s", what, w, got.Diagnostic)
		}
	}
}

func hex(h backend.Handle) string { return fmt.Sprintf("0x%X", uintptr(h)) }

// A call on a NULL, bogus, closed or wrong-kind handle crashes real
// computecore.dll; the mock stops it with a diagnostic naming the call, the
// handle, and what closed it when, instead of returning E_HANDLE.
func TestHandleMisuseIsFatal(t *testing.T) {
	b := mock(t)
	_, sys := startedSystem(t, b)
	op := newOp(t, b)
	defer op.close(b)

	misuse(t, "bogus system handle", func() { _ = b.StartComputeSystem(0x7777_0000, op.h, "") },
		"HcsStartComputeSystem called with HCS_SYSTEM 0x77770000, which this DLL never handed out",
		"in "+t.Name())
	misuse(t, "NULL operation", func() { _ = b.EnumerateComputeSystems("", 0) },
		"HcsEnumerateComputeSystems called with a NULL HCS_OPERATION")
	misuse(t, "operation as a system", func() { _ = b.PauseComputeSystem(op.h, op.h, "") },
		"HcsPauseComputeSystem called with HCS_SYSTEM "+hex(op.h)+", which is an open HCS_OPERATION")

	closed := createSystem(t, b, newID("closed"))
	b.CloseComputeSystem(closed)
	misuse(t, "closed system handle", func() { _ = b.GetComputeSystemProperties(closed, op.h, "") },
		"HcsGetComputeSystemProperties called with HCS_SYSTEM "+hex(closed)+", which is closed: HcsCloseComputeSystem closed it",
		"s before this call")
	misuse(t, "system handle closed twice", func() { b.CloseComputeSystem(closed) },
		"HcsCloseComputeSystem called with HCS_SYSTEM "+hex(closed)+", which is closed")

	p := startProcess(t, b, sys, processParams("wait", false, false, false))
	ph, err := b.OpenProcess(sys, p.info.PID)
	if err != nil {
		t.Fatalf("OpenProcess: %v", err)
	}
	b.CloseProcess(ph)
	misuse(t, "closed process handle", func() { _ = b.TerminateProcess(ph, op.h, "") },
		"HcsTerminateProcess called with HCS_PROCESS "+hex(ph)+", which is closed: HcsCloseProcess closed it")
	misuse(t, "process handle closed twice", func() { b.CloseProcess(ph) }, "HcsCloseProcess called with HCS_PROCESS")

	gone := newOp(t, b)
	gone.close(b)
	misuse(t, "closed operation", func() { _, _ = b.GetOperationResult(gone.h) },
		"HcsGetOperationResult called with HCS_OPERATION "+hex(gone.h)+", which is closed: HcsCloseOperation closed it")
	misuse(t, "closed operation passed to a call", func() { _ = b.StartComputeSystem(sys, gone.h, "") },
		"HcsStartComputeSystem called with HCS_OPERATION "+hex(gone.h)+", which is closed")
	misuse(t, "operation closed twice", func() { b.CloseOperation(gone.h) }, "HcsCloseOperation called with HCS_OPERATION")

	// The system and the operation still work: nothing was left locked or
	// half done by the calls that were stopped.
	doc, err := do(t, b, func(o backend.Handle) error { return b.PauseComputeSystem(sys, o, "") })
	must(t, "Pause after the misuses", doc, err)
}

// A handle MockReset dropped is closed like any other: a test that uses a
// handle of an earlier one is told so.
func TestHandleMisuseAfterReset(t *testing.T) {
	b := mock(t)
	sys := createSystem(t, b, newID("reset"))
	mockctl.Reset()
	misuse(t, "handle dropped by MockReset", func() { b.CloseComputeSystem(sys) },
		"HcsCloseComputeSystem called with HCS_SYSTEM "+hex(sys)+", which is closed: MockReset closed it")
}

// Without mockctl's hook, a misuse ends the process with the diagnostic on
// stderr and STATUS_INVALID_HANDLE, as a crash of computecore.dll would.
// The child is this test binary running TestHandleMisuseChild.
func TestHandleMisuseWithoutHook(t *testing.T) {
	if why := mockctl.Why(); why != "" {
		t.Skip("needs the mock computecore.dll installed by the Wine harness: " + why)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestHandleMisuseChild$", "-test.v")
	cmd.Env = append(os.Environ(), "HCS_MISUSE_CHILD=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || uint32(ee.ExitCode()) != 0xC0000008 {
		t.Fatalf("child: %v, want exit status 0xC0000008 (STATUS_INVALID_HANDLE)\n%s", err, out)
	}
	for _, want := range []string{
		"hcsmock: FATAL: HcsCloseOperation called with HCS_OPERATION",
		"which is closed: HcsCloseOperation closed it",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "second close returned") {
		t.Errorf("the second close returned:\n%s", out)
	}
}

// TestHandleMisuseChild closes an operation twice without the hook of
// package mockctl (it never asks mockctl.Why). Only TestHandleMisuseWithoutHook
// runs it.
func TestHandleMisuseChild(t *testing.T) {
	if os.Getenv("HCS_MISUSE_CHILD") != "1" {
		t.Skip("the child of TestHandleMisuseWithoutHook")
	}
	if _, err := Backend(); err != nil {
		t.Fatal(err)
	}
	op := hcsCreateOperation(0, 0)
	hcsCloseOperation(op)
	hcsCloseOperation(op)
	t.Fatal("second close returned")
}
