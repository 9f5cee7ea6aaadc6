package conformance

import (
	"errors"
	"testing"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/schema"
)

// Scenarios of what real HCS does according to the comments of Microsoft's
// own client, hcsshim, and that a kind fake never does. The simulator and
// the mock model each; on real HCS they cannot be provoked, so these need
// fault injection.

func init() {
	scenarios = append(scenarios, []scenario{
		{name: "CreateProcessFailsWhileRunning", fake: true, faults: true, run: createProcessFailsRunning},
		{name: "KillLearnsUnreportedExit", fake: true, faults: true, run: killUnreportedExit},
		{name: "KillOfStoppedProcessAnswers", fake: true, faults: true, run: killStoppedAnswers},
		{name: "KillBehindPendingSignal", fake: true, faults: true, run: killBehindSignal},
		{name: "ProcessWaitSystemExitWithoutProcessExit", fake: true, faults: true, run: systemExitWithoutProcessExit},
	}...)
}

// processList returns the processes HCS lists for s.
func processList(t *testing.T, s *hcs.System) []schema.ProcessDetails {
	t.Helper()
	props, err := s.Properties(ctxT(t), schema.SystemPropertyTypeProcessList)
	if err != nil {
		t.Fatalf("Properties(ProcessList): %v", err)
	}
	return props.ProcessList
}

// createProcessFailsWhileRunning: HCS can fail a creation whose process
// runs (Windows Server 2022); the process must not outlive the failure.
func createProcessFailsRunning(t *testing.T, e *env) {
	s := e.running(t, "ws2022")
	e.faults.FailCreateProcessRunning(hcs.E_INVALIDARG)
	_, err := s.CreateProcess(ctxT(t), &schema.ProcessParameters{CommandLine: "wait", CreateStdOutPipe: schema.Ptr(true)})
	wantErr(t, err, hcs.ErrInvalidArgument, "create process")
	if err := e.h.Drain(ctxT(t)); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	for _, p := range processList(t, s) {
		t.Errorf("process %+v runs after its creation failed", p)
	}
}

// exitUnreported makes p exit, terminated through a handle of its own,
// without HCS sending ProcessExited.
func exitUnreported(t *testing.T, e *env, s *hcs.System, p *hcs.Process) {
	t.Helper()
	q, err := s.OpenProcess(ctxT(t), p.PID())
	if err != nil {
		t.Fatalf("OpenProcess: %v", err)
	}
	defer q.Close()
	e.faults.DropNextProcessExit()
	if err := q.Terminate(ctxT(t)); err != nil {
		t.Fatalf("Terminate: %v", err)
	}
	if p.ExitCode() != -1 {
		t.Fatalf("the exit was reported: exit code %d", p.ExitCode())
	}
}

// killUnreportedExit: HCS may send no ProcessExited, after a failed signal
// or termination (hcsshim force-unblocks its waits); Kill learns the exit.
func killUnreportedExit(t *testing.T, e *env) {
	s := e.running(t, "unreported")
	p := start(t, s, "wait", false, false)
	exitUnreported(t, e, s, p)
	if err := p.Kill(ctxT(t)); err != nil {
		t.Fatalf("Kill of a process that exited unreported: %v", err)
	}
	st, err := p.Wait(ctxT(t))
	if err != nil || st.ExitCode() != 1 {
		t.Fatalf("Wait: %v, %v; want exit code 1 (terminated)", st, err)
	}
}

// killStoppedAnswers: the termination of an exited process can fail with
// E_ACCESSDENIED or a legacy 0xC037xxxx code; Kill takes them as "already
// stopped" once the process's status confirms it.
func killStoppedAnswers(t *testing.T, e *env) {
	legacy := hcs.HRESULT(int32(-0x3FC8FEE1)) // 0xC037011F
	defer e.faults.StoppedProcessError(0)
	for _, hr := range []hcs.HRESULT{hcs.E_ACCESSDENIED, legacy} {
		t.Run(hr.String(), func(t *testing.T) {
			s := e.running(t, "answers")
			p := start(t, s, "wait", false, false)
			e.faults.StoppedProcessError(hr)
			exitUnreported(t, e, s, p)
			if err := p.Kill(ctxT(t)); err != nil {
				t.Fatalf("Kill answered %v: %v", hr, err)
			}
			if st, err := p.Wait(ctxT(t)); err != nil || st.ExitCode() != 1 {
				t.Fatalf("Wait: %v, %v", st, err)
			}
		})
	}
}

// killBehindSignal: HCS queues the calls on a process per system handle;
// Kill must not wait behind a signal HCS has not completed.
func killBehindSignal(t *testing.T, e *env) {
	s := e.running(t, "queued")
	p := start(t, s, "wait", false, false)
	e.holds(t)
	ctx, release := e.abandon(t, "HcsSignalProcess")
	defer release()
	wantAbandoned(t, ctx, p.Signal(ctx, &schema.SignalProcessOptions{Signal: schema.ProcessSignalCtrlBreak}), "signal")
	if err := p.Kill(ctxT(t)); err != nil {
		t.Fatalf("Kill behind a pending signal: %v", err)
	}
	if st, err := p.Wait(ctxT(t)); err != nil || st.ExitCode() != 1 {
		t.Fatalf("Wait: %v, %v; want exit code 1 (terminated)", st, err)
	}
	release()
}

// systemExitWithoutProcessExit: a system that exits may send its processes
// no ProcessExited (hcsshim's "container exited first"); their Wait and
// Run return all the same.
func systemExitWithoutProcessExit(t *testing.T, e *env) {
	ctx := ctxT(t)
	s := e.running(t, "first")
	p := start(t, s, "wait", false, false)
	e.faults.SystemExitDropsProcessExits(true)
	defer e.faults.SystemExitDropsProcessExits(false)
	if err := s.Terminate(ctx); err != nil {
		t.Fatalf("Terminate: %v", err)
	}
	st, err := p.Wait(ctx)
	switch {
	case st == nil:
		t.Fatalf("Wait: %v, want a state", err)
	case err == nil && st.ExitCode() != 1:
		t.Fatalf("Wait: %v, want exit code 1 (terminated with its system)", st)
	case err != nil && (!errors.Is(err, hcs.ErrUnexpectedExit) || st.ExitCode() != -1):
		t.Fatalf("Wait: %v, %v; want an unknown exit code with ErrUnexpectedExit", st, err)
	}
}
