package hcs_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"strings"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
	"github.com/gohcs/hcs/schema"
)

// The examples run on the simulator; on Windows, use hcs.Local() instead.

func ExampleHost_CreateSystem() {
	sim := hcssim.New()
	defer sim.Close()
	host := sim.Host()
	ctx := context.Background()

	doc := &schema.ComputeSystem{
		Owner:         "example",
		SchemaVersion: &schema.Version{Major: schema.Ptr[uint32](2), Minor: schema.Ptr[uint32](1)},
		Container:     &schema.Container{},
	}
	sys, err := host.CreateSystem(ctx, "web1", doc)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Start(ctx); err != nil {
		log.Fatal(err)
	}
	props, err := sys.Properties(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(props.ID, props.SystemType, props.State)

	// A second system with the same id is refused.
	_, err = host.CreateSystem(ctx, "web1", doc)
	fmt.Println(errors.Is(err, hcs.ErrAlreadyExists))
	// Output:
	// web1 Container Running
	// true
}

func ExampleSystem_Wait() {
	sim := hcssim.New()
	defer sim.Close()
	ctx := context.Background()
	sys, err := sim.Host().CreateSystem(ctx, "job", `{"Owner":"example","Container":{}}`)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Start(ctx); err != nil {
		log.Fatal(err)
	}
	go sys.Shutdown(ctx)

	status, err := sys.Wait(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(status.ExitType, "failed:", status.Status.Failed())
	// Output: GracefulExit failed: false
}

func ExampleSystem_Events() {
	sim := hcssim.New()
	defer sim.Close()
	ctx := context.Background()
	sys, err := sim.Host().CreateSystem(ctx, "vm1", `{"Owner":"example","VirtualMachine":{}}`)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Start(ctx); err != nil {
		log.Fatal(err)
	}

	// Subscribe before acting: the subscription starts at the call.
	events := sys.Events(ctx)
	if err := sys.Crash(ctx, nil); err != nil {
		log.Fatal(err)
	}
	for ev := range events { // ends after the terminal SystemExited
		fmt.Println(ev.Type)
	}
	// Output:
	// SystemCrashInitiated
	// SystemCrashReport
	// SystemExited
}

// ParseExitStatus reads a SystemExited event's document into the ExitStatus
// that System.Wait returns, so a subscriber sees the same HRESULT and
// ExitType as a waiter.
func ExampleParseExitStatus() {
	sim := hcssim.New()
	defer sim.Close()
	ctx := context.Background()
	sys, err := sim.Host().CreateSystem(ctx, "job", `{"Owner":"example","Container":{}}`)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Start(ctx); err != nil {
		log.Fatal(err)
	}

	events := sys.Events(ctx)
	if err := sys.Terminate(ctx); err != nil {
		log.Fatal(err)
	}
	for ev := range events {
		if ev.Type == hcs.EventSystemExited {
			st := hcs.ParseExitStatus(ev.Data)
			fmt.Println(st.ExitType, "failed:", st.Status.Failed())
		}
	}

	// A document without an ExitType reads as Unknown, never "".
	fmt.Println(hcs.ParseExitStatus([]byte(`{"Status":0}`)).ExitType)
	// Output:
	// ForcedExit failed: false
	// Unknown
}

// A query selects by membership in each non-empty field; nil selects every
// system.
func ExampleHost_ListSystems() {
	sim := hcssim.New()
	defer sim.Close()
	host := sim.Host()
	ctx := context.Background()
	for _, s := range []struct{ id, doc string }{
		{"web1", `{"Owner":"ci-runner","Container":{}}`},
		{"web2", `{"Owner":"ci-runner","Container":{}}`},
		{"vm1", `{"Owner":"ci-runner","VirtualMachine":{}}`},
		{"db1", `{"Owner":"docker","Container":{}}`},
	} {
		sys, err := host.CreateSystem(ctx, s.id, s.doc)
		if err != nil {
			log.Fatal(err)
		}
		defer sys.Close()
	}

	// The containers of one owner: both fields must match.
	q := &schema.SystemQuery{Owners: []string{"ci-runner"}, Types: []schema.SystemType{schema.SystemTypeContainer}}
	systems, err := host.ListSystems(ctx, q)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range systems {
		fmt.Println(s.ID, s.Type, s.Owner, s.State)
	}

	// Every system.
	all, err := host.ListSystems(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(all), "systems in all")
	// Output:
	// web1 Container ci-runner Created
	// web2 Container ci-runner Created
	// 4 systems in all
}

func ExampleHost_ListByOwner() {
	sim := hcssim.New()
	defer sim.Close()
	host := sim.Host()
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		sys, err := host.CreateSystem(ctx, id, `{"Owner":"ci-runner","Container":{}}`)
		if err != nil {
			log.Fatal(err)
		}
		defer sys.Close()
	}

	systems, err := host.ListByOwner(ctx, "ci-runner")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(systems), "systems owned by ci-runner")
	// Output: 2 systems owned by ci-runner
}

func ExampleSystem_CreateProcess() {
	sim := hcssim.New()
	defer sim.Close()
	ctx := context.Background()
	sys, err := sim.Host().CreateSystem(ctx, "c1", `{"Container":{}}`)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Start(ctx); err != nil {
		log.Fatal(err)
	}

	p, err := sys.CreateProcess(ctx, &schema.ProcessParameters{
		CommandLine:      hcs.CommandLine("exit", "3"),
		CreateStdOutPipe: schema.Ptr(true),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	state, err := p.Wait(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(state, state.Success())
	// Output: exit status 3 false
}

func ExampleSystem_Output() {
	sim := hcssim.New()
	defer sim.Close()
	ctx := context.Background()
	sys, err := sim.Host().CreateSystem(ctx, "c1", `{"Container":{}}`)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Start(ctx); err != nil {
		log.Fatal(err)
	}

	out, err := sys.Output(ctx, &hcs.Cmd{Args: []string{"echo", "hello"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", out)

	// A failing process's standard error comes back in the ExitError.
	_, err = sys.Output(ctx, &hcs.Cmd{Args: []string{"sleep", "soon"}})
	var exitErr *hcs.ExitError
	if errors.As(err, &exitErr) {
		fmt.Printf("%v: %s", err, exitErr.Stderr)
	}
	// Output:
	// "hello\r\n"
	// exit status 1: sleep: bad duration "soon"
}

func ExampleSystem_Run() {
	sim := hcssim.New()
	defer sim.Close()
	ctx := context.Background()
	sys, err := sim.Host().CreateSystem(ctx, "c1", `{"Container":{}}`)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Start(ctx); err != nil {
		log.Fatal(err)
	}

	// cat copies its standard input to its standard output.
	_, err = sys.Run(ctx, &hcs.Cmd{
		Args:   []string{"cat"},
		Stdin:  strings.NewReader("hello from the host\n"),
		Stdout: os.Stdout,
	})
	if err != nil {
		log.Fatal(err)
	}

	_, err = sys.Run(ctx, &hcs.Cmd{Args: []string{"exit", "7"}})
	var exitErr *hcs.ExitError
	if errors.As(err, &exitErr) {
		fmt.Println("failed with", exitErr.ExitCode())
	}
	// Output:
	// hello from the host
	// failed with 7
}

func ExampleCommandLine() {
	fmt.Println(hcs.CommandLine(`C:\Program Files\app.exe`, "--name", `say "hi"`, ""))
	// Output: "C:\Program Files\app.exe" --name "say \"hi\"" ""
}

// NewLocal gives a Host of its own, here one that logs every HCS call;
// Local gives the process's shared Host, which takes no options. Off
// Windows the call fails with ErrNotSupported, as this example shows when
// run there.
func ExampleNewLocal() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	host := hcs.NewLocal(hcs.WithLogger(logger))
	systems, err := host.ListSystems(context.Background(), nil)
	if err != nil {
		fmt.Println("list:", errors.Is(err, hcs.ErrNotSupported))
		return
	}
	fmt.Println(len(systems), "systems")
}

// After the compute service disconnects, a System opened before keeps
// failing even when the service is back; the system itself survives and
// is opened again. The simulator's Disconnect and Reconnect stand for
// vmcompute stopping and restarting.
func ExampleSystem_serviceDisconnect() {
	sim := hcssim.New()
	defer sim.Close()
	host := sim.Host()
	ctx := context.Background()

	doc := &schema.ComputeSystem{Owner: "example", SchemaVersion: schema.V2_1.Version(), Container: &schema.Container{}}
	old, err := host.CreateSystem(ctx, "web1", doc)
	if err != nil {
		log.Fatal(err)
	}
	defer old.Close()
	if err := old.Start(ctx); err != nil {
		log.Fatal(err)
	}

	sim.Disconnect()
	sim.Reconnect()
	_, err = old.Properties(ctx)
	fmt.Println(errors.Is(err, hcs.ErrServiceDisconnect))

	sys, err := host.OpenSystem(ctx, "web1")
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	props, err := sys.Properties(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(props.ID, props.State)
	// Output:
	// true
	// web1 Running
}
