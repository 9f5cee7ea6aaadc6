// Package conformance is one suite of scenarios over an *hcs.Host, run on
// every host the library supports: the simulator (every OS), the FFI
// against the mock computecore.dll (Windows binaries under Wine), and the
// machine's real HCS (Windows, elevated, opt-in with HCS_TEST_REAL=1).
//
// A scenario that cannot run on a host skips with the reason; none passes
// without checking what it claims.
package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/schema"
)

// Faults is the fault injection a host under test offers. Entry points are
// named as in computecore ("HcsStartComputeSystem").
type Faults interface {
	// FailNext makes the next call of fn fail through its operation with hr
	// and a result document carrying message.
	FailNext(fn string, hr hcs.HRESULT, message string)
	// SetDelay delays every asynchronous completion by d.
	SetDelay(d time.Duration)
	// ExitDuringNext makes the system exit while the next call of fn is pending.
	ExitDuringNext(fn string)
	// Disconnect and Reconnect simulate the compute service going away.
	Disconnect()
	Reconnect()
	// FireLateEvents makes closing a handle send one more event to its
	// callback afterwards.
	FireLateEvents(on bool)
	// LiveHandles counts open system, process and operation handles.
	LiveHandles() int
	// EventsDelivered waits until no event waits to be delivered (late
	// ones included) and no callback runs, or ctx ends.
	EventsDelivered(ctx context.Context) error
	// FailCreateProcessRunning makes the next HcsCreateProcess operation fail with hr while the
	// process it created keeps running (seen on Windows Server 2022, per hcsshim).
	FailCreateProcessRunning(hr hcs.HRESULT)
	// DropNextProcessExit makes the next process exit send no ProcessExited event.
	DropNextProcessExit()
	// StoppedProcessError makes calls on an exited process fail with hr instead of
	// HCS_E_PROCESS_ALREADY_STOPPED (E_ACCESSDENIED and legacy 0xC037011F are reported by hcsshim); 0 resets.
	StoppedProcessError(hr hcs.HRESULT)
	// SystemExitDropsProcessExits makes a system's exit send no ProcessExited to its processes.
	SystemExitDropsProcessExits(on bool)
}

// Holds is fault injection a host may offer besides Faults: holding an
// operation pending until the test releases it, so that a test orders
// events without sleeping (a stalled machine cannot reorder them).
type Holds interface {
	// HoldNext makes the operation of the next call of fn stay pending
	// until release is called; made is closed once the call has been
	// made. release may be called more than once.
	HoldNext(fn string) (made <-chan struct{}, release func())
}

// Target is a host the suite runs on.
type Target struct {
	// Name names the host in skip messages.
	Name string
	// Setup returns a host for one scenario and its fault injection, nil
	// when the host offers none (real HCS). It registers its own cleanup.
	Setup func(t *testing.T) (*hcs.Host, Faults)
	// Real is true for the machine's real HCS: compute systems there need
	// real images, so scenarios that create containers skip unless
	// BaseLayer is set.
	Real bool
	// BaseLayer is the folder of an unpacked Windows base layer (such as
	// nanoserver's under C:\ProgramData\docker\windowsfilter): on real HCS,
	// the scenarios that create containers run on containers made from
	// it, and so do the layer scenarios (real.go, layers.go).
	BaseLayer string
	// SetupLayers, when set, returns for one layer scenario a compute
	// service and the layer service of the same machine (layers.go).
	SetupLayers func(t *testing.T) LayerHost
}

// scenario is one entry of the suite.
type scenario struct {
	name string
	// needs lists what the scenario requires of the target.
	faults bool // fault injection
	fake   bool // the host accepts the suite's minimal container documents
	run    func(t *testing.T, e *env)
}

// env is what a running scenario works with.
type env struct {
	h      *hcs.Host
	faults Faults
	target *Target
	owner  string     // unique per scenario: systems it makes are listed by it
	t      *testing.T // the scenario's
}

// Run runs every scenario on target, each as a subtest.
func Run(t *testing.T, target Target) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if sc.faults && target.Real {
				t.Skipf("needs fault injection, which %s does not offer", target.Name)
			}
			if reason := realSkip(sc, &target); reason != "" {
				t.Skip(reason)
			}
			h, f := target.Setup(t)
			e := &env{h: h, faults: f, target: &target, owner: "hcs-conformance-" + randomSuffix(), t: t}
			// Cleanups run last-registered first: this one runs after those
			// the scenario registers (closing its systems).
			t.Cleanup(func() { e.settle(t) })
			sc.run(t, e)
		})
	}
	runLayers(t, target)
}

// settle waits for abandoned calls to be cleaned up and checks that no
// handle is left open.
func (e *env) settle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.h.Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if e.faults == nil {
		return
	}
	// Handles close asynchronously after the last call returns (for example
	// an abandoned operation's cleanup); give them a moment.
	var n int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if n = e.faults.LiveHandles(); n == 0 {
			return
		}
	}
	t.Errorf("%d handles still open at the end of the scenario", n)
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// id returns a system identifier unique to this run.
func (e *env) id(name string) string {
	return name + "-" + randomSuffix()
}

// containerDoc is the smallest document the simulator and the mock accept
// as a container; on real HCS, a container on the base layer.
func (e *env) containerDoc() string {
	if e.target.Real {
		return e.realContainerDoc()
	}
	return `{"SchemaVersion":{"Major":2,"Minor":1},"Owner":"` + e.owner + `","Container":{}}`
}

// vmDoc is a minimal Hyper-V virtual machine document: real HCS can create
// and start it when Hyper-V is installed (it boots into nothing).
func (e *env) vmDoc() string {
	return `{"SchemaVersion":{"Major":2,"Minor":1},"Owner":"` + e.owner + `",` +
		`"ShouldTerminateOnLastHandleClosed":true,` +
		`"VirtualMachine":{"StopOnReset":true,"Chipset":{"Uefi":{}},` +
		`"ComputeTopology":{"Memory":{"SizeInMB":128},"Processor":{"Count":1}},"Devices":{}}}`
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// holds returns the host's Holds, skipping the test when it has none.
func (e *env) holds(t *testing.T) Holds {
	t.Helper()
	h, ok := e.faults.(Holds)
	if !ok {
		t.Skipf("needs HoldNext, which %s does not offer", e.target.Name)
	}
	return h
}

// abandon makes the next call of fn stay pending, and returns a context
// for that call which ends while HCS has it, and the function that lets
// the call complete. With HoldNext, the context ends once the call is
// made: the hold keeps the completion from coming first, whatever the
// machine does. Without HoldNext, every completion takes 200 ms and the
// context ends after 20 ms, an order that a machine stalled for longer can
// upset.
func (e *env) abandon(t *testing.T, fn string) (ctx context.Context, release func()) {
	t.Helper()
	h, ok := e.faults.(Holds)
	if !ok {
		e.faults.SetDelay(200 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		t.Cleanup(cancel)
		return ctx, func() { e.faults.SetDelay(0) }
	}
	made, release := h.HoldNext(fn)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		select {
		case <-made:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, release
}

// keepPending makes the next call of fn stay pending until release is
// called: held with HoldNext, or else by a one-second completion delay.
func (e *env) keepPending(fn string) (release func()) {
	if h, ok := e.faults.(Holds); ok {
		_, release := h.HoldNext(fn)
		return release
	}
	e.faults.SetDelay(time.Second)
	return func() { e.faults.SetDelay(0) }
}

// wantAbandoned fails t unless err is the error of a call of op whose
// context, from abandon, ended.
func wantAbandoned(t *testing.T, ctx context.Context, err error, op string) {
	t.Helper()
	if ctx.Err() == nil {
		t.Fatalf("%s returned %v before its context ended", op, err)
	}
	wantErr(t, err, ctx.Err(), op)
}

// create creates a container and closes it when the test ends.
func (e *env) create(t *testing.T, name string) *hcs.System {
	t.Helper()
	s, err := e.h.CreateSystem(ctxT(t), e.id(name), e.containerDoc())
	if err != nil {
		t.Fatalf("CreateSystem: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// running creates and starts a container.
func (e *env) running(t *testing.T, name string) *hcs.System {
	t.Helper()
	s := e.create(t, name)
	if err := s.Start(ctxT(t)); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return s
}

// wantErr fails t unless err matches target and is an *hcs.Error naming op.
func wantErr(t *testing.T, err, target error, op string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got nil error, want %v", op, target)
	}
	if !errors.Is(err, target) {
		t.Fatalf("%s: got %v, want an error matching %v", op, err, target)
	}
	var he *hcs.Error
	if !errors.As(err, &he) {
		t.Fatalf("%s: %v is not an *hcs.Error", op, err)
	}
	if he.Op != op {
		t.Fatalf("error %q names op %q, want %q", err, he.Op, op)
	}
	if !strings.HasPrefix(err.Error(), "hcs: ") {
		t.Fatalf("error %q does not start with \"hcs: \"", err)
	}
}

// listed reports whether a system with id is listed by e's owner.
func (e *env) listed(t *testing.T, id string) (hcs.SystemInfo, bool) {
	t.Helper()
	infos, err := e.h.ListByOwner(ctxT(t), e.owner)
	if err != nil {
		t.Fatalf("ListByOwner: %v", err)
	}
	for _, in := range infos {
		if in.ID == id {
			return in, true
		}
	}
	return hcs.SystemInfo{}, false
}

// state returns the system's state as enumeration reports it.
func (e *env) state(t *testing.T, s *hcs.System) schema.State {
	t.Helper()
	in, ok := e.listed(t, s.ID())
	if !ok {
		t.Fatalf("system %s is not listed", s.ID())
	}
	return in.State
}

// terminate terminates the system with the given id through a handle of its
// own, for systems whose handle the scenario closed.
func (e *env) terminate(t *testing.T, id string) {
	t.Helper()
	o, err := e.h.OpenSystem(ctxT(t), id)
	if err != nil {
		t.Fatalf("OpenSystem(%s): %v", id, err)
	}
	defer o.Close()
	if err := o.Terminate(ctxT(t)); err != nil {
		t.Fatalf("Terminate(%s): %v", id, err)
	}
}
