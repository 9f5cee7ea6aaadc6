//go:build windows

package computestorage

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/winetest/layertest"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

type call struct {
	export string
	do     func() error
}

// everyCall calls each of the twelve entry points once, in the header's
// order, with arguments the mock would accept on the fixture.
func everyCall(b backend.Storage, f layertest.Fixture) []call {
	layer := filepath.Join(f.Dir, "layer")
	return []call{
		{"HcsImportLayer", func() error { return b.HcsImportLayer(layer, f.Child, f.LayerData()) }},
		{"HcsExportLayer", func() error {
			return b.HcsExportLayer(f.Child, filepath.Join(f.Dir, "out"), layertest.LayerData(f.Base), "{}")
		}},
		{"HcsExportLegacyWritableLayer", func() error {
			return b.HcsExportLegacyWritableLayer(`\\?\Volume{x}\`, layer, filepath.Join(f.Dir, "out"), f.LayerData())
		}},
		{"HcsDestroyLayer", func() error { return b.HcsDestroyLayer(layer) }},
		{"HcsSetupBaseOSLayer", func() error { return b.HcsSetupBaseOSLayer(f.Base, 1, "") }},
		{"HcsInitializeWritableLayer", func() error { return b.HcsInitializeWritableLayer(f.Dir, f.LayerData(), "") }},
		{"HcsInitializeLegacyWritableLayer", func() error { return b.HcsInitializeLegacyWritableLayer(`\\?\Volume{x}\`, layer, f.LayerData(), "") }},
		{"HcsAttachLayerStorageFilter", func() error { return b.HcsAttachLayerStorageFilter(f.Child, layertest.LayerData(f.Base)) }},
		{"HcsDetachLayerStorageFilter", func() error { return b.HcsDetachLayerStorageFilter(f.Child) }},
		{"HcsFormatWritableLayerVhd", func() error { return b.HcsFormatWritableLayerVhd(1) }},
		{"HcsGetLayerVhdMountPath", func() error { _, err := b.HcsGetLayerVhdMountPath(1); return err }},
		{"HcsSetupBaseOSVolume", func() error { return b.HcsSetupBaseOSVolume(f.Base, `\\?\Volume{x}\`, "") }},
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
		wantErr(t, c.export, c.do(), layertest.ErrPrivilegeNotHeld)
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
	f := layertest.NewFixture(t)
	data, err := os.ReadFile(filepath.Join("..", "..", ".build", "wine", "decoy", "computecore.dll"))
	if err != nil {
		t.Fatalf("the decoy DLL make wine builds: %v", err)
	}
	old := filepath.Join(f.Dir, "computestorage-old.dll")
	layertest.WriteFile(t, old, string(data))
	dlls := map[string]*windows.LazyDLL{
		"a DLL without the exports": windows.NewLazyDLL(old),
		"a missing DLL":             windows.NewLazySystemDLL("hcs-no-such-computestorage.dll"),
	}
	for name, dll := range dlls {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if dll.Load() == nil { // Wine refuses to delete a loaded DLL
					_ = windows.FreeLibrary(windows.Handle(dll.Handle()))
				}
			}()
			saved := make([]*windows.LazyProc, len(procs))
			for i, p := range procs {
				saved[i] = *p
				*p = dll.NewProc((*p).Name)
			}
			defer func() {
				for i, p := range procs {
					*p = saved[i]
				}
			}()
			calls := everyCall(b, f)
			if len(calls) != len(procs) {
				t.Fatalf("%d calls for %d bindings", len(calls), len(procs))
			}
			for i, c := range calls {
				if c.export != saved[i].Name {
					t.Fatalf("call %d is %s, binding %s", i, c.export, saved[i].Name)
				}
				err := c.do()
				if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), c.export) {
					t.Errorf("%s: err = %v, want errors.ErrUnsupported naming it", c.export, err)
				}
			}
		})
	}
}
