package hcs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
	"github.com/gohcs/hcs/schema"
)

// Regression tests of processes, and of what real HCS does that a kind
// simulator would not: the simulator models each behaviour hcsshim's
// comments report.

func startWait(t *testing.T, s *hcs.System) *hcs.Process {
	t.Helper()
	p, err := s.CreateProcess(context.Background(), &schema.ProcessParameters{CommandLine: "wait"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestCreateProcessReturnsWhileOrphanTerminates is the regression test of
// a CreateProcess whose status read failed and which then terminated the
// new process on the caller's goroutine, for up to two minutes.
func TestCreateProcessReturnsWhileOrphanTerminates(t *testing.T) {
	sim := newSim(t)
	h := sim.Host()
	s := runningSystem(t, h, "orphan")
	sim.FailNext(hcssim.CallGetProcessProperties, hcs.E_FAIL, "injected")
	terminate := sim.HoldNext(hcssim.CallTerminateProcess)
	defer terminate.Release()
	var err error
	returns(t, "CreateProcess, while HCS terminates the process it created", func() {
		_, err = s.CreateProcess(context.Background(), &schema.ProcessParameters{CommandLine: "wait"})
	})
	if !errors.Is(err, hcs.E_FAIL) {
		t.Errorf("CreateProcess: %v, want the status read's error", err)
	}
	terminate.Release()
	drain(t, h, sim)
	if n := sim.Systems()[0].Processes; n != 0 {
		t.Errorf("%d processes left running", n)
	}
}

// TestWaitSeesSystemExit is the regression test of a Process.Wait (and Run)
// that hung when the process's system exited and HCS sent no ProcessExited
// (hcsshim, cmd/containerd-shim-runhcs-v1/exec_hcs.go).
func TestWaitSeesSystemExit(t *testing.T) {
	t.Run("StatusKnown", func(t *testing.T) {
		sim := newSim(t)
		s := runningSystem(t, sim.Host(), "gone")
		sim.SystemExitDropsProcessExits(true)
		done := make(chan error, 1)
		var st *hcs.ProcessState
		// Run copies stdin once CreateProcess has returned: the system
		// exits while Run waits.
		running := make(chan struct{})
		stdin := readerFunc(func([]byte) (int, error) {
			close(running)
			return 0, io.EOF
		})
		go func() {
			var err error
			st, err = s.Run(waitCtx(t), &hcs.Cmd{Args: []string{"wait"}, Stdin: stdin})
			done <- err
		}()
		<-running
		if err := s.Terminate(context.Background()); err != nil {
			t.Fatal(err)
		}
		err := <-done
		// HCS still tells the process's status: terminated, exit code 1.
		var exit *hcs.ExitError
		if !errors.As(err, &exit) || st.ExitCode() != 1 {
			t.Fatalf("Run: %v, %v; want the exit code HCS reports", st, err)
		}
	})
	t.Run("StatusLost", func(t *testing.T) {
		sim := newSim(t)
		h, sp := spyHost(t, sim)
		s := runningSystem(t, h, "lost")
		p := startWait(t, s)
		sim.SystemExitDropsProcessExits(true)
		if err := s.Terminate(context.Background()); err != nil {
			t.Fatal(err)
		}
		// HCS cannot tell the status of a process whose system is gone.
		sp.failProperties = func() error { return hcs.HCS_E_SYSTEM_NOT_FOUND }
		st, err := p.Wait(waitCtx(t))
		if !errors.Is(err, hcs.ErrUnexpectedExit) || st == nil || st.ExitCode() != -1 {
			t.Fatalf("Wait: %v, %v; want a state with an unknown exit code and ErrUnexpectedExit", st, err)
		}
		if p.ExitCode() != -1 {
			t.Errorf("ExitCode = %d, want -1", p.ExitCode())
		}
		if st2, err2 := p.Wait(context.Background()); st2 == nil || !errors.Is(err2, hcs.ErrUnexpectedExit) {
			t.Errorf("second Wait: %v, %v; want the same answer", st2, err2)
		}
		if err := p.Kill(context.Background()); err != nil {
			t.Errorf("Kill of the lost process: %v", err)
		}
	})
}

// readerFunc is an io.Reader made of a function.
type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(b []byte) (int, error) { return f(b) }

// waitRunning waits until the simulator has n processes running.
func waitRunning(t *testing.T, sim *hcssim.Sim, n int) {
	t.Helper()
	ctx := waitCtx(t)
	for {
		if infos := sim.Systems(); len(infos) > 0 && infos[0].Processes == n {
			return
		}
		if err := sim.WaitIdle(ctx); err != nil {
			t.Fatalf("%d processes never ran: %v", n, err)
		}
	}
}

// TestKillBehindQueuedSignal checks that Kill and Terminate work while a
// signal HCS has not completed is queued on the process's handle: HCS runs
// the calls on a process one at a time per system handle (hcsshim,
// internal/hcs/process.go, Kill).
func TestKillBehindQueuedSignal(t *testing.T) {
	for _, kill := range []struct {
		name string
		do   func(*hcs.Process, context.Context) error
	}{{"Kill", (*hcs.Process).Kill}, {"Terminate", (*hcs.Process).Terminate}} {
		t.Run(kill.name, func(t *testing.T) {
			sim := newSim(t)
			h := sim.Host()
			s := runningSystem(t, h, "queued")
			p := startWait(t, s)
			signal := sim.HoldNext(hcssim.CallSignalProcess)
			defer signal.Release()
			if err := p.Signal(abandonOnceMade(t, signal), &schema.SignalProcessOptions{Signal: schema.ProcessSignalCtrlBreak}); !errors.Is(err, context.Canceled) {
				t.Fatalf("Signal: %v, want the context's error", err)
			}
			if err := kill.do(p, waitCtx(t)); err != nil {
				t.Fatalf("%s behind a pending signal: %v", kill.name, err)
			}
			if st, err := p.Wait(waitCtx(t)); err != nil || st.ExitCode() != 1 {
				t.Fatalf("Wait: %v, %v; want exit code 1 (terminated)", st, err)
			}
			signal.Release()
			drain(t, h, sim)
		})
	}
}

// TestKillOfExitedProcess checks that Kill takes every answer HCS gives to
// the termination of an exited process as "already stopped", and learns
// the exit HCS did not report (hcsshim, internal/hcs/process.go).
func TestKillOfExitedProcess(t *testing.T) {
	legacy := hcs.HRESULT(int32(-0x3FC8FEE1)) // 0xC037011F, HCS_E_PROCESS_ALREADY_STOPPED's legacy form
	for _, hr := range []hcs.HRESULT{hcs.HCS_E_PROCESS_ALREADY_STOPPED, legacy, hcs.E_ACCESSDENIED, hcs.ERROR_NOT_FOUND} {
		t.Run(hr.String(), func(t *testing.T) {
			sim := newSim(t)
			s := runningSystem(t, sim.Host(), "exited")
			sim.SetStoppedProcessError(hr)
			p := startWait(t, s)
			exitUnreported(t, sim, s, p)
			if err := p.Kill(waitCtx(t)); err != nil {
				t.Fatalf("Kill of an exited process answered %v: %v", hr, err)
			}
			if st, err := p.Wait(waitCtx(t)); err != nil || st.ExitCode() != 1 {
				t.Fatalf("Wait: %v, %v; want the exit HCS tells", st, err)
			}
		})
	}
	t.Run("StillRunning", func(t *testing.T) {
		// E_ACCESSDENIED for a process that runs is a real failure.
		sim := newSim(t)
		s := runningSystem(t, sim.Host(), "denied")
		p := startWait(t, s)
		sim.FailNext(hcssim.CallTerminateProcess, hcs.E_ACCESSDENIED, "denied")
		if err := p.Kill(waitCtx(t)); !errors.Is(err, hcs.E_ACCESSDENIED) {
			t.Fatalf("Kill: %v, want E_ACCESSDENIED", err)
		}
		if p.ExitCode() != -1 {
			t.Fatal("a refused Kill recorded an exit")
		}
	})
}

// TestSignalLearnsUnreportedExit checks that a failed signal to a process
// that exited without a ProcessExited event lets Wait return.
func TestSignalLearnsUnreportedExit(t *testing.T) {
	sim := newSim(t)
	s := runningSystem(t, sim.Host(), "signal")
	p := startWait(t, s)
	exitUnreported(t, sim, s, p)
	if err := p.Signal(waitCtx(t), nil); !errors.Is(err, hcs.ErrAlreadyStopped) {
		t.Fatalf("Signal: %v, want ErrAlreadyStopped", err)
	}
	if st, err := p.Wait(waitCtx(t)); err != nil || st.ExitCode() != 1 {
		t.Fatalf("Wait: %v, %v; want exit code 1 (terminated)", st, err)
	}
}

// exitUnreported terminates p through a handle of its own, and HCS sends
// no ProcessExited for it.
func exitUnreported(t *testing.T, sim *hcssim.Sim, s *hcs.System, p *hcs.Process) {
	t.Helper()
	q, err := s.OpenProcess(context.Background(), p.PID())
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	sim.DropNextProcessExit()
	if err := q.Terminate(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitRunning(t, sim, 0)
	if p.ExitCode() != -1 {
		t.Fatal("the process's exit was reported")
	}
}

// TestFailedCreateProcessTerminatesOrphan checks that a process HCS
// started although it failed the creation (Windows Server 2022, per
// hcsshim's internal/hcs/v2/system.go) does not outlive the failure.
func TestFailedCreateProcessTerminatesOrphan(t *testing.T) {
	sim := newSim(t)
	h := sim.Host()
	s := runningSystem(t, h, "ws2022")
	sim.FailNextCreateProcessRunning(hcs.E_INVALIDARG)
	_, err := s.CreateProcess(context.Background(), &schema.ProcessParameters{CommandLine: "wait", CreateStdOutPipe: schema.Ptr(true)})
	if !errors.Is(err, hcs.ErrInvalidArgument) {
		t.Fatalf("CreateProcess: %v, want E_INVALIDARG", err)
	}
	drain(t, h, sim)
	if n := sim.Systems()[0].Processes; n != 0 {
		t.Errorf("%d processes left running after the failed creation", n)
	}
	if n := sim.LiveHandles(); n != 1 {
		t.Errorf("%d handles open, want the system's", n)
	}
}

// TestUnrequestedPipeIsClosed checks that a pipe HCS hands out without
// being asked for it (an unrequested stream may come back as a handle) is
// closed rather than left for the process to fill.
func TestUnrequestedPipeIsClosed(t *testing.T) {
	sim := newSim(t)
	h, sp := spyHost(t, sim)
	s := runningSystem(t, h, "extra")
	sp.extraStdout = new(closeCounter)
	p := startWait(t, s)
	if p.Stdout() != nil {
		t.Error("Stdout() is not nil for a process that did not ask for it")
	}
	if n := sp.extraStdout.n.Load(); n != 1 {
		t.Errorf("the unrequested pipe was closed %d times, want 1", n)
	}
	if err := p.Kill(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestLeakedProcessKeepsHandleForPendingCall is the regression test of the
// garbage collector's backstop closing the handle of a Process nobody
// closed while HCS still had a call on it (defect 8, as
// TestLeakedSystemKeepsHandleForPendingCall for systems).
func TestLeakedProcessKeepsHandleForPendingCall(t *testing.T) {
	sim := newSim(t)
	logs := newLogSink()
	h := sim.Host(hcs.WithLogger(slog.New(logs)))
	s := runningSystem(t, h, "leakedproc")
	// A Process nobody closes, with a call HCS has not completed.
	var props *hcssim.Hold
	func() {
		p, err := s.CreateProcess(context.Background(), &schema.ProcessParameters{CommandLine: "wait"})
		if err != nil {
			t.Fatal(err)
		}
		// CreateProcess reads the status too: hold only the call below.
		props = sim.HoldNext(hcssim.CallGetProcessProperties)
		t.Cleanup(props.Release)
		if _, err := p.Properties(abandonOnceMade(t, props)); !errors.Is(err, context.Canceled) {
			t.Errorf("Properties: %v, want the context's error", err)
		}
	}()
	leakKeepsHandle(t, h, sim, props, logs, "process handle leaked")
}
