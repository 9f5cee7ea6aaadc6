//go:build windows

package computestorage

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/layertest"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

// The documented path to a writable layer (the one hcsshim #1076 reports
// nobody could make work), through this FFI: format a VHD, attach it,
// initialize the layer on its volume, attach the storage filter, and a
// container runs over it and holds it. The refusals on the way are the
// shared model's (internal/layertest.Model).
func TestWritableLayerOnVHD(t *testing.T) {
	b, _ := mock(t)
	f := layertest.NewFixture(t)
	h, err := mockctl.OpenVHD(filepath.Join(f.Dir, "scratch.vhdx"), true)
	must(t, "OpenVHD", err)
	defer func() { must(t, "CloseVHD", mockctl.CloseVHD(h)) }()
	must(t, "HcsFormatWritableLayerVhd", b.HcsFormatWritableLayerVhd(h))
	must(t, "AttachVHD", mockctl.AttachVHD(h))
	defer func() { must(t, "DetachVHD", mockctl.DetachVHD(h)) }()
	vol, err := b.HcsGetLayerVhdMountPath(h)
	must(t, "HcsGetLayerVhdMountPath", err)
	if !regexp.MustCompile(`^\\\\\?\\Volume\{[0-9a-f-]{36}\}\\$`).MatchString(vol) {
		t.Errorf("mount path %q is not a volume path", vol)
	}
	must(t, "HcsInitializeWritableLayer", b.HcsInitializeWritableLayer(vol, f.LayerData(), ""))
	must(t, "HcsAttachLayerStorageFilter", b.HcsAttachLayerStorageFilter(vol, f.LayerData()))
	if a, p := mockctl.LayersMounted(); a != 1 || p != 1 {
		t.Errorf("counters: %d activated, %d prepared; want 1, 1", a, p)
	}

	if why := mockctl.Why(); why != "" {
		t.Fatalf("the Wine harness installs the mock computecore.dll beside the mock layer DLLs: %s", why)
	}
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
	must(t, "HcsDetachLayerStorageFilter", b.HcsDetachLayerStorageFilter(vol))
	wantErr(t, "HcsDetachLayerStorageFilter again", b.HcsDetachLayerStorageFilter(vol), layertest.ErrNotReady)
}
