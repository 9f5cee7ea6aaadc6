package hcssim_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"strings"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
	"github.com/gohcs/hcs/schema"
)

// config is a minimal container configuration: the simulator needs only
// Container or VirtualMachine, and reads Owner.
const config = `{"Owner":"example","SchemaVersion":{"Major":2,"Minor":1},"Container":{}}`

// The simulator stands in for HCS in a test: the code under test gets a
// *hcs.Host and cannot tell the difference.
func Example() {
	sim := hcssim.New(hcssim.WithLatency(time.Millisecond))
	defer sim.Close()
	host := sim.Host()
	ctx := context.Background()

	sys, err := host.CreateSystem(ctx, "web1", config)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Start(ctx); err != nil {
		log.Fatal(err)
	}
	var out bytes.Buffer
	state, err := sys.Run(ctx, &hcs.Cmd{Args: []string{"cmd", "/c", "echo", "hello"}, Stdout: &out})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q, exit code %d\n", out.String(), state.ExitCode())
	if err := sys.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	status, err := sys.Wait(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(status.ExitType)
	// Output:
	// "hello\r\n", exit code 0
	// GracefulExit
}

// Fault injection makes HCS fail the way a test needs: here the next start
// fails as it does on a host whose Windows version does not match the
// container image.
func ExampleSim_FailNext() {
	sim := hcssim.New()
	defer sim.Close()
	ctx := context.Background()
	sys, err := sim.Host().CreateSystem(ctx, "web1", config)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()

	sim.FailNext(hcssim.CallStart, hcs.HCS_E_IMAGE_MISMATCH, "the image is for another Windows version")
	err = sys.Start(ctx)
	fmt.Println(errors.Is(err, hcs.ErrImageMismatch))
	var hr hcs.HRESULT
	if errors.As(err, &hr) {
		fmt.Println(hr.String())
	}
	fmt.Println(sys.Start(ctx)) // the fault is used up
	// Output:
	// true
	// HCS_E_IMAGE_MISMATCH (0x80370101)
	// <nil>
}

// RejectNext refuses a call the way HCS does before starting it: the
// HRESULT alone, with no result document. FailNext lets the call start and
// fails its operation, which comes with a document naming the call and the
// system.
func ExampleSim_RejectNext() {
	sim := hcssim.New()
	defer sim.Close()
	ctx := context.Background()
	sys, err := sim.Host().CreateSystem(ctx, "web1", config)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()

	var e *hcs.Error
	sim.RejectNext(hcssim.CallStart, hcs.E_ACCESSDENIED)
	err = sys.Start(ctx)
	fmt.Println("rejected:", errors.Is(err, hcs.E_ACCESSDENIED), "result document:", errors.As(err, &e) && e.Result != nil)

	sim.FailNext(hcssim.CallStart, hcs.E_ACCESSDENIED, "")
	err = sys.Start(ctx)
	fmt.Println("failed:", errors.Is(err, hcs.E_ACCESSDENIED), "result document:", errors.As(err, &e) && e.Result != nil)
	fmt.Println(e.Result.ErrorMessage)

	fmt.Println(sys.Start(ctx)) // both faults are used up
	// Output:
	// rejected: true result document: false
	// failed: true result document: true
	// HcsStartComputeSystem "web1": Access is denied
	// <nil>
}

// A system that dies while a call is pending: the call fails with an error
// matching ErrUnexpectedExit and Wait reports the unexpected exit.
func ExampleSim_ExitDuringNext() {
	sim := hcssim.New()
	defer sim.Close()
	ctx := context.Background()
	sys, err := sim.Host().CreateSystem(ctx, "web1", config)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()

	sim.ExitDuringNext(hcssim.CallStart)
	err = sys.Start(ctx)
	fmt.Println(errors.Is(err, hcs.ErrUnexpectedExit))
	status, err := sys.Wait(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(status.ExitType)
	// Output:
	// true
	// UnexpectedExit
}

// While the service is disconnected, every call fails with an error
// matching ErrServiceDisconnect.
func ExampleSim_Disconnect() {
	sim := hcssim.New()
	defer sim.Close()
	host := sim.Host()
	ctx := context.Background()

	sim.Disconnect()
	_, err := host.ListByOwner(ctx, "example")
	fmt.Println(errors.Is(err, hcs.ErrServiceDisconnect))
	sim.Reconnect()
	systems, err := host.ListByOwner(ctx, "example")
	fmt.Println(len(systems), err)
	// Output:
	// true
	// 0 <nil>
}

// Users script the programs their code runs in a compute system. This one
// reads its input, answers on stdout, and exits 3 when asked to fail.
func ExampleSim_HandleCommand() {
	sim := hcssim.New()
	defer sim.Close()
	sim.HandleCommand("shout", func(ctx context.Context, p *hcssim.ProcessIO) uint32 {
		in, err := io.ReadAll(p.Stdin)
		if err != nil {
			return 1
		}
		fmt.Fprintf(p.Stdout, "%s!\n", strings.ToUpper(string(in)))
		if len(p.Args) > 1 && p.Args[1] == "--fail" {
			fmt.Fprintln(p.Stderr, "failing as asked")
			return 3
		}
		return 0
	})

	ctx := context.Background()
	sys, err := sim.Host().CreateSystem(ctx, "web1", config)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Start(ctx); err != nil {
		log.Fatal(err)
	}
	var out, errOut bytes.Buffer
	state, err := sys.Run(ctx, &hcs.Cmd{
		Args:   []string{"shout.exe", "--fail"},
		Stdin:  strings.NewReader("hello"),
		Stdout: &out,
		Stderr: &errOut,
	})
	var exitErr *hcs.ExitError
	fmt.Println(errors.As(err, &exitErr), state.ExitCode())
	fmt.Print(out.String(), errOut.String())
	// Output:
	// true 3
	// HELLO!
	// failing as asked
}

// A scripted program can wait for a signal and see which one it got.
func ExampleSignalError() {
	sim := hcssim.New()
	defer sim.Close()
	got := make(chan schema.ProcessSignal, 1)
	sim.HandleCommand("server", func(ctx context.Context, p *hcssim.ProcessIO) uint32 {
		<-ctx.Done()
		var sig *hcssim.SignalError
		if errors.As(context.Cause(ctx), &sig) {
			got <- sig.Signal
			return 0 // a graceful stop
		}
		return 1
	})

	ctx := context.Background()
	sys, err := sim.Host().CreateSystem(ctx, "web1", config)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Start(ctx); err != nil {
		log.Fatal(err)
	}
	p, err := sys.CreateProcess(ctx, &schema.ProcessParameters{CommandLine: "server"})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	if err := p.Signal(ctx, &schema.SignalProcessOptions{Signal: schema.ProcessSignalCtrlBreak}); err != nil {
		log.Fatal(err)
	}
	state, err := p.Wait(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-got, state.ExitCode())
	// Output:
	// CtrlBreak 0
}

// A test checks at the end that the code under test closed everything it
// opened, and waits for background cleanups first.
func ExampleSim_LiveHandles() {
	sim := hcssim.New()
	defer sim.Close()
	host := sim.Host()
	ctx := context.Background()
	sys, err := host.CreateSystem(ctx, "web1", config)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sim.LiveHandles())
	sys.Close()
	if err := sim.WaitIdle(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println(sim.LiveHandles())
	// Output:
	// 1
	// 0
}

// Systems shows the simulator's state, as a test sees it.
func ExampleSim_Systems() {
	sim := hcssim.New()
	defer sim.Close()
	ctx := context.Background()
	sys, err := sim.Host().CreateSystem(ctx, "web1", config)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Start(ctx); err != nil {
		log.Fatal(err)
	}
	for _, info := range sim.Systems() {
		fmt.Println(info.ID, info.Owner, info.Type, info.State, info.Handles)
	}
	// Output:
	// web1 example Container Running 1
}

// Operations can be made slow, all of them or the next one of a kind, to
// test timeouts and cancellation.
func ExampleSim_DelayNext() {
	sim := hcssim.New()
	defer sim.Close()
	host := sim.Host()
	sim.DelayNext(hcssim.CallCreateSystem, 100*time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := host.CreateSystem(ctx, "slow", config)
	fmt.Println(errors.Is(err, context.DeadlineExceeded))

	// The creation completes in the background, and package hcs terminates
	// and closes the system nobody is waiting for.
	if err := host.Drain(context.Background()); err != nil {
		log.Fatal(err)
	}
	if err := sim.WaitIdle(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(sim.Systems()), sim.LiveHandles())
	// Output:
	// true
	// 0 0
}

// HoldNext orders a test's events without sleeping: the caller gives up on
// a call once HCS has it, and only then does HCS complete it. Package hcs
// finishes the abandoned call in the background; Drain waits for that.
func ExampleSim_HoldNext() {
	sim := hcssim.New()
	defer sim.Close()
	host := sim.Host()
	sys, err := host.CreateSystem(context.Background(), "web1", config)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()

	hold := sim.HoldNext(hcssim.CallStart)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-hold.Made() // HCS has the start: give up on it
		cancel()
	}()
	err = sys.Start(ctx)
	fmt.Println(errors.Is(err, context.Canceled))
	hold.Release()
	if err := host.Drain(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println(sim.Systems()[0].State) // the abandoned start took effect
	// Output:
	// true
	// Running
}

// HCS may send no ProcessExited for a process (hcsshim reports it after a
// failed signal, and when a container exits first). A runtime's Wait must
// not hang then: Kill asks HCS for the status and records the exit.
func ExampleSim_DropNextProcessExit() {
	sim := hcssim.New()
	defer sim.Close()
	ctx := context.Background()
	sys, err := sim.Host().CreateSystem(ctx, "web1", config)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Start(ctx); err != nil {
		log.Fatal(err)
	}
	p, err := sys.CreateProcess(ctx, &schema.ProcessParameters{CommandLine: "wait"})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	// The process is terminated through another handle, and no
	// ProcessExited comes.
	other, err := sys.OpenProcess(ctx, p.PID())
	if err != nil {
		log.Fatal(err)
	}
	sim.DropNextProcessExit()
	if err := other.Terminate(ctx); err != nil {
		log.Fatal(err)
	}
	other.Close()

	fmt.Println(p.ExitCode()) // not known yet
	if err := p.Kill(ctx); err != nil {
		log.Fatal(err)
	}
	state, err := p.Wait(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(state)
	// Output:
	// -1
	// exit status 1
}

// A seed makes the simulator's random choices (the order of a completion
// and its events, the reuse of handle values, the end of a process's
// output) repeat: log it when a test fails, and run the test again with
// it, here or through the HCSSIM_SEED environment variable.
func ExampleWithSeed() {
	sim := hcssim.New(hcssim.WithSeed(42))
	defer sim.Close()
	fmt.Println(sim.Seed())
	// Output:
	// 42
}

// HCS can fail a process creation while the process runs (hcsshim reports
// E_INVALIDARG on Windows Server 2022). CreateProcess returns the error and
// terminates the process, in the background: nothing is orphaned.
func ExampleSim_FailNextCreateProcessRunning() {
	sim := hcssim.New()
	defer sim.Close()
	host := sim.Host()
	ctx := context.Background()
	sys, err := host.CreateSystem(ctx, "web1", config)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Start(ctx); err != nil {
		log.Fatal(err)
	}

	sim.FailNextCreateProcessRunning(hcs.E_INVALIDARG)
	_, err = sys.CreateProcess(ctx, &schema.ProcessParameters{CommandLine: "wait"})
	fmt.Println(errors.Is(err, hcs.ErrInvalidArgument))
	if err := host.Drain(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println(sim.Systems()[0].Processes, "processes running")
	// Output:
	// true
	// 0 processes running
}
