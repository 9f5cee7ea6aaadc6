package hcssim

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/layertest"
	"github.com/gohcs/hcs/internal/winetest"
)

// layerFixture is a simulator, its layer seam, and layer folders in a
// temporary directory: a base layer and a layer above it.
type layerFixture struct {
	sim       *Sim
	b         *layerSeam
	dir       string
	base, app string
}

func newLayerFixture(t *testing.T, opts ...Option) *layerFixture {
	t.Helper()
	sim := New(opts...)
	t.Cleanup(sim.Close)
	f := &layerFixture{sim: sim, b: (*layerSeam)(sim), dir: winetest.TempDir(t)}
	f.base = layertest.Folder(t, f.dir, "base")
	f.app = layertest.Folder(t, f.dir, "app", f.base)
	return f
}

// descs returns the descriptors of paths, with the simulator's ids.
func descs(paths ...string) []backend.LayerDescriptor {
	d := make([]backend.LayerDescriptor, len(paths))
	for i, p := range paths {
		d[i] = backend.LayerDescriptor{ID: nameToGUID(backend.LayerName(p)), Path: p}
	}
	return d
}

// scratch makes a scratch layer over app and base.
func (f *layerFixture) scratch(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(f.dir, name)
	if err := f.b.CreateSandboxLayer(backend.DriverInfo{}, path, descs(f.app, f.base)); err != nil {
		t.Fatalf("CreateSandboxLayer: %v", err)
	}
	return path
}

// wantCode fails t unless err is hr.
func wantCode(t *testing.T, what string, err error, hr hcs.HRESULT) {
	t.Helper()
	if !errors.Is(err, hr) {
		t.Fatalf("%s: got %v, want %v", what, err, hr)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestModel runs the shared layer model's checks on the simulator; the
// mock layer DLLs run the same under Wine (internal/layertest).
func TestModel(t *testing.T) {
	layertest.Model(t, func(t *testing.T) layertest.Fake {
		sim := New()
		t.Cleanup(sim.Close)
		return layertest.Fake{
			Layers:      (*layerSeam)(sim),
			OpenVHD:     sim.OpenVHD,
			AttachVHD:   sim.AttachVHD,
			DetachVHD:   sim.DetachVHD,
			CloseVHD:    sim.CloseVHD,
			FailNext:    func(fn string, hr hcs.HRESULT) { sim.FailNext(Call(fn), hr, "") },
			SetElevated: sim.SetElevated,
			Disconnect:  sim.Disconnect,
			Reconnect:   sim.Reconnect,
			Mounted: func() (activated, prepared int) {
				for _, l := range sim.MountedLayers() {
					activated++
					if l.State == LayerPrepared {
						prepared++
					}
				}
				return activated, prepared
			},
			LiveVHDs: func() int {
				sim.mu.Lock()
				defer sim.mu.Unlock()
				return len(sim.layers.vhds)
			},
		}
	})
}

// TestMountedLayers checks what MountedLayers reports of a mount, and the
// placeholder disk that names the simulator.
func TestMountedLayers(t *testing.T) {
	f := newLayerFixture(t)
	b, info := f.b, backend.DriverInfo{}
	s := f.scratch(t, "scratch")
	disk, err := os.ReadFile(filepath.Join(s, sandboxFile))
	if err != nil || !bytes.HasPrefix(disk, []byte("vhdxfile")) || !bytes.Contains(disk, []byte(`"Fake":"hcssim"`)) {
		t.Fatalf("sandbox.vhdx = %q, %v; want the simulator's placeholder", disk, err)
	}
	vol := f.mount(t, s)
	must(t, "ActivateLayer again", b.ActivateLayer(info, s))
	infos := f.sim.MountedLayers()
	if len(infos) != 1 || infos[0].State != LayerPrepared || infos[0].VolumePath != vol ||
		!slices.Equal(infos[0].Parents, []string{f.app, f.base}) || infos[0].Activations != 2 {
		t.Fatalf("MountedLayers = %+v", infos)
	}
	must(t, "DeactivateLayer", b.DeactivateLayer(info, s))
	must(t, "UnprepareLayer", b.UnprepareLayer(info, s))
	if infos := f.sim.MountedLayers(); len(infos) != 1 || infos[0].State != LayerActivated || infos[0].VolumePath != "" {
		t.Fatalf("MountedLayers after UnprepareLayer = %+v", infos)
	}
	must(t, "DeactivateLayer", b.DeactivateLayer(info, s))
	if infos := f.sim.MountedLayers(); len(infos) != 0 {
		t.Fatalf("MountedLayers after the teardown = %+v", infos)
	}
}

// TestContainerOnFilter runs a container on a writable layer mounted with
// computestorage.dll's calls: the filter cannot be detached under it.
func TestContainerOnFilter(t *testing.T) {
	f := newLayerFixture(t)
	b := f.b
	h, err := f.sim.OpenVHD(filepath.Join(f.dir, "w.vhdx"), true)
	must(t, "OpenVHD", err)
	must(t, "HcsFormatWritableLayerVhd", b.HcsFormatWritableLayerVhd(h))
	must(t, "AttachVHD", f.sim.AttachVHD(h))
	vol, err := b.HcsGetLayerVhdMountPath(h)
	must(t, "HcsGetLayerVhdMountPath", err)
	data := layertest.LayerData(f.app, f.base)
	must(t, "HcsInitializeWritableLayer", b.HcsInitializeWritableLayer(vol, data, ""))
	must(t, "HcsAttachLayerStorageFilter", b.HcsAttachLayerStorageFilter(vol, data))

	host := f.sim.Host()
	doc := `{"Container":{"Storage":{"Path":` + quote(vol) + `,"Layers":` + layersJSON(f.app, f.base) + `}}}`
	sys, err := host.CreateSystem(t.Context(), "on-filter", doc)
	if err != nil {
		t.Fatalf("CreateSystem on the attached volume: %v", err)
	}
	defer sys.Close()
	wantCode(t, "HcsDetachLayerStorageFilter under a container", b.HcsDetachLayerStorageFilter(vol), hcs.ERROR_BUSY)
	must(t, "Terminate", sys.Terminate(t.Context()))
	must(t, "HcsDetachLayerStorageFilter", b.HcsDetachLayerStorageFilter(vol))
	must(t, "DetachVHD", f.sim.DetachVHD(h))
	must(t, "CloseVHD", f.sim.CloseVHD(h))
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `\`, `\\`) + `"` }

// layersJSON is the Storage.Layers of paths, with the simulator's ids.
func layersJSON(paths ...string) string {
	var parts []string
	for _, p := range paths {
		parts = append(parts, `{"Id":"`+nameToGUID(backend.LayerName(p)).String()+`","Path":`+quote(p)+`}`)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// mount activates and prepares a scratch layer over app and base, and
// returns its volume.
func (f *layerFixture) mount(t *testing.T, s string) string {
	t.Helper()
	info := backend.DriverInfo{}
	must(t, "ActivateLayer", f.b.ActivateLayer(info, s))
	must(t, "PrepareLayer", f.b.PrepareLayer(info, s, descs(f.app, f.base)))
	vol, err := f.b.GetLayerMountPath(info, s)
	must(t, "GetLayerMountPath", err)
	return vol
}

func TestContainerOnLayers(t *testing.T) {
	f := newLayerFixture(t)
	s := f.scratch(t, "scratch")
	vol := f.mount(t, s)
	host := f.sim.Host()
	ctx := t.Context()
	doc := `{"Container":{"Storage":{"Path":` + quote(vol) + `,"Layers":` + layersJSON(f.app, f.base) + `}}}`
	sys, err := host.CreateSystem(ctx, "web", doc)
	must(t, "CreateSystem", err)
	defer sys.Close()
	must(t, "Start", sys.Start(ctx))
	wantCode(t, "UnprepareLayer under a running container", f.b.UnprepareLayer(backend.DriverInfo{}, s), hcs.ERROR_BUSY)

	// A virtual machine may not attach the sandbox of an activated scratch.
	vm := `{"VirtualMachine":{"Devices":{"Scsi":{"0":{"Attachments":{"0":{"Type":"VirtualDisk","Path":` +
		quote(filepath.Join(s, "sandbox.vhdx")) + `}}}}}}}`
	_, err = host.CreateSystem(ctx, "vm", vm)
	wantCode(t, "CreateSystem of a VM attaching an activated sandbox", err, hcs.ERROR_SHARING_VIOLATION)

	must(t, "Terminate", sys.Terminate(ctx))
	must(t, "UnprepareLayer after the container stopped", f.b.UnprepareLayer(backend.DriverInfo{}, s))
	must(t, "DeactivateLayer", f.b.DeactivateLayer(backend.DriverInfo{}, s))
	vmSys, err := host.CreateSystem(ctx, "vm", vm)
	must(t, "CreateSystem of the VM once the scratch is inactive", err)
	vmSys.Close()
}

func TestRequireStorage(t *testing.T) {
	sim := New(WithRequireStorage())
	defer sim.Close()
	_, err := sim.Host().CreateSystem(t.Context(), "bare", `{"Container":{}}`)
	wantCode(t, "a container without storage", err, hcs.E_INVALIDARG)
	vm, err := sim.Host().CreateSystem(t.Context(), "vm", `{"VirtualMachine":{}}`)
	must(t, "a virtual machine", err)
	vm.Close()
}

// TestLayerFaults checks the faults every layer call honours: the service
// being gone, missing elevation, an injected failure.
func TestLayerFaults(t *testing.T) {
	f := newLayerFixture(t)
	b, info := f.b, backend.DriverInfo{}
	s := f.scratch(t, "scratch")
	calls := map[Call]func() error{
		CallNameToGuid:                       func() error { _, err := b.NameToGuid("x"); return err },
		CallCreateSandboxLayer:               func() error { return b.CreateSandboxLayer(info, s, descs(f.base)) },
		CallExpandSandboxSize:                func() error { return b.ExpandSandboxSize(info, s, 1<<40) },
		CallActivateLayer:                    func() error { return b.ActivateLayer(info, s) },
		CallDeactivateLayer:                  func() error { return b.DeactivateLayer(info, s) },
		CallPrepareLayer:                     func() error { return b.PrepareLayer(info, s, descs(f.base)) },
		CallUnprepareLayer:                   func() error { return b.UnprepareLayer(info, s) },
		CallGetLayerMountPath:                func() error { _, err := b.GetLayerMountPath(info, s); return err },
		CallDestroyLayer:                     func() error { return b.DestroyLayer(info, s) },
		CallLayerExists:                      func() error { _, err := b.LayerExists(info, s); return err },
		CallImportLayer:                      func() error { return b.ImportLayer(info, s, f.app, descs(f.base)) },
		CallExportLayer:                      func() error { return b.ExportLayer(info, s, f.dir, nil) },
		CallProcessBaseImage:                 func() error { return b.ProcessBaseImage(f.base) },
		CallProcessUtilityImage:              func() error { return b.ProcessUtilityImage(f.base) },
		CallGetBaseImages:                    func() error { _, err := b.GetBaseImages(); return err },
		CallHcsImportLayer:                   func() error { return b.HcsImportLayer(s, f.app, "") },
		CallHcsExportLayer:                   func() error { return b.HcsExportLayer(s, f.dir, "", "") },
		CallHcsExportLegacyWritableLayer:     func() error { return b.HcsExportLegacyWritableLayer("v", s, f.dir, "") },
		CallHcsDestroyLayer:                  func() error { return b.HcsDestroyLayer(s) },
		CallHcsSetupBaseOSLayer:              func() error { return b.HcsSetupBaseOSLayer(f.base, 1, "") },
		CallHcsSetupBaseOSVolume:             func() error { return b.HcsSetupBaseOSVolume(f.base, "v", "") },
		CallHcsInitializeWritableLayer:       func() error { return b.HcsInitializeWritableLayer(s, "", "") },
		CallHcsInitializeLegacyWritableLayer: func() error { return b.HcsInitializeLegacyWritableLayer("v", s, "", "") },
		CallHcsAttachLayerStorageFilter:      func() error { return b.HcsAttachLayerStorageFilter(s, "") },
		CallHcsDetachLayerStorageFilter:      func() error { return b.HcsDetachLayerStorageFilter(s) },
		CallHcsFormatWritableLayerVhd:        func() error { return b.HcsFormatWritableLayerVhd(1) },
		CallHcsGetLayerVhdMountPath:          func() error { _, err := b.HcsGetLayerVhdMountPath(1); return err },
	}
	for call, do := range calls {
		if !call.Valid() {
			t.Errorf("%s is not a valid Call", call)
		}
		f.sim.FailNext(call, hcs.E_ABORT, "")
		wantCode(t, string(call)+" with a failure injected", do(), hcs.E_ABORT)
		f.sim.SetElevated(false)
		wantCode(t, string(call)+" unelevated", do(), hcs.ERROR_PRIVILEGE_NOT_HELD)
		f.sim.SetElevated(true)
		f.sim.Disconnect()
		wantCode(t, string(call)+" disconnected", do(), hcs.HCS_E_SERVICE_DISCONNECT)
		f.sim.Reconnect()
	}
	if infos := f.sim.MountedLayers(); len(infos) != 0 {
		t.Fatalf("the failed calls mounted %+v", infos)
	}
}

func TestLayerStateSaved(t *testing.T) {
	f := newLayerFixture(t)
	s := f.scratch(t, "scratch")
	vol := f.mount(t, s)
	other := f.scratch(t, "other")
	must(t, "ActivateLayer", f.b.ActivateLayer(backend.DriverInfo{}, other))
	// A storage filter on a layer folder, and a writable layer.
	must(t, "HcsAttachLayerStorageFilter", f.b.HcsAttachLayerStorageFilter(f.app, layertest.LayerData(f.base)))
	writable := filepath.Join(f.dir, "writable")
	layertest.Mkdirs(t, writable)
	must(t, "HcsInitializeWritableLayer", f.b.HcsInitializeWritableLayer(writable, layertest.LayerData(f.app, f.base), ""))
	var buf bytes.Buffer
	must(t, "SaveState", f.sim.SaveState(&buf))

	sim := New()
	defer sim.Close()
	must(t, "LoadState", sim.LoadState(bytes.NewReader(buf.Bytes())))
	if got, want := sim.MountedLayers(), f.sim.MountedLayers(); !slices.EqualFunc(got, want, func(a, b LayerSnapshot) bool {
		return a.Path == b.Path && a.State == b.State && a.VolumePath == b.VolumePath &&
			slices.Equal(a.Parents, b.Parents) && a.Activations == b.Activations
	}) {
		t.Fatalf("loaded layers %+v, want %+v", got, want)
	}
	// The loaded simulator unmounts what the other one mounted, each with
	// its own API, and knows the writable layer.
	b := (*layerSeam)(sim)
	must(t, "UnprepareLayer", b.UnprepareLayer(backend.DriverInfo{}, s))
	must(t, "DeactivateLayer", b.DeactivateLayer(backend.DriverInfo{}, s))
	wantCode(t, "UnprepareLayer of the loaded filter", b.UnprepareLayer(backend.DriverInfo{}, f.app), hcs.E_INVALIDARG)
	must(t, "HcsDetachLayerStorageFilter", b.HcsDetachLayerStorageFilter(f.app))
	wantCode(t, "HcsInitializeWritableLayer of the loaded writable layer",
		b.HcsInitializeWritableLayer(writable, layertest.LayerData(f.app, f.base), ""), hcs.ERROR_ALREADY_EXISTS)
	if p, _ := f.b.GetLayerMountPath(backend.DriverInfo{}, s); p != vol {
		t.Fatalf("the first simulator's mount changed: %q", p)
	}

	for _, bad := range []string{
		`{"Format":"hcssim-state/1","Systems":[],"Layers":[{"Path":"","State":"Activated","Activations":1}]}`,
		`{"Format":"hcssim-state/1","Systems":[],"Layers":[{"Path":"x","State":"Mounted","Activations":1}]}`,
		`{"Format":"hcssim-state/1","Systems":[],"Layers":[{"Path":"x","State":"Activated","Activations":0}]}`,
		`{"Format":"hcssim-state/1","Systems":[],"Layers":[{"Path":"x","State":"Prepared","Activations":1}]}`,
		`{"Format":"hcssim-state/1","Systems":[],"Layers":[{"Path":"x","State":"Activated","Activations":1},{"Path":"x","State":"Activated","Activations":1}]}`,
		`{"Format":"hcssim-state/1","Systems":[],"Layers":[{"Path":"x","State":"Activated","Activations":1,"Filter":true}]}`,
		`{"Format":"hcssim-state/1","Systems":[],"Writable":[{"Path":"x"}]}`,
		`{"Format":"hcssim-state/1","Systems":[],"Writable":[{"Path":"x","Parents":["b"]},{"Path":"x","Parents":["b"]}]}`,
	} {
		if err := sim.LoadState(strings.NewReader(bad)); err == nil {
			t.Errorf("LoadState(%s) succeeded", bad)
		}
	}
	if len(sim.MountedLayers()) != 1 {
		t.Fatalf("a refused state changed the layers: %+v", sim.MountedLayers())
	}
	// The first simulator's mounts go too.
	must(t, "HcsDetachLayerStorageFilter", f.b.HcsDetachLayerStorageFilter(f.app))
	must(t, "UnprepareLayer", f.b.UnprepareLayer(backend.DriverInfo{}, s))
	must(t, "DeactivateLayer", f.b.DeactivateLayer(backend.DriverInfo{}, s))
	must(t, "DeactivateLayer", f.b.DeactivateLayer(backend.DriverInfo{}, other))
	if infos := f.sim.MountedLayers(); len(infos) != 0 {
		t.Fatalf("left mounted: %+v", infos)
	}
}
