//go:build windows

package computestorage

import (
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/layertest"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

// everyCall calls each of the twelve entry points once, in the header's
// order, with arguments the mock would accept on the fixture.
func everyCall(b backend.Storage, f layertest.Fixture) []layertest.Call {
	layer := filepath.Join(f.Dir, "layer")
	return []layertest.Call{
		{Export: "HcsImportLayer", Do: func() error { return b.HcsImportLayer(layer, f.Child, f.LayerData()) }},
		{Export: "HcsExportLayer", Do: func() error {
			return b.HcsExportLayer(f.Child, filepath.Join(f.Dir, "out"), layertest.LayerData(f.Base), "{}")
		}},
		{Export: "HcsExportLegacyWritableLayer", Do: func() error {
			return b.HcsExportLegacyWritableLayer(`\\?\Volume{x}\`, layer, filepath.Join(f.Dir, "out"), f.LayerData())
		}},
		{Export: "HcsDestroyLayer", Do: func() error { return b.HcsDestroyLayer(layer) }},
		{Export: "HcsSetupBaseOSLayer", Do: func() error { return b.HcsSetupBaseOSLayer(f.Base, 1, "") }},
		{Export: "HcsInitializeWritableLayer", Do: func() error { return b.HcsInitializeWritableLayer(f.Dir, f.LayerData(), "") }},
		{Export: "HcsInitializeLegacyWritableLayer", Do: func() error { return b.HcsInitializeLegacyWritableLayer(`\\?\Volume{x}\`, layer, f.LayerData(), "") }},
		{Export: "HcsAttachLayerStorageFilter", Do: func() error { return b.HcsAttachLayerStorageFilter(f.Child, layertest.LayerData(f.Base)) }},
		{Export: "HcsDetachLayerStorageFilter", Do: func() error { return b.HcsDetachLayerStorageFilter(f.Child) }},
		{Export: "HcsFormatWritableLayerVhd", Do: func() error { return b.HcsFormatWritableLayerVhd(1) }},
		{Export: "HcsGetLayerVhdMountPath", Do: func() error { _, err := b.HcsGetLayerVhdMountPath(1); return err }},
		{Export: "HcsSetupBaseOSVolume", Do: func() error { return b.HcsSetupBaseOSVolume(f.Base, `\\?\Volume{x}\`, "") }},
	}
}

func TestFailNext(t *testing.T) {
	b, _ := mock(t)
	f := layertest.NewFixture(t)
	staging := f.Child
	layer := filepath.Join(f.Dir, "layer")
	mockctl.LayersFailNext("HcsImportLayer", 0x80070015, 1)
	wantErr(t, "HcsImportLayer", b.HcsImportLayer(layer, staging, layertest.LayerData(f.Base)), layertest.ErrNotReady)
	must(t, "HcsImportLayer", b.HcsImportLayer(layer, staging, layertest.LayerData(f.Base)))
	if n := mockctl.LayersCalls("HcsImportLayer"); n != 2 {
		t.Errorf("HcsImportLayer calls = %d, want 2", n)
	}
}

func TestElevationMissing(t *testing.T) {
	b, _ := mock(t)
	f := layertest.NewFixture(t)
	mockctl.LayersSetElevated(false)
	defer mockctl.LayersSetElevated(true)
	for _, c := range everyCall(b, f) {
		wantErr(t, c.Export, c.Do(), layertest.ErrPrivilegeNotHeld)
	}
	if layertest.Exists(filepath.Join(f.Dir, "layer")) {
		t.Error("HcsImportLayer made the layer without elevation")
	}
}

// A string argument containing NUL is refused before the call.
func TestNUL(t *testing.T) {
	b, _ := mock(t)
	f := layertest.NewFixture(t)
	err := b.HcsImportLayer(filepath.Join(f.Dir, "x\x00y"), f.Child, f.LayerData())
	wantErr(t, "a path with NUL", err, layertest.ErrInvalidArg)
	if !strings.Contains(err.Error(), "HcsImportLayer") {
		t.Errorf("%q does not name the entry point", err)
	}
	if n := mockctl.LayersCalls("HcsImportLayer"); n != 0 {
		t.Errorf("the call reached the DLL (%d calls)", n)
	}
}

// procs are the package's bindings, in the order of everyCall.
var procs = []**windows.LazyProc{
	&procHcsImportLayer, &procHcsExportLayer, &procHcsExportLegacyWritableLayer, &procHcsDestroyLayer,
	&procHcsSetupBaseOSLayer, &procHcsInitializeWritableLayer, &procHcsInitializeLegacyWritableLayer,
	&procHcsAttachLayerStorageFilter, &procHcsDetachLayerStorageFilter, &procHcsFormatWritableLayerVhd,
	&procHcsGetLayerVhdMountPath, &procHcsSetupBaseOSVolume,
}

// Every entry point is optional: an older computestorage.dll without it
// (HcsSetupBaseOSVolume is new in Windows Server 2022), or no
// computestorage.dll at all (Windows Server 2016), fails the call with
// ErrUnsupported naming the entry point, and never panics.
func TestMissingExports(t *testing.T) {
	b, _ := mock(t)
	layertest.MissingExports(t, procs, everyCall(b, layertest.NewFixture(t)))
}
