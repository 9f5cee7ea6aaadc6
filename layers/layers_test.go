package layers_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
	"github.com/gohcs/hcs/internal/layertest"
	"github.com/gohcs/hcs/internal/winetest"
	"github.com/gohcs/hcs/layers"
)

// service is a layer service the tests run on: open returns a Host on it
// and its faults, and registers their cleanup.
type service struct {
	name string
	open func(t *testing.T) (*layers.Host, faults)
}

// faults is the fault injection and the counters of a layer service under
// test. Entry points are named as vmcompute.dll exports them.
type faults interface {
	FailNext(fn string, hr hcs.HRESULT)
	DelayNext(fn string, d time.Duration)
	SetElevated(elevated bool)
	Mounted() (activated, prepared int)
}

// services are the layer services the tests run on: the simulator
// everywhere and, on Windows, layers.Local() over the mock layer DLLs
// (platformServices).
var services = append([]service{{"hcssim", openSim}}, platformServices...)

func openSim(t *testing.T) (*layers.Host, faults) {
	sim := hcssim.New()
	t.Cleanup(sim.Close)
	return sim.Layers(), simFaults{sim}
}

// simFaults are the simulator's faults.
type simFaults struct{ sim *hcssim.Sim }

func (f simFaults) FailNext(fn string, hr hcs.HRESULT)   { f.sim.FailNext(hcssim.Call(fn), hr, "") }
func (f simFaults) DelayNext(fn string, d time.Duration) { f.sim.DelayNext(hcssim.Call(fn), d) }
func (f simFaults) SetElevated(elevated bool)            { f.sim.SetElevated(elevated) }

func (f simFaults) Mounted() (activated, prepared int) {
	for _, l := range f.sim.MountedLayers() {
		activated++
		if l.State == hcssim.LayerPrepared {
			prepared++
		}
	}
	return activated, prepared
}

// fixture is a layer service and layer folders: a base layer and an app
// layer above it.
type fixture struct {
	l         *layers.Host
	faults    faults
	dir       string
	base, app string
}

// each runs test on every layer service, as a subtest with a fixture of
// its own.
func each(t *testing.T, test func(t *testing.T, f *fixture)) {
	for _, s := range services {
		t.Run(s.name, func(t *testing.T) { test(t, newFixture(t, s)) })
	}
}

func newFixture(t *testing.T, s service) *fixture {
	t.Helper()
	l, faults := s.open(t)
	f := &fixture{l: l, faults: faults, dir: winetest.TempDir(t)}
	f.base = layertest.Folder(t, f.dir, "base")
	f.app = layertest.Folder(t, f.dir, "app", f.base)
	t.Cleanup(func() {
		if err := f.l.Drain(context.Background()); err != nil {
			t.Errorf("Drain: %v", err)
		}
		if a, p := faults.Mounted(); a != 0 || p != 0 {
			t.Errorf("left mounted: %d layers activated, %d prepared", a, p)
		}
	})
	return f
}

// awaitedContext returns a context that ends the first time a call waits
// on it — asks for its Done channel — which package layers does once it
// has checked the context and started the layer service's work: that work
// is then abandoned, not skipped, however long the test took to get there.
func awaitedContext(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	return &awaited{Context: ctx, cancel: cancel}
}

type awaited struct {
	context.Context
	cancel context.CancelFunc
}

func (c *awaited) Done() <-chan struct{} {
	c.cancel()
	return c.Context.Done()
}

func (f *fixture) parents() []string { return []string{f.app, f.base} }

// scratch makes a scratch layer over app and base.
func (f *fixture) scratch(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(f.dir, name)
	if err := f.l.CreateScratch(t.Context(), path, f.parents(), 0); err != nil {
		t.Fatalf("CreateScratch: %v", err)
	}
	return path
}

// wantErr fails t unless err is a *layers.Error of op and call matching
// target, and returns it.
func wantErr(t *testing.T, err, target error, op, call string) *layers.Error {
	t.Helper()
	var le *layers.Error
	switch {
	case !errors.As(err, &le):
		t.Fatalf("%s: got %v, want a *layers.Error", op, err)
	case !errors.Is(err, target):
		t.Fatalf("%s: got %v, want an error matching %v", op, err, target)
	case le.Op != op || le.Call != call:
		t.Fatalf("%v: op %q, call %q; want %q, %q", err, le.Op, le.Call, op, call)
	}
	return le
}

func TestZeroHostAndLocal(t *testing.T) {
	ctx := t.Context()
	hosts := map[string]*layers.Host{"zero": new(layers.Host)}
	if runtime.GOOS != "windows" {
		hosts["Local"] = layers.Local() // Windows only
	}
	for name, h := range hosts {
		_, err := h.LayerID(ctx, "x")
		wantErr(t, err, hcs.ErrNotSupported, "layer id", "")
		_, err = h.Mount(ctx, "x", []string{"y"})
		wantErr(t, err, hcs.ErrNotSupported, "mount", "")
		wantErr(t, h.CreateScratch(ctx, "x", []string{"y"}, 0), hcs.ErrNotSupported, "create scratch", "")
		wantErr(t, h.Unmount(ctx, "x"), hcs.ErrNotSupported, "unmount", "")
		wantErr(t, h.Destroy(ctx, "x"), hcs.ErrNotSupported, "destroy", "")
		_, err = h.LayerExists(ctx, "x")
		wantErr(t, err, hcs.ErrNotSupported, "layer exists", "")
		wantErr(t, h.Import(ctx, "x", "x", []string{"y"}), hcs.ErrNotSupported, "import", "")
		wantErr(t, h.ProcessBaseImage(ctx, "x"), hcs.ErrNotSupported, "process base image", "")
		wantErr(t, h.ProcessUtilityImage(ctx, "x"), hcs.ErrNotSupported, "process utility image", "")
		if err := h.Drain(ctx); err != nil {
			t.Fatalf("Drain of a %s Host: %v", name, err)
		}
	}
}

func TestChainAndOrder(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		if c, err := layers.Chain(f.app); err != nil || strings.Join(c, "|") != f.app+"|"+f.base {
			t.Fatalf("Chain(app) = %v, %v", c, err)
		}
		if c, err := layers.Chain(f.base); err != nil || len(c) != 1 || c[0] != f.base {
			t.Fatalf("Chain(base) = %v, %v", c, err)
		}
		broken := layertest.Folder(t, f.dir, "broken")
		if err := os.WriteFile(filepath.Join(broken, "layerchain.json"), []byte("{"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := layers.Chain(broken); err == nil {
			t.Fatal("Chain of a broken layerchain.json succeeded")
		}

		s := filepath.Join(f.dir, "scratch")
		for _, c := range []struct {
			parents []string
			says    string
		}{
			{nil, "no parent layers"},
			{[]string{f.app, ""}, "empty path"},
			{[]string{f.base, f.app}, "is a base layer (it has no layerchain.json) but not the last"},
			{[]string{f.app}, "has [" + f.base + "] below it"},
			{[]string{broken, f.base}, "layerchain.json"},
		} {
			err := f.l.CreateScratch(ctx, s, c.parents, 0)
			le := wantErr(t, err, hcs.ErrInvalidArgument, "create scratch", "")
			if !strings.Contains(le.Error(), c.says) || !strings.HasPrefix(le.Error(), "layers: create scratch "+s+": ") {
				t.Errorf("CreateScratch(%q): %q, want it to say %q", c.parents, le, c.says)
			}
		}
		if _, err := os.Stat(s); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("refused calls made %s", s)
		}
	})
}

func TestIDAndStorage(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		id, err := f.l.LayerID(ctx, f.base+string(filepath.Separator))
		if err != nil {
			t.Fatal(err)
		}
		if want := "c30d24c3-8fac-5e4d-ad83-67596d459dfa"; id.String() != want { // hcssim's id of "base"
			t.Fatalf("ID(base) = %s, want %s", id, want)
		}
		// Relative paths are made absolute: the layer service runs elsewhere.
		t.Chdir(f.dir)
		if err := f.l.CreateScratch(ctx, "scratch", []string{"app", "base"}, 0); err != nil {
			t.Fatal(err)
		}
		m, err := f.l.Mount(ctx, "scratch", []string{"app", "base"})
		if err != nil {
			t.Fatal(err)
		}
		st := m.Storage()
		if m.Scratch() != filepath.Join(f.dir, "scratch") || st.Layers[0].Path != f.app || st.Layers[1].Path != f.base ||
			st.Layers[1].ID != id.String() || st.Path != m.Volume() {
			t.Fatalf("Mount of relative paths: scratch %s, storage %+v", m.Scratch(), st)
		}
		st.Layers[0].Path = "changed"
		if m.Storage().Layers[0].Path != f.app || m.Parents()[0] != f.app {
			t.Fatal("Storage returned the Mount's own slice")
		}
		if err := m.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if ok, err := f.l.LayerExists(ctx, "scratch"); !ok || err != nil {
			t.Fatalf("Exists(scratch) = %v, %v", ok, err)
		}
		if err := f.l.Destroy(ctx, "scratch"); err != nil {
			t.Fatal(err)
		}
		if ok, err := f.l.LayerExists(ctx, "scratch"); ok || err != nil {
			t.Fatalf("Exists(scratch) after Destroy = %v, %v", ok, err)
		}
	})
}

func TestCreateScratchSize(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		s := filepath.Join(f.dir, "big")
		if err := f.l.CreateScratch(ctx, s, f.parents(), 50<<30); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(s, "sandbox.vhdx"))
		if err != nil || !strings.Contains(string(b), `"Size":53687091200`) {
			t.Fatalf("sandbox.vhdx = %q, %v; want the size expanded", b, err)
		}

		// A failure after the disk was made undoes it: the folder goes when
		// CreateScratch made it, only the disk when it was there before.
		small := filepath.Join(f.dir, "small")
		err = f.l.CreateScratch(ctx, small, f.parents(), 1<<30)
		wantErr(t, err, hcs.E_INVALIDARG, "create scratch", "ExpandSandboxSize")
		if _, err := os.Stat(small); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the failed CreateScratch left %s (%v)", small, err)
		}
		kept := filepath.Join(f.dir, "kept")
		if err := os.MkdirAll(kept, 0o755); err != nil {
			t.Fatal(err)
		}
		err = f.l.CreateScratch(ctx, kept, f.parents(), 1<<30)
		wantErr(t, err, hcs.E_INVALIDARG, "create scratch", "ExpandSandboxSize")
		if _, err := os.Stat(filepath.Join(kept, "sandbox.vhdx")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the failed CreateScratch left its disk (%v)", err)
		}
		if _, err := os.Stat(kept); err != nil {
			t.Fatalf("the failed CreateScratch removed a folder it had not made: %v", err)
		}
		wantErr(t, f.l.CreateScratch(ctx, s, f.parents(), 0), hcs.ErrAlreadyExists, "create scratch", "CreateSandboxLayer")
	})
}

func TestCancelUndoes(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		staging := layertest.Folder(t, f.dir, "staging")
		cases := []struct {
			name string
			call string
			do   func(ctx context.Context, dir string) error
		}{
			{"CreateScratch", "CreateSandboxLayer", func(ctx context.Context, dir string) error {
				return f.l.CreateScratch(ctx, dir, f.parents(), 0)
			}},
			{"Import", "ImportLayer", func(ctx context.Context, dir string) error {
				return f.l.Import(ctx, dir, staging, f.parents())
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				dir := filepath.Join(f.dir, c.name)
				f.faults.DelayNext(c.call, 100*time.Millisecond)
				if err := c.do(awaitedContext(t), dir); !errors.Is(err, context.Canceled) {
					t.Fatalf("%s with a context that ends: %v", c.name, err)
				}
				if err := f.l.Drain(t.Context()); err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("the abandoned %s left %s (%v)", c.name, dir, err)
				}
			})
		}
	})
}

func TestImport(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		staging := layertest.Folder(t, f.dir, "staging")
		if err := os.WriteFile(filepath.Join(staging, "Files", "app.exe"), []byte("MZ"), 0o644); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(f.dir, "top")
		if err := f.l.Import(ctx, dir, staging, f.parents()); err != nil {
			t.Fatal(err)
		}
		if c, err := layers.Chain(dir); err != nil || strings.Join(c, "|") != dir+"|"+f.app+"|"+f.base {
			t.Fatalf("Chain of the imported layer = %v, %v", c, err)
		}
		// The imported layer is a parent like any other.
		s := filepath.Join(f.dir, "scratch")
		if err := f.l.CreateScratch(ctx, s, []string{dir, f.app, f.base}, 0); err != nil {
			t.Fatal(err)
		}
		if err := f.l.ProcessBaseImage(ctx, f.base); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(f.base, "blank.vhdx")); err != nil {
			t.Fatal(err)
		}
		wantErr(t, f.l.ProcessUtilityImage(ctx, f.base), hcs.ErrNotFound, "process utility image", "ProcessUtilityImage")
	})
}

func TestReleaseConcurrent(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		m, err := f.l.Mount(ctx, f.scratch(t, "scratch"), f.parents())
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 16)
		for i := range errs {
			wg.Go(func() { errs[i] = m.Release(ctx) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Release %d: %v", i, err)
			}
		}
		if a, p := f.faults.Mounted(); a != 0 || p != 0 {
			t.Fatalf("%d layers activated, %d prepared after Release", a, p)
		}
	})
}

func TestReleaseCancelAndRetry(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		m, err := f.l.Mount(ctx, f.scratch(t, "scratch"), f.parents())
		if err != nil {
			t.Fatal(err)
		}
		// A failing release leaves the mount, and Release tries again.
		f.faults.FailNext("DeactivateLayer", hcs.E_FAIL)
		wantErr(t, m.Release(ctx), hcs.E_FAIL, "release", "DeactivateLayer")
		if a, p := f.faults.Mounted(); a != 1 || p != 0 {
			t.Fatalf("after the failed release: %d layers activated, %d prepared; want 1, 0", a, p)
		}
		// A release whose context ends while the layer service works
		// finishes in the background.
		f.faults.DelayNext("DeactivateLayer", 100*time.Millisecond)
		wantErr(t, m.Release(awaitedContext(t)), context.Canceled, "release", "")
		if err := f.l.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if a, p := f.faults.Mounted(); a != 0 || p != 0 {
			t.Fatalf("%d layers activated, %d prepared after the abandoned release finished", a, p)
		}
		if err := m.Release(ctx); err != nil {
			t.Fatalf("Release after the release finished: %v", err)
		}
	})
}

func TestMountUndoFails(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		s := f.scratch(t, "scratch")
		f.faults.FailNext("GetLayerMountPath", hcs.E_FAIL)
		f.faults.FailNext("DeactivateLayer", hcs.E_ABORT)
		_, err := f.l.Mount(ctx, s, f.parents())
		le := wantErr(t, err, hcs.E_FAIL, "mount", "GetLayerMountPath")
		if !errors.Is(err, hcs.E_ABORT) || !strings.Contains(le.Error(), "undoing the mount") {
			t.Fatalf("Mount whose undo failed: %v, want it to say so", err)
		}
		// What is left is for Unmount.
		if err := f.l.Unmount(ctx, s); err != nil {
			t.Fatalf("Unmount: %v", err)
		}
	})
}

func TestElevationMessage(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		f.faults.SetElevated(false)
		err := f.l.Destroy(t.Context(), f.app)
		le := wantErr(t, err, hcs.ErrAccessDenied, "destroy", "DestroyLayer")
		want := "layers: destroy " + f.app + ": DestroyLayer: ERROR_PRIVILEGE_NOT_HELD (0x80070522): " +
			"A required privilege is not held by the client (the layer calls need an elevated process: run as administrator)"
		if le.Error() != want {
			t.Fatalf("error %q\nwant %q", le, want)
		}
	})
}
