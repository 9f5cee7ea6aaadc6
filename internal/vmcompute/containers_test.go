//go:build windows

package vmcompute

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/layertest"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

// containerDoc is a container document whose storage is path over layers.
func containerDoc(path string, layers []backend.LayerDescriptor) string {
	type layer struct{ Id, Path string }
	storage := struct {
		Path   string
		Layers []layer
	}{Path: path, Layers: []layer{}}
	for _, l := range layers {
		storage.Layers = append(storage.Layers, layer{l.ID.String(), l.Path})
	}
	s, _ := json.Marshal(storage)
	return fmt.Sprintf(`{"Owner":"vmcompute-test","SchemaVersion":{"Major":2,"Minor":1},"Container":{"Storage":%s},"ShouldTerminateOnLastHandleClosed":true}`, s)
}

// wantHRESULT fails the test unless err carries hr.
func wantHRESULT(t *testing.T, what string, err error, hr uint32, text string) {
	t.Helper()
	var got hcs.HRESULT
	if !errors.As(err, &got) || uint32(got) != hr {
		t.Errorf("%s: err = %v, want HRESULT %#x", what, err, hr)
	} else if !strings.Contains(err.Error(), text) {
		t.Errorf("%s: %q does not say %q", what, err, text)
	}
}

// The mock computecore.dll creates a container only over a layer the mock
// vmcompute.dll prepared, with the parents it was prepared with, and the
// scratch cannot be unprepared while the container is not stopped.
func TestContainerStorage(t *testing.T) {
	b := mock(t)
	if why := mockctl.Why(); why != "" {
		t.Skip("needs the mock computecore.dll: " + why)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h := hcs.Local()
	f := layertest.NewFixture(t)
	scratch := filepath.Join(f.Dir, "scratch")
	must(t, "CreateSandboxLayer", b.CreateSandboxLayer(full, scratch, f.Parents()))
	must(t, "ActivateLayer", b.ActivateLayer(full, scratch))
	must(t, "PrepareLayer", b.PrepareLayer(full, scratch, f.Parents()))
	vol, err := b.GetLayerMountPath(full, scratch)
	must(t, "GetLayerMountPath", err)
	id := func(name string) string { return fmt.Sprintf("vmcompute-%s-%d", name, time.Now().UnixNano()) }

	refusals := []struct {
		name, path string
		layers     []backend.LayerDescriptor
		hr         uint32
		says       string
	}{
		{"the scratch folder", scratch, f.Parents(), 0x80071126, "plain directory"},
		{"an unknown volume", `\\?\Volume{00000000-0000-0000-0000-000000000000}\`, f.Parents(), 0x80070003, "not the volume"},
		{"a missing folder", filepath.Join(f.Dir, "gone"), f.Parents(), 0x80070003, "does not exist"},
		{"parents base first", vol, layertest.Parents(f.Base, f.Child), 0x80070057, "layer 0"},
		{"a missing parent", vol, layertest.Parents(f.Child), 0x80070057, "1 layers where 2"},
	}
	for _, r := range refusals {
		_, err := h.CreateSystem(ctx, id("refused"), containerDoc(r.path, r.layers))
		wantHRESULT(t, r.name, err, r.hr, r.says)
	}

	sys, err := h.CreateSystem(ctx, id("ok"), containerDoc(vol, f.Parents()))
	if err != nil {
		t.Fatalf("CreateSystem over the prepared scratch: %v", err)
	}
	defer sys.Close()
	must(t, "Start", sys.Start(ctx))
	wantErr(t, "UnprepareLayer under a running container", b.UnprepareLayer(full, scratch), errBusy)
	must(t, "Terminate", sys.Terminate(ctx))
	must(t, "UnprepareLayer once the container stopped", b.UnprepareLayer(full, scratch))
	must(t, "DeactivateLayer", b.DeactivateLayer(full, scratch))

	// A container document without Storage, or without Storage.Path, is
	// still accepted (the simulator offers an option to refuse it).
	for _, container := range []string{`{}`, `{"Storage":{}}`} {
		plain, err := h.CreateSystem(ctx, id("plain"), `{"Owner":"vmcompute-test","SchemaVersion":{"Major":2,"Minor":1},"Container":`+
			container+`,"ShouldTerminateOnLastHandleClosed":true}`)
		if err != nil {
			t.Fatalf("a container %s: %v", container, err)
		}
		plain.Close()
	}
}

// A VM may not attach over SCSI the sandbox.vhdx of a scratch activated on
// the host (0x80070020, reported by ZLayer).
func TestVMAttachesActivatedScratch(t *testing.T) {
	b := mock(t)
	if why := mockctl.Why(); why != "" {
		t.Skip("needs the mock computecore.dll: " + why)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := layertest.NewFixture(t)
	scratch := filepath.Join(f.Dir, "scratch")
	must(t, "CreateSandboxLayer", b.CreateSandboxLayer(full, scratch, f.Parents()))
	vhdx, _ := json.Marshal(filepath.Join(scratch, "sandbox.vhdx"))
	doc := fmt.Sprintf(`{"Owner":"vmcompute-test","SchemaVersion":{"Major":2,"Minor":1},"VirtualMachine":{"Devices":{"Scsi":{"0":{"Attachments":{"0":{"Type":"VirtualDisk","Path":%s}}}}}},"ShouldTerminateOnLastHandleClosed":true}`, vhdx)
	must(t, "ActivateLayer", b.ActivateLayer(full, scratch))
	_, err := hcs.Local().CreateSystem(ctx, fmt.Sprintf("vm-%d", time.Now().UnixNano()), doc)
	wantHRESULT(t, "a VM over an activated scratch", err, 0x80070020, "activated")
	must(t, "DeactivateLayer", b.DeactivateLayer(full, scratch))
	vm, err := hcs.Local().CreateSystem(ctx, fmt.Sprintf("vm-%d", time.Now().UnixNano()), doc)
	if err != nil {
		t.Fatalf("a VM over an inactive scratch: %v", err)
	}
	vm.Close()
}
