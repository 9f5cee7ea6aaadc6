//go:build windows

package computestorage

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/layertest"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

var full = backend.DriverInfo{}

func TestImportExportDestroy(t *testing.T) {
	b, _ := mock(t)
	f := layertest.NewFixture(t)
	staging := filepath.Join(f.Dir, "staging")
	layertest.Mkdirs(t, filepath.Join(staging, "Files"))
	layertest.WriteFile(t, filepath.Join(staging, "Files", "a.txt"), "hello")
	layer := filepath.Join(f.Dir, "app")

	wantErr(t, "HcsImportLayer without layerData", b.HcsImportLayer(layer, staging, ""), layertest.ErrInvalidArg)
	wantErr(t, "HcsImportLayer with bad JSON", b.HcsImportLayer(layer, staging, "{"), layertest.ErrInvalidJSON)
	wrongID := strings.Replace(f.LayerData(), layertest.NameToGUID("base").String(),
		layertest.NameToGUID("other").String(), 1)
	wantErr(t, "HcsImportLayer with a wrong Id", b.HcsImportLayer(layer, staging, wrongID), layertest.ErrInvalidArg)
	smb := strings.Replace(f.LayerData(), "AbsolutePath", "VirtualSmbShareName", 1)
	wantErr(t, "HcsImportLayer with an SMB path type", b.HcsImportLayer(layer, staging, smb), layertest.ErrInvalidArg)
	if layertest.Exists(layer) {
		t.Fatal("a refused import left the layer folder")
	}

	must(t, "HcsImportLayer", b.HcsImportLayer(layer, staging, f.LayerData()))
	if got := layertest.ReadFile(t, filepath.Join(layer, "Files", "a.txt")); got != "hello" {
		t.Errorf("imported file = %q", got)
	}
	wantErr(t, "HcsImportLayer again", b.HcsImportLayer(layer, staging, f.LayerData()), layertest.ErrAlreadyExists)
	// The caller names the parents in layerchain.json, as on Windows.
	layertest.WriteFile(t, filepath.Join(layer, "layerchain.json"), layertest.JSONPaths(f.Child, f.Base))

	out := filepath.Join(f.Dir, "export")
	wantErr(t, "HcsExportLayer without options", b.HcsExportLayer(layer, out, f.LayerData(), ""), layertest.ErrInvalidArg)
	wantErr(t, "HcsExportLayer with bad options", b.HcsExportLayer(layer, out, f.LayerData(), "[]"), layertest.ErrInvalidJSON)
	must(t, "HcsExportLayer", b.HcsExportLayer(layer, out, f.LayerData(), `{"IsWritableLayer":false}`))
	if got := layertest.ReadFile(t, filepath.Join(out, "Files", "a.txt")); got != "hello" {
		t.Errorf("exported file = %q", got)
	}

	must(t, "HcsDestroyLayer", b.HcsDestroyLayer(layer))
	if layertest.Exists(layer) {
		t.Error("HcsDestroyLayer left the folder")
	}
	must(t, "HcsDestroyLayer of a missing layer", b.HcsDestroyLayer(layer))
}

// The documented path to a writable layer (the one hcsshim #1076 reports
// nobody could make work): format a VHD, attach it, initialize the layer on
// its volume, attach the storage filter, and a container runs over it.
func TestWritableLayerOnVHD(t *testing.T) {
	b, _ := mock(t)
	f := layertest.NewFixture(t)
	h, err := mockctl.OpenVHD(filepath.Join(f.Dir, "scratch.vhdx"), true)
	must(t, "OpenVHD", err)
	defer func() { must(t, "CloseVHD", mockctl.CloseVHD(h)) }()

	_, err = b.HcsGetLayerVhdMountPath(h)
	wantErr(t, "HcsGetLayerVhdMountPath of a detached VHD", err, layertest.ErrNotReady)
	must(t, "AttachVHD", mockctl.AttachVHD(h))
	_, err = b.HcsGetLayerVhdMountPath(h)
	wantErr(t, "HcsGetLayerVhdMountPath of an unformatted VHD", err, layertest.ErrUnrecognized)
	wantErr(t, "HcsFormatWritableLayerVhd of an attached VHD", b.HcsFormatWritableLayerVhd(h), layertest.ErrBusy)
	must(t, "DetachVHD", mockctl.DetachVHD(h))
	must(t, "HcsFormatWritableLayerVhd", b.HcsFormatWritableLayerVhd(h))
	must(t, "AttachVHD", mockctl.AttachVHD(h))
	defer func() { must(t, "DetachVHD", mockctl.DetachVHD(h)) }()
	vol, err := b.HcsGetLayerVhdMountPath(h)
	must(t, "HcsGetLayerVhdMountPath", err)
	if !regexp.MustCompile(`^\\\\\?\\Volume\{[0-9a-f-]{36}\}\\$`).MatchString(vol) {
		t.Errorf("mount path %q is not a volume path", vol)
	}
	_, err = b.HcsGetLayerVhdMountPath(12345)
	wantErr(t, "HcsGetLayerVhdMountPath of a bogus handle", err, layertest.ErrHandle)

	wantErr(t, "HcsInitializeWritableLayer with options", b.HcsInitializeWritableLayer(vol, f.LayerData(), "{}"), layertest.ErrInvalidArg)
	wantErr(t, "HcsInitializeWritableLayer without parents",
		b.HcsInitializeWritableLayer(vol, layertest.LayerData(), ""), layertest.ErrInvalidArg)
	must(t, "HcsInitializeWritableLayer", b.HcsInitializeWritableLayer(vol, f.LayerData(), ""))
	wantErr(t, "HcsAttachLayerStorageFilter with other parents",
		b.HcsAttachLayerStorageFilter(vol, layertest.LayerData(f.Base)), layertest.ErrInvalidArg)
	must(t, "HcsAttachLayerStorageFilter", b.HcsAttachLayerStorageFilter(vol, f.LayerData()))
	if a, p := mockctl.LayersMounted(); a != 1 || p != 1 {
		t.Errorf("counters: %d activated, %d prepared; want 1, 1", a, p)
	}
	wantErr(t, "DetachVHD under an attached layer", mockctl.DetachVHD(h), layertest.ErrBusy)

	if why := mockctl.Why(); why == "" {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		storage := map[string]any{"Path": vol, "Layers": []map[string]string{
			{"Id": layertest.NameToGUID("child").String(), "Path": f.Child},
			{"Id": layertest.NameToGUID("base").String(), "Path": f.Base},
		}}
		doc, _ := json.Marshal(map[string]any{
			"Owner": "computestorage-test", "SchemaVersion": map[string]int{"Major": 2, "Minor": 1},
			"Container": map[string]any{"Storage": storage}, "ShouldTerminateOnLastHandleClosed": true,
		})
		sys, err := hcs.Local().CreateSystem(ctx, fmt.Sprintf("computestorage-%d", time.Now().UnixNano()), doc)
		if err != nil {
			t.Fatalf("a container over the writable layer: %v", err)
		}
		must(t, "Start", sys.Start(ctx))
		wantErr(t, "HcsDetachLayerStorageFilter under a running container", b.HcsDetachLayerStorageFilter(vol), layertest.ErrBusy)
		must(t, "Terminate", sys.Terminate(ctx))
		sys.Close()
	}
	must(t, "HcsDetachLayerStorageFilter", b.HcsDetachLayerStorageFilter(vol))
	wantErr(t, "HcsDetachLayerStorageFilter again", b.HcsDetachLayerStorageFilter(vol), layertest.ErrNotReady)
}

// The legacy writable layer: a scratch prepared with vmcompute.dll,
// initialized and exported through computestorage.dll.
func TestLegacyWritableLayer(t *testing.T) {
	b, legacy := mock(t)
	f := layertest.NewFixture(t)
	scratch := filepath.Join(f.Dir, "scratch")
	must(t, "CreateSandboxLayer", legacy.CreateSandboxLayer(full, scratch, f.Parents()))
	wantErr(t, "HcsInitializeLegacyWritableLayer of an unprepared scratch",
		b.HcsInitializeLegacyWritableLayer(`\\?\Volume{00000000-0000-0000-0000-000000000000}\`, scratch, f.LayerData(), ""),
		layertest.ErrNotReady)
	must(t, "ActivateLayer", legacy.ActivateLayer(full, scratch))
	must(t, "PrepareLayer", legacy.PrepareLayer(full, scratch, f.Parents()))
	defer func() {
		must(t, "UnprepareLayer", legacy.UnprepareLayer(full, scratch))
		must(t, "DeactivateLayer", legacy.DeactivateLayer(full, scratch))
	}()
	vol, err := legacy.GetLayerMountPath(full, scratch)
	must(t, "GetLayerMountPath", err)

	wantErr(t, "another mount path",
		b.HcsInitializeLegacyWritableLayer(`\\?\Volume{00000000-0000-0000-0000-000000000000}\`, scratch, f.LayerData(), ""),
		layertest.ErrInvalidArg)
	wantErr(t, "other parents", b.HcsInitializeLegacyWritableLayer(vol, scratch, layertest.LayerData(f.Base), ""),
		layertest.ErrInvalidArg)
	wantErr(t, "bad options", b.HcsInitializeLegacyWritableLayer(vol, scratch, f.LayerData(), "{"), layertest.ErrInvalidJSON)
	must(t, "HcsInitializeLegacyWritableLayer", b.HcsInitializeLegacyWritableLayer(vol, scratch, f.LayerData(), ""))
	if !mockctl.Layer(scratch).Writable {
		t.Error("the scratch is not marked initialized")
	}

	out := filepath.Join(f.Dir, "export")
	must(t, "HcsExportLegacyWritableLayer", b.HcsExportLegacyWritableLayer(vol, scratch, out, f.LayerData()))
	for _, d := range []string{"Files", "Hives"} {
		entries, err := os.ReadDir(filepath.Join(out, d))
		if err != nil || len(entries) != 0 {
			t.Errorf("export: %s holds %d entries (%v), want an empty folder", d, len(entries), err)
		}
	}
}

// The storage filter on a layer folder shares the state machine of
// vmcompute.dll: attached is activated and prepared.
func TestAttachFilterOnFolder(t *testing.T) {
	b, legacy := mock(t)
	f := layertest.NewFixture(t)
	must(t, "HcsAttachLayerStorageFilter", b.HcsAttachLayerStorageFilter(f.Child, layertest.LayerData(f.Base)))
	wantErr(t, "HcsAttachLayerStorageFilter again", b.HcsAttachLayerStorageFilter(f.Child, layertest.LayerData(f.Base)),
		layertest.ErrAlreadyExists)
	if st := mockctl.Layer(f.Child); st.State != "Prepared" || !st.Filter {
		t.Errorf("state = %+v, want Prepared by the filter", st)
	}
	if p, err := legacy.GetLayerMountPath(full, f.Child); err != nil || !strings.EqualFold(p, f.Child) {
		t.Errorf("GetLayerMountPath = %q, %v; want the folder itself", p, err)
	}
	wantErr(t, "UnprepareLayer of an attached layer", legacy.UnprepareLayer(full, f.Child), layertest.ErrInvalidArg)
	wantErr(t, "HcsDestroyLayer of an attached layer", b.HcsDestroyLayer(f.Child), layertest.ErrBusy)
	must(t, "HcsDetachLayerStorageFilter", b.HcsDetachLayerStorageFilter(f.Child))
	wantErr(t, "HcsAttachLayerStorageFilter of a folder that is not a layer",
		b.HcsAttachLayerStorageFilter(f.Dir, layertest.LayerData(f.Base)), layertest.ErrPathNotFound)
}

func TestSetupBaseOS(t *testing.T) {
	b, _ := mock(t)
	f := layertest.NewFixture(t)
	h, vol := vhd(t, b, filepath.Join(f.Dir, "base.vhdx"))
	wantErr(t, "a bogus VHD handle", b.HcsSetupBaseOSLayer(f.Base, 12345, ""), layertest.ErrHandle)
	wantErr(t, "an unknown Type", b.HcsSetupBaseOSLayer(f.Base, h, `{"Type":"Hologram"}`), layertest.ErrInvalidArg)
	wantErr(t, "a layer with parents", b.HcsSetupBaseOSLayer(f.Child, h, ""), layertest.ErrInvalidArg)
	must(t, "HcsSetupBaseOSLayer", b.HcsSetupBaseOSLayer(f.Base, h, `{"Type":"Container"}`))
	for _, name := range []string{"blank.vhdx", "blank-base.vhdx"} {
		if !strings.HasPrefix(layertest.ReadFile(t, filepath.Join(f.Base, name)), "vhdxfile") {
			t.Errorf("%s is not a VHDX placeholder", name)
		}
	}
	wantErr(t, "Type Vm without UtilityVM", b.HcsSetupBaseOSLayer(f.Base, h, `{"Type":"Vm"}`), layertest.ErrPathNotFound)
	layertest.Mkdirs(t, filepath.Join(f.Base, "UtilityVM", "Files"))
	must(t, "HcsSetupBaseOSLayer for a VM", b.HcsSetupBaseOSLayer(f.Base, h, `{"Type":"Vm"}`))
	if !layertest.Exists(filepath.Join(f.Base, "UtilityVM", "SystemTemplate.vhdx")) {
		t.Error("no UtilityVM\\SystemTemplate.vhdx")
	}

	wantErr(t, "HcsSetupBaseOSVolume of an unknown volume",
		b.HcsSetupBaseOSVolume(f.Base, `\\?\Volume{00000000-0000-0000-0000-000000000000}\`, ""), layertest.ErrPathNotFound)
	must(t, "HcsSetupBaseOSVolume", b.HcsSetupBaseOSVolume(f.Base, vol, ""))
}
