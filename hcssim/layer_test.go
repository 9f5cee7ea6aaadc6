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

// TestNameToGuid pins the ids the model defines, so that the mock
// vmcompute.dll can be checked against the same values.
func TestNameToGuid(t *testing.T) {
	b := (*layerSeam)(newLayerFixture(t).sim)
	for name, want := range map[string]string{
		"base":       "c30d24c3-8fac-5e4d-ad83-67596d459dfa",
		"Base":       "fabd6851-b865-59c2-93d7-bbe2839a5088", // no case folding
		"nanoserver": "b4751009-87a9-5033-a8e8-3a2c918f68e7",
		"wörld":      "c68dc407-feff-5dae-8b8a-76fed827e3cb", // UTF-16LE
	} {
		g, err := b.NameToGuid(name)
		if err != nil || g.String() != want {
			t.Errorf("NameToGuid(%q) = %s, %v; want %s", name, g, err, want)
		}
	}
	_, err := b.NameToGuid("")
	wantCode(t, "NameToGuid of an empty name", err, hcs.E_INVALIDARG)
}

func TestScratchStateMachine(t *testing.T) {
	f := newLayerFixture(t)
	b, info := f.b, backend.DriverInfo{}
	s := f.scratch(t, "scratch")

	_, err := b.GetLayerMountPath(info, s)
	wantCode(t, "GetLayerMountPath of an inactive layer", err, hcs.ERROR_NOT_READY)
	wantCode(t, "PrepareLayer of an inactive layer", b.PrepareLayer(info, s, descs(f.app, f.base)), hcs.ERROR_NOT_READY)
	wantCode(t, "UnprepareLayer of an inactive layer", b.UnprepareLayer(info, s), hcs.ERROR_NOT_READY)
	wantCode(t, "DeactivateLayer of an inactive layer", b.DeactivateLayer(info, s), hcs.ERROR_NOT_READY)

	must(t, "ActivateLayer", b.ActivateLayer(info, s))
	if p, err := b.GetLayerMountPath(info, s); err != nil || p != filepath.Clean(s) {
		t.Fatalf("GetLayerMountPath of an activated layer = %q, %v; want its folder", p, err)
	}
	wantCode(t, "PrepareLayer without parents", b.PrepareLayer(info, s, nil), hcs.E_INVALIDARG)
	must(t, "PrepareLayer", b.PrepareLayer(info, s, descs(f.app, f.base)))
	wantCode(t, "PrepareLayer again", b.PrepareLayer(info, s, descs(f.app, f.base)), hcs.ERROR_ALREADY_EXISTS)
	vol, err := b.GetLayerMountPath(info, s)
	if err != nil || !isVolumePath(vol) {
		t.Fatalf("GetLayerMountPath of a prepared layer = %q, %v; want a volume path", vol, err)
	}
	wantCode(t, "DeactivateLayer of a prepared layer", b.DeactivateLayer(info, s), hcs.ERROR_BUSY)
	wantCode(t, "DestroyLayer of a prepared layer", b.DestroyLayer(info, s), hcs.ERROR_BUSY)
	wantCode(t, "DestroyLayer of a parent of a prepared layer", b.DestroyLayer(info, f.base), hcs.ERROR_BUSY)

	// A second activation is counted, and may be undone while prepared.
	must(t, "ActivateLayer again", b.ActivateLayer(info, s))
	must(t, "DeactivateLayer of the second activation", b.DeactivateLayer(info, s))

	infos := f.sim.MountedLayers()
	if len(infos) != 1 || infos[0].State != "Prepared" || infos[0].VolumePath != vol ||
		!slices.Equal(infos[0].Parents, []string{f.app, f.base}) || infos[0].Activations != 1 {
		t.Fatalf("MountedLayers = %+v", infos)
	}

	must(t, "UnprepareLayer", b.UnprepareLayer(info, s))
	wantCode(t, "UnprepareLayer again", b.UnprepareLayer(info, s), hcs.ERROR_NOT_READY)
	must(t, "DeactivateLayer", b.DeactivateLayer(info, s))
	if infos := f.sim.MountedLayers(); len(infos) != 0 {
		t.Fatalf("MountedLayers after the teardown = %+v", infos)
	}
	must(t, "DestroyLayer", b.DestroyLayer(info, s))
	if _, err := os.Stat(s); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the scratch folder is still there: %v", err)
	}
	must(t, "DestroyLayer of a missing folder", b.DestroyLayer(info, s))
}

func TestLayerArguments(t *testing.T) {
	f := newLayerFixture(t)
	b, info := f.b, backend.DriverInfo{}
	s := filepath.Join(f.dir, "scratch")
	missing := filepath.Join(f.dir, "missing")
	wrongID := descs(f.app, f.base)
	wrongID[1].ID = wrongID[0].ID

	for _, c := range []struct {
		what string
		err  error
		want hcs.HRESULT
	}{
		{"an empty id", b.ActivateLayer(info, ""), hcs.E_INVALIDARG},
		{"no parents", b.CreateSandboxLayer(info, s, nil), hcs.E_INVALIDARG},
		{"a parent that is not a layer", b.CreateSandboxLayer(info, s, descs(missing)), hcs.ERROR_PATH_NOT_FOUND},
		{"a wrong descriptor id", b.CreateSandboxLayer(info, s, wrongID), hcs.E_INVALIDARG},
		{"parents base first", b.CreateSandboxLayer(info, s, descs(f.base, f.app)), hcs.E_INVALIDARG},
		{"the base missing", b.CreateSandboxLayer(info, s, descs(f.app)), hcs.E_INVALIDARG},
		{"activating a missing layer", b.ActivateLayer(info, missing), hcs.ERROR_PATH_NOT_FOUND},
		{"expanding a missing sandbox", b.ExpandSandboxSize(info, missing, 1<<40), hcs.ERROR_FILE_NOT_FOUND},
	} {
		wantCode(t, c.what, c.err, c.want)
	}
	if _, err := os.Stat(s); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("refused CreateSandboxLayer calls made %s", s)
	}

	// HomeDir\id names the layer when HomeDir is set.
	home := backend.DriverInfo{HomeDir: f.dir}
	must(t, "CreateSandboxLayer in HomeDir", b.CreateSandboxLayer(home, "scratch", descs(f.app, f.base)))
	wantCode(t, "CreateSandboxLayer again", b.CreateSandboxLayer(info, s, descs(f.app, f.base)), hcs.ERROR_FILE_EXISTS)
	if ok, err := b.LayerExists(info, s); !ok || err != nil {
		t.Fatalf("LayerExists(scratch) = %v, %v", ok, err)
	}
	if ok, err := b.LayerExists(info, missing); ok || err != nil {
		t.Fatalf("LayerExists(missing) = %v, %v", ok, err)
	}
	b2, err := os.ReadFile(filepath.Join(s, sandboxFile))
	if err != nil || !bytes.HasPrefix(b2, []byte("vhdxfile")) || !bytes.Contains(b2, []byte(`"Fake":"hcssim"`)) {
		t.Fatalf("sandbox.vhdx = %q, %v; want the simulator's placeholder", b2, err)
	}
	wantCode(t, "shrinking the sandbox", b.ExpandSandboxSize(info, s, 1<<30), hcs.E_INVALIDARG)
	must(t, "ExpandSandboxSize", b.ExpandSandboxSize(info, s, 40<<30))
	if p, err := readPlaceholder(filepath.Join(s, sandboxFile)); err != nil || p.Size != 40<<30 {
		t.Fatalf("the placeholder after expanding = %+v, %v", p, err)
	}
}

func TestImportAndProcess(t *testing.T) {
	f := newLayerFixture(t)
	b, info := f.b, backend.DriverInfo{}
	staging := layertest.Folder(t, f.dir, "staging")
	if err := os.WriteFile(filepath.Join(staging, filesDir, "app.exe"), []byte("MZ"), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(f.dir, "imported")
	must(t, "ImportLayer", b.ImportLayer(info, dst, staging, descs(f.app, f.base)))
	if got, err := os.ReadFile(filepath.Join(dst, filesDir, "app.exe")); err != nil || string(got) != "MZ" {
		t.Fatalf("imported file = %q, %v", got, err)
	}
	wantCode(t, "ImportLayer over a layer", b.ImportLayer(info, dst, staging, nil), hcs.ERROR_ALREADY_EXISTS)
	must(t, "ImportLayer in place", b.ImportLayer(info, staging, staging, nil))
	wantCode(t, "ImportLayer from a missing folder", b.ImportLayer(info, dst, filepath.Join(f.dir, "nope"), nil), hcs.ERROR_PATH_NOT_FOUND)

	out := filepath.Join(f.dir, "exported")
	must(t, "ExportLayer", b.ExportLayer(info, dst, out, descs(f.app, f.base)))
	if _, err := os.Stat(filepath.Join(out, filesDir, "app.exe")); err != nil {
		t.Fatalf("exported file: %v", err)
	}

	must(t, "ProcessBaseImage", b.ProcessBaseImage(f.base))
	for _, name := range []string{"blank.vhdx", "blank-base.vhdx"} {
		if _, err := readPlaceholder(filepath.Join(f.base, name)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	filesOnly := filepath.Join(f.dir, "files-only")
	if err := os.MkdirAll(filepath.Join(filesOnly, filesDir), 0o755); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "ProcessBaseImage without Hives", b.ProcessBaseImage(filesOnly), hcs.ERROR_PATH_NOT_FOUND)
	wantCode(t, "ProcessUtilityImage without UtilityVM", b.ProcessUtilityImage(filepath.Join(f.base, "UtilityVM")), hcs.ERROR_PATH_NOT_FOUND)
	if err := os.MkdirAll(filepath.Join(f.base, "UtilityVM", filesDir), 0o755); err != nil {
		t.Fatal(err)
	}
	must(t, "ProcessUtilityImage", b.ProcessUtilityImage(filepath.Join(f.base, "UtilityVM")))
	if doc, err := b.GetBaseImages(); err != nil || doc != `{"Images":[]}` {
		t.Fatalf("GetBaseImages = %s, %v", doc, err)
	}
}

func TestComputeStorage(t *testing.T) {
	f := newLayerFixture(t)
	b := f.b
	data := `{"SchemaVersion":{"Major":2,"Minor":0},"Layers":[` +
		`{"Id":"` + nameToGUID("app").String() + `","Path":` + quote(f.app) + `,"PathType":"AbsolutePath"},` +
		`{"Id":"` + nameToGUID("base").String() + `","Path":` + quote(f.base) + `,"PathType":"AbsolutePath"}]}`

	wantCode(t, "HcsFormatWritableLayerVhd of a bogus handle", b.HcsFormatWritableLayerVhd(12345), hcs.E_HANDLE)
	vhd := f.sim.AttachVHD(filepath.Join(f.dir, "w.vhdx"))
	_, err := b.HcsGetLayerVhdMountPath(vhd)
	wantCode(t, "HcsGetLayerVhdMountPath of an unformatted disk", err, hcs.ERROR_NOT_READY)
	must(t, "HcsFormatWritableLayerVhd", b.HcsFormatWritableLayerVhd(vhd))
	vol, err := b.HcsGetLayerVhdMountPath(vhd)
	if err != nil || !isVolumePath(vol) {
		t.Fatalf("HcsGetLayerVhdMountPath = %q, %v", vol, err)
	}
	if again, _ := b.HcsGetLayerVhdMountPath(vhd); again != vol {
		t.Fatalf("a second HcsGetLayerVhdMountPath gave %q, want %q", again, vol)
	}
	wantCode(t, "HcsAttachLayerStorageFilter with bad JSON", b.HcsAttachLayerStorageFilter(vol, "{"), hcs.HCS_E_INVALID_JSON)
	wantCode(t, "HcsAttachLayerStorageFilter without layers", b.HcsAttachLayerStorageFilter(vol, `{"Layers":[]}`), hcs.E_INVALIDARG)
	must(t, "HcsAttachLayerStorageFilter", b.HcsAttachLayerStorageFilter(vol, data))
	wantCode(t, "HcsAttachLayerStorageFilter again", b.HcsAttachLayerStorageFilter(vol, data), hcs.ERROR_BUSY)

	// A container runs on the attached volume, and holds it.
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
	wantCode(t, "HcsDetachLayerStorageFilter again", b.HcsDetachLayerStorageFilter(vol), hcs.ERROR_NOT_READY)

	must(t, "HcsSetupBaseOSLayer", b.HcsSetupBaseOSLayer(f.base, vhd, `{"Type":"Container"}`))
	wantCode(t, "HcsSetupBaseOSLayer with bad options", b.HcsSetupBaseOSLayer(f.base, vhd, "x"), hcs.HCS_E_INVALID_JSON)
	must(t, "HcsSetupBaseOSVolume", b.HcsSetupBaseOSVolume(f.base, vol, ""))
	w := filepath.Join(f.dir, "writable")
	must(t, "HcsInitializeWritableLayer", b.HcsInitializeWritableLayer(w, data, ""))
	must(t, "HcsInitializeLegacyWritableLayer", b.HcsInitializeLegacyWritableLayer(vol, w, data, ""))
	imported := filepath.Join(f.dir, "imported")
	must(t, "HcsImportLayer", b.HcsImportLayer(imported, f.app, data))
	must(t, "HcsExportLayer", b.HcsExportLayer(imported, filepath.Join(f.dir, "exported"), data, ""))
	must(t, "HcsDestroyLayer", b.HcsDestroyLayer(imported))
	f.sim.DetachVHD(vhd)
	wantCode(t, "HcsFormatWritableLayerVhd after DetachVHD", b.HcsFormatWritableLayerVhd(vhd), hcs.E_HANDLE)
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
		CallImportLayer:                      func() error { return b.ImportLayer(info, s, f.app, nil) },
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
	var buf bytes.Buffer
	must(t, "SaveState", f.sim.SaveState(&buf))

	sim := New()
	defer sim.Close()
	must(t, "LoadState", sim.LoadState(bytes.NewReader(buf.Bytes())))
	if got, want := sim.MountedLayers(), f.sim.MountedLayers(); !slices.EqualFunc(got, want, func(a, b LayerInfo) bool {
		return a.Path == b.Path && a.State == b.State && a.VolumePath == b.VolumePath &&
			slices.Equal(a.Parents, b.Parents) && a.Activations == b.Activations
	}) {
		t.Fatalf("loaded layers %+v, want %+v", got, want)
	}
	// The loaded simulator unmounts what the other one mounted.
	b := (*layerSeam)(sim)
	must(t, "UnprepareLayer", b.UnprepareLayer(backend.DriverInfo{}, s))
	must(t, "DeactivateLayer", b.DeactivateLayer(backend.DriverInfo{}, s))
	if p, _ := f.b.GetLayerMountPath(backend.DriverInfo{}, s); p != vol {
		t.Fatalf("the first simulator's mount changed: %q", p)
	}

	for _, bad := range []string{
		`{"Format":"hcssim-state/1","Systems":[],"Layers":[{"Path":"","State":"Activated","Activations":1}]}`,
		`{"Format":"hcssim-state/1","Systems":[],"Layers":[{"Path":"x","State":"Mounted","Activations":1}]}`,
		`{"Format":"hcssim-state/1","Systems":[],"Layers":[{"Path":"x","State":"Activated","Activations":0}]}`,
		`{"Format":"hcssim-state/1","Systems":[],"Layers":[{"Path":"x","State":"Prepared","Activations":1}]}`,
		`{"Format":"hcssim-state/1","Systems":[],"Layers":[{"Path":"x","State":"Activated","Activations":1},{"Path":"x","State":"Activated","Activations":1}]}`,
	} {
		if err := sim.LoadState(strings.NewReader(bad)); err == nil {
			t.Errorf("LoadState(%s) succeeded", bad)
		}
	}
	if len(sim.MountedLayers()) != 1 {
		t.Fatalf("a refused state changed the layers: %+v", sim.MountedLayers())
	}
}
