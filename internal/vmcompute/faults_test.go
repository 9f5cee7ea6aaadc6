//go:build windows

package vmcompute

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/layertest"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

// everyCall calls each export once, on the fixture's layers, in the order
// of procs.
func everyCall(b backend.LegacyLayers, f layertest.Fixture) []layertest.Call {
	scratch := filepath.Join(f.Dir, "scratch")
	return []layertest.Call{
		{Export: "NameToGuid", Do: func() error { _, err := b.NameToGuid("base"); return err }},
		{Export: "CreateSandboxLayer", Do: func() error { return b.CreateSandboxLayer(full, scratch, f.Parents()) }},
		{Export: "ExpandSandboxSize", Do: func() error { return b.ExpandSandboxSize(full, scratch, 1<<30) }},
		{Export: "ActivateLayer", Do: func() error { return b.ActivateLayer(full, f.Base) }},
		{Export: "DeactivateLayer", Do: func() error { return b.DeactivateLayer(full, f.Base) }},
		{Export: "PrepareLayer", Do: func() error { return b.PrepareLayer(full, scratch, f.Parents()) }},
		{Export: "UnprepareLayer", Do: func() error { return b.UnprepareLayer(full, scratch) }},
		{Export: "GetLayerMountPath", Do: func() error { _, err := b.GetLayerMountPath(full, f.Base); return err }},
		{Export: "DestroyLayer", Do: func() error { return b.DestroyLayer(full, scratch) }},
		{Export: "LayerExists", Do: func() error { _, err := b.LayerExists(full, f.Base); return err }},
		{Export: "ImportLayer", Do: func() error { return b.ImportLayer(full, filepath.Join(f.Dir, "new"), f.Child, f.Parents()) }},
		{Export: "ExportLayer", Do: func() error {
			return b.ExportLayer(full, f.Child, filepath.Join(f.Dir, "out"), layertest.Parents(f.Base))
		}},
		{Export: "ProcessBaseImage", Do: func() error { return b.ProcessBaseImage(f.Base) }},
		{Export: "ProcessUtilityImage", Do: func() error { return b.ProcessUtilityImage(filepath.Join(f.Base, "UtilityVM")) }},
		{Export: "GetBaseImages", Do: func() error { _, err := b.GetBaseImages(); return err }},
	}
}

// The next N calls of an export fail with the injected HRESULT, then it
// works again: what package layers' retries rely on.
func TestFailNext(t *testing.T) {
	b := mock(t)
	f := layertest.NewFixture(t)
	scratch := filepath.Join(f.Dir, "scratch")
	must(t, "CreateSandboxLayer", b.CreateSandboxLayer(full, scratch, f.Parents()))
	must(t, "ActivateLayer", b.ActivateLayer(full, scratch))
	mockctl.LayersFailNext("PrepareLayer", 0x80070015, 2) // ERROR_NOT_READY
	mockctl.LayersFailNext("PrepareLayer", 0x8007048F, 1) // ERROR_DEVICE_NOT_CONNECTED
	wantErr(t, "PrepareLayer 1", b.PrepareLayer(full, scratch, f.Parents()), errNotReady)
	wantErr(t, "PrepareLayer 2", b.PrepareLayer(full, scratch, f.Parents()), errNotReady)
	wantErr(t, "PrepareLayer 3", b.PrepareLayer(full, scratch, f.Parents()), syscall.Errno(windows.ERROR_DEVICE_NOT_CONNECTED))
	must(t, "PrepareLayer 4", b.PrepareLayer(full, scratch, f.Parents()))
	if n := mockctl.LayersCalls("PrepareLayer"); n != 4 {
		t.Errorf("PrepareLayer calls = %d, want 4", n)
	}
	// A failure that is not FACILITY_WIN32 arrives as the whole HRESULT.
	mockctl.LayersFailNext("GetLayerMountPath", 0x80370105, 1)
	_, err := b.GetLayerMountPath(full, scratch)
	wantErr(t, "GetLayerMountPath", err, syscall.Errno(0x80370105))
	must(t, "UnprepareLayer", b.UnprepareLayer(full, scratch))
	must(t, "DeactivateLayer", b.DeactivateLayer(full, scratch))
}

// Without elevation every layer call fails with ERROR_PRIVILEGE_NOT_HELD,
// and does nothing: it does not even use an injected hold, which waits for
// the next call that gets past the elevation check.
func TestElevationMissing(t *testing.T) {
	b := mock(t)
	f := layertest.NewFixture(t)
	mockctl.LayersHoldNext("ActivateLayer")
	mockctl.LayersSetElevated(false)
	for _, c := range everyCall(b, f) {
		wantErr(t, c.Export, c.Do(), errPrivilegeNotHeld)
	}
	if layertest.Exists(filepath.Join(f.Dir, "scratch")) {
		t.Error("CreateSandboxLayer made the scratch without elevation")
	}
	mockctl.LayersSetElevated(true)
	calls := mockctl.LayersCalls("ActivateLayer")
	held := make(chan error, 1)
	go func() { held <- b.ActivateLayer(full, f.Base) }()
	for mockctl.LayersCalls("ActivateLayer") == calls { // wait until it is held
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-held:
		t.Fatalf("ActivateLayer once elevated returned (%v) before the release of its hold", err)
	default:
	}
	mockctl.LayersRelease()
	must(t, "ActivateLayer once elevated", <-held)
	must(t, "DeactivateLayer", b.DeactivateLayer(full, f.Base))
}

// procs are the package's bindings, in the order of everyCall.
var procs = []**windows.LazyProc{
	&procNameToGuid, &procCreateSandboxLayer, &procExpandSandboxSize, &procActivateLayer,
	&procDeactivateLayer, &procPrepareLayer, &procUnprepareLayer, &procGetLayerMountPath,
	&procDestroyLayer, &procLayerExists, &procImportLayer, &procExportLayer,
	&procProcessBaseImage, &procProcessUtilityImage, &procGetBaseImages,
}

// An export missing from vmcompute.dll (an older host), or the DLL missing
// altogether, fails the call with ErrUnsupported, naming the export, and
// never panics.
func TestMissingExports(t *testing.T) {
	b := mock(t)
	layertest.MissingExports(t, procs, everyCall(b, layertest.NewFixture(t)))
}

// A held call stays in progress while others proceed, and the mock counts
// how many PrepareLayer calls ran at once: what the conformance suite uses
// to see that package layers serialises them. The FFI itself does not.
func TestHoldAndPeak(t *testing.T) {
	b := mock(t)
	f := layertest.NewFixture(t)
	scratches := []string{filepath.Join(f.Dir, "held"), filepath.Join(f.Dir, "free")}
	for _, s := range scratches {
		must(t, "CreateSandboxLayer", b.CreateSandboxLayer(full, s, f.Parents()))
		must(t, "ActivateLayer", b.ActivateLayer(full, s))
		defer func() {
			must(t, "UnprepareLayer", b.UnprepareLayer(full, s))
			must(t, "DeactivateLayer", b.DeactivateLayer(full, s))
		}()
	}
	mockctl.LayersHoldNext("PrepareLayer")
	held := make(chan error, 1)
	go func() { held <- b.PrepareLayer(full, scratches[0], f.Parents()) }()
	for mockctl.LayersCalls("PrepareLayer") == 0 { // wait until it is held
		time.Sleep(time.Millisecond)
	}
	must(t, "PrepareLayer while another is held", b.PrepareLayer(full, scratches[1], f.Parents()))
	select {
	case err := <-held:
		t.Fatalf("the held PrepareLayer returned (%v) before its release", err)
	default:
	}
	mockctl.LayersRelease()
	must(t, "the held PrepareLayer", <-held)
	if n := mockctl.LayersPeakPrepares(); n != 2 {
		t.Errorf("LayersPeakPrepares = %d, want 2", n)
	}

	// A delay holds a call for a time; it still succeeds.
	mockctl.LayersDelayNext("GetLayerMountPath", 10*time.Millisecond)
	_, err := b.GetLayerMountPath(full, scratches[0])
	must(t, "delayed GetLayerMountPath", err)
}
