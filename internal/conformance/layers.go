package conformance

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/container"
	"github.com/gohcs/hcs/internal/layertest"
	"github.com/gohcs/hcs/internal/winetest"
	"github.com/gohcs/hcs/layers"
)

// The layer scenarios: container storage mounted with package layers, and
// containers run on it. They run on a target that offers a layer service
// (Target.SetupLayers): the simulator, the mock vmcompute.dll under Wine,
// and real HCS given an unpacked Windows base layer (Target.BaseLayer,
// from HCS_TEST_BASE_LAYER).

// LayerFaults is the fault injection a layer service under test offers.
// Entry points are named as vmcompute.dll exports them ("PrepareLayer").
type LayerFaults interface {
	// FailNext makes the next call of fn fail with hr; calls queue. The
	// message is for the compute service's faults (Faults has the same
	// method), the layer calls returning only a code.
	FailNext(fn string, hr hcs.HRESULT, message string)
	// DelayNext makes the next call of fn take d longer; calls queue.
	DelayNext(fn string, d time.Duration)
	// SetElevated makes every layer call fail as for a process without
	// elevation (ERROR_PRIVILEGE_NOT_HELD) while false.
	SetElevated(elevated bool)
	// Mounted counts the layers that are activated, and those prepared.
	Mounted() (activated, prepared int)
	// PeakPrepares is the most PrepareLayer calls that ran at once.
	PeakPrepares() int
}

// LayerHost is what the layer scenarios run on: a compute service and the
// layer service of the same machine, with their fault injection (nil
// where the target offers none).
type LayerHost struct {
	Host        *hcs.Host
	Faults      Faults
	Layers      *layers.Host
	LayerFaults LayerFaults
}

// layerScenario is one layer scenario.
type layerScenario struct {
	name string
	// faults: it needs fault injection. model: it checks behaviour of the
	// shared model that real HCS is not known to have (its documents are
	// refused for reasons of their own there).
	faults, model bool
	run           func(t *testing.T, e *layerEnv)
}

// layerEnv is what a running layer scenario works with.
type layerEnv struct {
	*env
	l    *layers.Host
	lf   LayerFaults
	base string // the base layer folder: the target's, or a fake one
}

var layerScenarios = []layerScenario{
	{name: "LayersMountReleaseCycles", run: layersMountRelease},
	{name: "LayersFolderToProcessOutput", run: layersToOutput},
	{name: "LayersReleaseWhileRunning", run: layersReleaseWhileRunning},
	{name: "LayersWrongParentOrder", run: layersWrongOrder},
	{name: "LayersUnmountFromAnotherProgram", run: layersUnmount},
	{name: "LayersConcurrentMounts", run: layersConcurrent},
	{name: "LayersStorageChecked", model: true, run: layersStorageChecked},
	{name: "LayersFailEachMountStep", faults: true, run: layersFailEachStep},
	{name: "LayersRetryNotReady", faults: true, run: layersRetry},
	{name: "LayersCancelMount", faults: true, run: layersCancel},
	{name: "LayersElevationMissing", faults: true, run: layersElevation},
}

// runLayers runs the layer scenarios on target, each as a subtest.
func runLayers(t *testing.T, target Target) {
	for _, sc := range layerScenarios {
		t.Run(sc.name, func(t *testing.T) {
			switch {
			case target.SetupLayers == nil:
				t.Skipf("%s offers no layer service", target.Name)
			case target.Real && target.BaseLayer == "":
				t.Skipf("%s needs a Windows base layer: set HCS_TEST_BASE_LAYER", target.Name)
			case sc.faults && target.Real:
				t.Skipf("needs fault injection, which %s does not offer", target.Name)
			case sc.model && target.Real:
				t.Skipf("checks the shared model's document checks, not known of %s", target.Name)
			}
			lh := target.SetupLayers(t)
			e := &layerEnv{
				env: &env{h: lh.Host, faults: lh.Faults, target: &target, owner: "hcs-conformance-" + randomSuffix(), t: t},
				l:   lh.Layers,
				lf:  lh.LayerFaults,
			}
			e.base = target.BaseLayer
			if e.base == "" {
				e.base = layertest.Folder(t, winetest.TempDir(t), "base")
			}
			t.Cleanup(func() { e.settleLayers(t) })
			sc.run(t, e)
		})
	}
}

// settleLayers waits for the layer calls abandoned by the scenario and
// checks that nothing is left mounted, then settles the compute service.
func (e *layerEnv) settleLayers(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.l.Drain(ctx); err != nil {
		t.Fatalf("layers Drain: %v", err)
	}
	if e.lf != nil {
		if a, p := e.lf.Mounted(); a != 0 || p != 0 {
			t.Errorf("%d layers activated and %d prepared at the end of the scenario", a, p)
		}
	}
	e.settle(t)
}

// scratch makes a scratch layer over the base layer in a new folder, and
// destroys it when the test ends.
func (e *layerEnv) scratch(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(winetest.TempDir(t), "scratch")
	if err := e.l.CreateScratch(ctxT(t), dir, []string{e.base}, 0); err != nil {
		t.Fatalf("CreateScratch: %v", err)
	}
	t.Cleanup(func() {
		if err := e.l.Destroy(context.Background(), dir); err != nil {
			t.Errorf("Destroy(%s): %v", dir, err)
		}
	})
	return dir
}

// mount mounts scratch over the base layer and releases it when the test
// ends.
func (e *layerEnv) mount(t *testing.T, scratch string) *layers.Mount {
	t.Helper()
	m, err := e.l.Mount(ctxT(t), scratch, []string{e.base})
	if err != nil {
		t.Fatalf("Mount: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Release(context.Background()); err != nil {
			t.Errorf("Release: %v", err)
		}
	})
	return m
}

// mounted checks the counts of mounted layers, where the target counts.
func (e *layerEnv) mounted(t *testing.T, activated, prepared int) {
	t.Helper()
	if e.lf == nil {
		return
	}
	if a, p := e.lf.Mounted(); a != activated || p != prepared {
		t.Fatalf("%d layers activated and %d prepared, want %d and %d", a, p, activated, prepared)
	}
}

// containerOn creates a container on m, terminated and closed when the
// test ends (before m is released: cleanups run last first).
func (e *layerEnv) containerOn(t *testing.T, m *layers.Mount) *hcs.System {
	t.Helper()
	doc, err := (&container.Config{Owner: e.owner, Storage: m.Storage(), TerminateOnLastHandleClosed: true}).Document()
	if err != nil {
		t.Fatalf("Document: %v", err)
	}
	s, err := e.h.CreateSystem(ctxT(t), e.id("layered"), doc)
	if err != nil {
		t.Fatalf("CreateSystem: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Terminate(context.Background()); err != nil && !errors.Is(err, hcs.ErrAlreadyStopped) {
			t.Errorf("Terminate: %v", err)
		}
		if _, err := s.Wait(context.Background()); err != nil {
			t.Errorf("Wait: %v", err)
		}
		s.Close()
	})
	return s
}

// wantLayerErr fails t unless err is a *layers.Error of op, naming call
// (when not ""), that matches target.
func wantLayerErr(t *testing.T, err, target error, op, call string) *layers.Error {
	t.Helper()
	var le *layers.Error
	switch {
	case err == nil:
		t.Fatalf("%s: got nil error, want %v", op, target)
	case !errors.As(err, &le):
		t.Fatalf("%s: %v is not a *layers.Error", op, err)
	case !errors.Is(err, target):
		t.Fatalf("%s: got %v, want an error matching %v", op, err, target)
	case le.Op != op || le.Call != call:
		t.Fatalf("error %q names op %q and call %q, want %q and %q", err, le.Op, le.Call, op, call)
	case !strings.HasPrefix(err.Error(), "layers: "+op+" "):
		t.Fatalf("error %q does not start with %q", err, "layers: "+op+" ")
	}
	return le
}

func layersMountRelease(t *testing.T, e *layerEnv) {
	ctx := ctxT(t)
	scratch := e.scratch(t)
	id, err := e.l.LayerID(ctx, e.base)
	if err != nil {
		t.Fatalf("ID: %v", err)
	}
	volumes := make(map[string]bool)
	for range 3 {
		m, err := e.l.Mount(ctx, scratch, []string{e.base})
		if err != nil {
			t.Fatalf("Mount: %v", err)
		}
		e.mounted(t, 1, 1)
		v := m.Volume()
		if !strings.HasPrefix(v, `\\?\Volume{`) || !strings.HasSuffix(v, `}\`) {
			t.Fatalf("volume %q, want \\\\?\\Volume{GUID}\\", v)
		}
		volumes[strings.ToLower(v)] = true
		st := m.Storage()
		if st.Path != v || len(st.Layers) != 1 || st.Layers[0].ID != id.String() || st.Layers[0].Path != e.base {
			t.Fatalf("Storage = %+v, want Path %s and the base layer %s with id %s", st, v, e.base, id)
		}
		if !e.target.Real {
			// Mounting it again while mounted fails, and leaves the first
			// mount as it was. (What Windows returns is not known: the
			// model's choice.)
			_, err = e.l.Mount(ctx, scratch, []string{e.base})
			wantLayerErr(t, err, hcs.ErrAlreadyExists, "mount", "PrepareLayer")
			e.mounted(t, 1, 1)
		}
		if err := m.Release(ctx); err != nil {
			t.Fatalf("Release: %v", err)
		}
		e.mounted(t, 0, 0)
		if err := m.Release(ctx); err != nil {
			t.Fatalf("second Release: %v", err)
		}
	}
	if len(volumes) < 2 {
		t.Logf("every mount got the same volume %v", volumes)
	}
}

func layersToOutput(t *testing.T, e *layerEnv) {
	ctx := ctxT(t)
	m := e.mount(t, e.scratch(t))
	s := e.containerOn(t, m)
	if err := s.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	out, err := s.Output(ctx, &hcs.Cmd{Args: []string{"cmd", "/c", "echo", "hello", "from", "layers"}})
	if err != nil {
		t.Fatalf("Output: %v", err)
	}
	if got := string(out); got != "hello from layers\r\n" {
		t.Fatalf("output %q, want %q", got, "hello from layers\r\n")
	}
	_, err = s.Run(ctx, &hcs.Cmd{Args: []string{"cmd", "/c", "exit", "3"}})
	var exit *hcs.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("cmd /c exit 3: %v, want an *hcs.ExitError with code 3", err)
	}
}

func layersReleaseWhileRunning(t *testing.T, e *layerEnv) {
	ctx := ctxT(t)
	m := e.mount(t, e.scratch(t))
	s := e.containerOn(t, m)
	if err := s.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	le := wantLayerErr(t, m.Release(ctx), hcs.ErrInvalidState, "release", "UnprepareLayer")
	if !errors.Is(le, hcs.ERROR_BUSY) {
		t.Fatalf("Release under a running container: %v, want ERROR_BUSY", le)
	}
	e.mounted(t, 1, 1)
	if err := s.Terminate(ctx); err != nil {
		t.Fatalf("Terminate: %v", err)
	}
	if _, err := s.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if err := m.Release(ctx); err != nil {
		t.Fatalf("Release after the container stopped: %v", err)
	}
	e.mounted(t, 0, 0)
}

func layersWrongOrder(t *testing.T, e *layerEnv) {
	ctx := ctxT(t)
	dir := winetest.TempDir(t)
	app := layertest.Folder(t, dir, "app", e.base)
	scratch := filepath.Join(dir, "scratch")
	err := e.l.CreateScratch(ctx, scratch, []string{e.base, app}, 0)
	le := wantLayerErr(t, err, hcs.ErrInvalidArgument, "create scratch", "")
	if !strings.Contains(le.Error(), "nearest first, base last") {
		t.Fatalf("error %q does not say the order", le)
	}
	if _, err := os.Stat(scratch); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the refused CreateScratch left %s behind (%v)", scratch, err)
	}
	_, err = e.l.Mount(ctx, e.scratch(t), []string{e.base, app})
	wantLayerErr(t, err, hcs.ErrInvalidArgument, "mount", "")
	e.mounted(t, 0, 0)
}

func layersUnmount(t *testing.T, e *layerEnv) {
	ctx := ctxT(t)
	scratch := e.scratch(t)
	m, err := e.l.Mount(ctx, scratch, []string{e.base})
	if err != nil {
		t.Fatalf("Mount: %v", err)
	}
	// Another program, which has no Mount, unmounts it by its folder.
	if err := e.l.Unmount(ctx, scratch); err != nil {
		t.Fatalf("Unmount: %v", err)
	}
	e.mounted(t, 0, 0)
	if e.target.Real {
		// What follows rests on the model's choice of ERROR_NOT_READY for
		// a layer that is not mounted, which Windows is not known to make.
		return
	}
	if err := m.Release(ctx); err != nil {
		t.Fatalf("Release of a mount unmounted by another program: %v", err)
	}
	err = e.l.Unmount(ctx, scratch)
	le := wantLayerErr(t, err, hcs.ErrInvalidState, "unmount", "DeactivateLayer")
	if !strings.Contains(le.Error(), "not mounted") {
		t.Fatalf("Unmount of a layer not mounted: %v, want it to say so", le)
	}
}

func layersConcurrent(t *testing.T, e *layerEnv) {
	const n = 12
	ctx := ctxT(t)
	if e.lf != nil {
		for range n {
			e.lf.DelayNext("PrepareLayer", 5*time.Millisecond)
		}
	}
	scratches := make([]string, n)
	for i := range scratches {
		scratches[i] = e.scratch(t)
	}
	mounts := make([]*layers.Mount, n)
	errs := make([]error, n)
	done := make(chan int)
	for i := range n {
		go func() {
			mounts[i], errs[i] = e.l.Mount(ctx, scratches[i], []string{e.base})
			done <- i
		}()
	}
	for range n {
		<-done
	}
	volumes := make(map[string]bool)
	for i, err := range errs {
		if err != nil {
			t.Errorf("Mount %d: %v", i, err)
			continue
		}
		volumes[strings.ToLower(mounts[i].Volume())] = true
	}
	if len(volumes) != n && !t.Failed() {
		t.Errorf("%d mounts got %d volumes", n, len(volumes))
	}
	e.mounted(t, n, n)
	if e.lf != nil {
		if p := e.lf.PeakPrepares(); p != 1 {
			t.Errorf("%d PrepareLayer calls ran at once, want 1 (the process-wide lock)", p)
		}
	}
	for i, m := range mounts {
		if m == nil {
			continue
		}
		go func() {
			errs[i] = m.Release(ctx)
			done <- i
		}()
	}
	for _, m := range mounts {
		if m != nil {
			<-done
		}
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("Release %d: %v", i, err)
		}
	}
	e.mounted(t, 0, 0)
}

func layersStorageChecked(t *testing.T, e *layerEnv) {
	ctx := ctxT(t)
	dir := winetest.TempDir(t)
	app := layertest.Folder(t, dir, "app", e.base)
	parents := []string{app, e.base}
	scratch := filepath.Join(dir, "scratch")
	if err := e.l.CreateScratch(ctx, scratch, parents, 0); err != nil {
		t.Fatalf("CreateScratch: %v", err)
	}
	t.Cleanup(func() {
		if err := e.l.Destroy(context.Background(), scratch); err != nil {
			t.Errorf("Destroy: %v", err)
		}
	})
	m, err := e.l.Mount(ctx, scratch, parents)
	if err != nil {
		t.Fatalf("Mount: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Release(context.Background()); err != nil {
			t.Errorf("Release: %v", err)
		}
	})
	good := m.Storage()
	swapped := m.Storage()
	swapped.Layers[0], swapped.Layers[1] = swapped.Layers[1], swapped.Layers[0]
	badID := m.Storage()
	badID.Layers[0].ID = badID.Layers[1].ID
	cases := []struct {
		name string
		edit func() any
		want hcs.HRESULT
	}{
		{"a directory as Storage.Path", func() any { return storageDoc(e.owner, scratch, good.Layers) }, hcs.ERROR_NOT_A_REPARSE_POINT},
		{"a volume nobody mounted", func() any {
			return storageDoc(e.owner, `\\?\Volume{00000000-0000-0000-0000-000000000001}\`, good.Layers)
		}, hcs.ERROR_PATH_NOT_FOUND},
		{"the layers in the wrong order", func() any { return storageDoc(e.owner, good.Path, swapped.Layers) }, hcs.E_INVALIDARG},
		{"a wrong layer id", func() any { return storageDoc(e.owner, good.Path, badID.Layers) }, hcs.E_INVALIDARG},
		{"a layer missing", func() any { return storageDoc(e.owner, good.Path, good.Layers[1:]) }, hcs.E_INVALIDARG},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			_, err := e.h.CreateSystem(ctx, e.id("storage"), c.edit())
			wantErr(t, err, c.want, "create")
		})
	}
}

// storageDoc is a container document with the given storage.
func storageDoc(owner, path string, layers any) map[string]any {
	return map[string]any{
		"SchemaVersion": map[string]int{"Major": 2, "Minor": 1},
		"Owner":         owner,
		"Container":     map[string]any{"Storage": map[string]any{"Path": path, "Layers": layers}},
	}
}

func layersFailEachStep(t *testing.T, e *layerEnv) {
	scratch := e.scratch(t)
	for _, call := range []string{"NameToGuid", "ActivateLayer", "PrepareLayer", "GetLayerMountPath"} {
		t.Run(call, func(t *testing.T) {
			ctx := ctxT(t)
			e.lf.FailNext(call, hcs.E_FAIL, "injected")
			_, err := e.l.Mount(ctx, scratch, []string{e.base})
			wantLayerErr(t, err, hcs.E_FAIL, "mount", call)
			e.mounted(t, 0, 0)
			m, err := e.l.Mount(ctx, scratch, []string{e.base})
			if err != nil {
				t.Fatalf("Mount after the failure: %v", err)
			}
			if err := m.Release(ctx); err != nil {
				t.Fatalf("Release: %v", err)
			}
		})
	}
}

func layersRetry(t *testing.T, e *layerEnv) {
	ctx := ctxT(t)
	scratch := e.scratch(t)
	// Windows reports the disk not ready now and then: two failures, then
	// success.
	e.lf.FailNext("PrepareLayer", hcs.ERROR_NOT_READY, "injected")
	e.lf.FailNext("PrepareLayer", hcs.ERROR_DEVICE_NOT_CONNECTED, "injected")
	m := e.mount(t, scratch)
	e.mounted(t, 1, 1)
	if err := m.Release(ctx); err != nil {
		t.Fatalf("Release: %v", err)
	}
	// Five times in a row is too many.
	for range 5 {
		e.lf.FailNext("PrepareLayer", hcs.ERROR_NOT_READY, "injected")
	}
	_, err := e.l.Mount(ctx, scratch, []string{e.base})
	wantLayerErr(t, err, hcs.ERROR_NOT_READY, "mount", "PrepareLayer")
	e.mounted(t, 0, 0)
	// Other errors are not retried: the next Mount succeeds at once.
	e.lf.FailNext("ActivateLayer", hcs.ERROR_FILE_NOT_FOUND, "injected")
	_, err = e.l.Mount(ctx, scratch, []string{e.base})
	wantLayerErr(t, err, hcs.ErrNotFound, "mount", "ActivateLayer")
	e.mounted(t, 0, 0)
}

func layersCancel(t *testing.T, e *layerEnv) {
	scratch := e.scratch(t)
	// Each case holds a step of Mount in the layer service, waits until
	// the steps before it are done, and cancels: Mount returns at once,
	// and what it did is undone in the background.
	cases := []struct {
		call      string
		activated int // the count that says the call has been reached
		prepared  int
	}{
		{"PrepareLayer", 1, 0},
		{"GetLayerMountPath", 1, 1},
	}
	for _, c := range cases {
		t.Run(c.call, func(t *testing.T) {
			e.lf.DelayNext(c.call, 2*time.Second)
			ctx, cancel := context.WithCancel(ctxT(t))
			defer cancel()
			errc := make(chan error, 1)
			go func() {
				_, err := e.l.Mount(ctx, scratch, []string{e.base})
				errc <- err
			}()
			for {
				if a, p := e.lf.Mounted(); a == c.activated && p == c.prepared {
					break
				}
				select {
				case err := <-errc:
					t.Fatalf("Mount ended before %s was reached: %v", c.call, err)
				case <-time.After(time.Millisecond):
				}
			}
			cancel()
			wantLayerErr(t, <-errc, context.Canceled, "mount", "")
			if err := e.l.Drain(ctxT(t)); err != nil {
				t.Fatalf("Drain: %v", err)
			}
			e.mounted(t, 0, 0)
		})
	}
}

func layersElevation(t *testing.T, e *layerEnv) {
	ctx := ctxT(t)
	dir := filepath.Join(winetest.TempDir(t), "scratch")
	e.lf.SetElevated(false)
	t.Cleanup(func() { e.lf.SetElevated(true) })
	err := e.l.CreateScratch(ctx, dir, []string{e.base}, 0)
	le := wantLayerErr(t, err, hcs.ErrAccessDenied, "create scratch", "NameToGuid")
	if !strings.Contains(le.Error(), "elevated") {
		t.Fatalf("error %q does not say that elevation is needed", le)
	}
	e.lf.SetElevated(true)
	m := e.mount(t, e.scratch(t))
	e.lf.SetElevated(false)
	wantLayerErr(t, m.Release(ctx), hcs.ErrAccessDenied, "release", "UnprepareLayer")
	e.lf.SetElevated(true)
}
