//go:build windows

package vmcompute

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/layertest"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
	"github.com/gohcs/hcs/internal/winstr"
)

func TestNameToGuid(t *testing.T) {
	b := mock(t)
	for _, name := range []string{"base", "Base", "0123456789abcdef0123456789abcdef", "żółw-層", strings.Repeat("x", 300)} {
		got, err := b.NameToGuid(name)
		if err != nil {
			t.Fatalf("NameToGuid(%q): %v", name, err)
		}
		if want := layertest.NameToGUID(name); got != want {
			t.Errorf("NameToGuid(%q) = %+v, want %+v", name, got, want)
		}
	}
	if a, _ := b.NameToGuid("base"); a == layertest.NameToGUID("Base") {
		t.Error("NameToGuid folds case; the fakes hash the name exactly as given")
	}
	_, err := b.NameToGuid("")
	wantErr(t, `NameToGuid("")`, err, errInvalidArg)

	calls := mockctl.LayersCalls("NameToGuid")
	_, err = b.NameToGuid("a\x00b")
	wantErr(t, "NameToGuid with a NUL", err, errInvalidArg)
	if n := mockctl.LayersCalls("NameToGuid"); n != calls {
		t.Errorf("a name with NUL reached the DLL (%d calls, want %d)", n, calls)
	}
}

// The scratch state machine, step by step, with each refusal on the way.
func TestScratchLifecycle(t *testing.T) {
	b := mock(t)
	f := layertest.NewFixture(t)
	scratch := filepath.Join(f.Dir, "scratch")

	must(t, "CreateSandboxLayer", b.CreateSandboxLayer(full, scratch, f.Parents()))
	if !strings.HasPrefix(layertest.ReadFile(t, filepath.Join(scratch, "sandbox.vhdx")), "vhdxfile") {
		t.Error("sandbox.vhdx does not start with the VHDX signature")
	}
	wantErr(t, "CreateSandboxLayer again", b.CreateSandboxLayer(full, scratch, f.Parents()), errFileExists)
	wantErr(t, "CreateSandboxLayer without parents", b.CreateSandboxLayer(full, filepath.Join(f.Dir, "s2"), nil), errInvalidArg)
	if ok, err := b.LayerExists(full, scratch); err != nil || !ok {
		t.Errorf("LayerExists(scratch) = %v, %v", ok, err)
	}
	if st := mockctl.Layer(scratch); st.Size != 20<<30 {
		t.Errorf("size of a new scratch = %d, want 20 GB, Windows' default", st.Size)
	}
	must(t, "ExpandSandboxSize to the same size", b.ExpandSandboxSize(full, scratch, 20<<30))
	wantErr(t, "shrinking", b.ExpandSandboxSize(full, scratch, 10<<30), errInvalidArg)
	must(t, "ExpandSandboxSize", b.ExpandSandboxSize(full, scratch, 30<<30))
	if st := mockctl.Layer(scratch); st.Size != 30<<30 {
		t.Errorf("size = %d, want %d", st.Size, 30<<30)
	}

	_, err := b.GetLayerMountPath(full, scratch)
	wantErr(t, "GetLayerMountPath of an inactive layer", err, errNotReady)
	wantErr(t, "PrepareLayer before ActivateLayer", b.PrepareLayer(full, scratch, f.Parents()), errNotReady)

	must(t, "ActivateLayer", b.ActivateLayer(full, scratch))
	if p, err := b.GetLayerMountPath(full, scratch); err != nil || !strings.EqualFold(p, scratch) {
		t.Errorf("GetLayerMountPath of an activated layer = %q, %v; want its folder %q", p, err, scratch)
	}
	must(t, "PrepareLayer", b.PrepareLayer(full, scratch, f.Parents()))
	vol, err := b.GetLayerMountPath(full, scratch)
	must(t, "GetLayerMountPath", err)
	if !regexp.MustCompile(`^\\\\\?\\Volume\{[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\}\\$`).MatchString(vol) {
		t.Errorf("mount path %q is not a volume path", vol)
	}
	st := mockctl.Layer(scratch)
	if st.State != "Prepared" || st.Volume != vol || st.Activations != 1 {
		t.Errorf("state = %+v; want Prepared on %s", st, vol)
	}
	if a, p := mockctl.LayersMounted(); a != 1 || p != 1 {
		t.Errorf("counters: %d activated, %d prepared; want 1, 1", a, p)
	}
	wantErr(t, "PrepareLayer again", b.PrepareLayer(full, scratch, f.Parents()), errAlreadyExists)
	wantErr(t, "DeactivateLayer while prepared", b.DeactivateLayer(full, scratch), errBusy)
	// A second activation of a prepared layer can be undone: the first
	// one holds the volume.
	must(t, "ActivateLayer of a prepared layer", b.ActivateLayer(full, scratch))
	must(t, "DeactivateLayer of the extra activation", b.DeactivateLayer(full, scratch))
	wantErr(t, "DeactivateLayer of the last activation", b.DeactivateLayer(full, scratch), errBusy)
	wantErr(t, "DestroyLayer while prepared", b.DestroyLayer(full, scratch), errBusy)
	wantErr(t, "DestroyLayer of a parent of a prepared layer", b.DestroyLayer(full, f.Base), errBusy)

	must(t, "UnprepareLayer", b.UnprepareLayer(full, scratch))
	wantErr(t, "UnprepareLayer again", b.UnprepareLayer(full, scratch), errNotReady)
	must(t, "DeactivateLayer", b.DeactivateLayer(full, scratch))
	wantErr(t, "DeactivateLayer again", b.DeactivateLayer(full, scratch), errNotReady)
	must(t, "DestroyLayer", b.DestroyLayer(full, scratch))
	if layertest.Exists(scratch) {
		t.Error("DestroyLayer left the folder")
	}
	must(t, "DestroyLayer of a missing layer", b.DestroyLayer(full, scratch))
	if ok, err := b.LayerExists(full, scratch); err != nil || ok {
		t.Errorf("LayerExists after DestroyLayer = %v, %v", ok, err)
	}
}

// Activating twice needs deactivating twice.
func TestActivateCounts(t *testing.T) {
	b := mock(t)
	f := layertest.NewFixture(t)
	must(t, "ActivateLayer", b.ActivateLayer(full, f.Base))
	must(t, "ActivateLayer again", b.ActivateLayer(full, f.Base))
	must(t, "DeactivateLayer", b.DeactivateLayer(full, f.Base))
	if st := mockctl.Layer(f.Base); st.State != "Activated" || st.Activations != 1 {
		t.Errorf("after two activations and one deactivation: %+v", st)
	}
	must(t, "DeactivateLayer", b.DeactivateLayer(full, f.Base))
	wantErr(t, "ActivateLayer of a folder that is not a layer", b.ActivateLayer(full, f.Dir), errPathNotFound)
}

// DriverInfo.HomeDir and a relative id name HomeDir\id, the same layer as
// its full path.
func TestHomeDir(t *testing.T) {
	b := mock(t)
	f := layertest.NewFixture(t)
	home := backend.DriverInfo{HomeDir: f.Dir}
	must(t, "ActivateLayer(HomeDir, base)", b.ActivateLayer(home, "base"))
	if st := mockctl.Layer(f.Base); st.Activations != 1 {
		t.Errorf("HomeDir\\base is not %s: %+v", f.Base, st)
	}
	must(t, "DeactivateLayer(full path)", b.DeactivateLayer(full, f.Base))
	wantErr(t, "a relative id without HomeDir", b.ActivateLayer(full, "base"), errInvalidArg)
	wantErr(t, "an empty id", b.ActivateLayer(full, ""), errInvalidArg)
	wantErr(t, "a drive root", b.DestroyLayer(full, `C:\`), errInvalidArg)
}

// DriverInfo as the mock receives it: the FFI always passes Flavour 1 and
// a non-NULL HomeDir; the raw export refuses anything else.
func TestDriverInfoChecks(t *testing.T) {
	mock(t)
	f := layertest.NewFixture(t)
	var a args
	defer a.done()
	id, _ := a.str(f.Base)
	empty := uint16(0)
	wantErr(t, "Flavour 0", activateLayer(&driverInfo{Flavour: 0, HomeDir: &empty}, id), errInvalidArg)
	wantErr(t, "NULL HomeDir", activateLayer(&driverInfo{Flavour: filterDriver}, id), errInvalidArg)
	wantErr(t, "NULL DriverInfo", activateLayer(nil, id), errInvalidArg)
	must(t, "valid DriverInfo", activateLayer(&driverInfo{Flavour: filterDriver, HomeDir: &empty}, id))
	must(t, "DeactivateLayer", deactivateLayer(&driverInfo{Flavour: filterDriver, HomeDir: &empty}, id))
}

// Descriptors arrive with their ids, flags and paths, in order; the mock
// checks each.
func TestDescriptors(t *testing.T) {
	b := mock(t)
	f := layertest.NewFixture(t)
	scratch := filepath.Join(f.Dir, "scratch")
	must(t, "CreateSandboxLayer", b.CreateSandboxLayer(full, scratch, f.Parents()))
	must(t, "ActivateLayer", b.ActivateLayer(full, scratch))
	t.Cleanup(func() {
		_ = b.UnprepareLayer(full, scratch)
		must(t, "DeactivateLayer", b.DeactivateLayer(full, scratch))
	})

	wrongID := f.Parents()
	wrongID[1].ID = layertest.NameToGUID("not-base")
	wantErr(t, "a wrong LayerId", b.PrepareLayer(full, scratch, wrongID), errInvalidArg)
	if msg := mockctl.LayersLastError(); !strings.Contains(msg, "parent 1") {
		t.Errorf("the mock's reason %q does not name parent 1", msg)
	}
	missing := layertest.Parents(f.Child, filepath.Join(f.Dir, "gone"))
	wantErr(t, "a missing parent folder", b.PrepareLayer(full, scratch, missing), errPathNotFound)
	wantErr(t, "parents base first", b.PrepareLayer(full, scratch, layertest.Parents(f.Base, f.Child)), errInvalidArg)
	wantErr(t, "other parents than at creation", b.PrepareLayer(full, scratch, layertest.Parents(f.Base)), errInvalidArg)
	wantErr(t, "no parents", b.PrepareLayer(full, scratch, nil), errInvalidArg)

	calls := mockctl.LayersCalls("PrepareLayer")
	withNUL := f.Parents()
	withNUL[0].Path += "\x00"
	wantErr(t, "a path with NUL", b.PrepareLayer(full, scratch, withNUL), errInvalidArg)
	if n := mockctl.LayersCalls("PrepareLayer"); n != calls {
		t.Errorf("a descriptor path with NUL reached the DLL")
	}

	flagged := f.Parents()
	flagged[0].Flags = 0x80000000 // Dirty
	must(t, "PrepareLayer", b.PrepareLayer(full, scratch, flagged))
	st := mockctl.Layer(scratch)
	if len(st.Parents) != 2 {
		t.Fatalf("the mock recorded %d parents, want 2: %+v", len(st.Parents), st)
	}
	for i, want := range flagged {
		got := st.Parents[i]
		if got.ID != want.ID.String() || got.Flags != want.Flags || !strings.EqualFold(got.Path, want.Path) {
			t.Errorf("parent %d = %+v, want {%s %#x %s}", i, got, want.ID, want.Flags, want.Path)
		}
	}
}

// The two-call protocol of GetLayerMountPath, driven raw.
func TestMountPathProtocol(t *testing.T) {
	b := mock(t)
	f := layertest.NewFixture(t)
	must(t, "ActivateLayer", b.ActivateLayer(full, f.Base))
	defer func() { must(t, "DeactivateLayer", b.DeactivateLayer(full, f.Base)) }()

	var a args
	defer a.done()
	di, _ := a.info(full)
	id, _ := a.str(f.Base)
	var n uintptr
	must(t, "first call", getLayerMountPath(di, id, &n, nil))
	if want := uintptr(len(f.Base) + 1); n != want { // ASCII path: one unit per byte
		t.Fatalf("length = %d, want %d (characters with the NUL)", n, want)
	}
	short := make([]uint16, n-1)
	got := n - 1
	wantErr(t, "a buffer one short", getLayerMountPath(di, id, &got, &short[0]), errInsufficient)
	if got != n {
		t.Errorf("after ERROR_INSUFFICIENT_BUFFER the length is %d, want %d", got, n)
	}
	buf := make([]uint16, n)
	got = n
	must(t, "second call", getLayerMountPath(di, id, &got, &buf[0]))
	if s := windows.UTF16ToString(buf); !strings.EqualFold(s, f.Base) {
		t.Errorf("mount path = %q, want %q", s, f.Base)
	}
	wantErr(t, "a NULL length", getLayerMountPath(di, id, nil, nil), errPointer)
}

// When the mount path grows between the two calls, the backend asks again.
func TestMountPathGrows(t *testing.T) {
	b := mock(t)
	f := layertest.NewFixture(t)
	// A scratch whose folder path is longer than a volume path, so that
	// unpreparing it between the calls makes the mount path grow.
	scratch := filepath.Join(f.Dir, strings.Repeat("s", 80))
	must(t, "CreateSandboxLayer", b.CreateSandboxLayer(full, scratch, f.Parents()))
	must(t, "ActivateLayer", b.ActivateLayer(full, scratch))
	must(t, "PrepareLayer", b.PrepareLayer(full, scratch, f.Parents()))
	testHookMountPath = func() {
		testHookMountPath = nil
		must(t, "UnprepareLayer between the calls", b.UnprepareLayer(full, scratch))
	}
	defer func() { testHookMountPath = nil }()
	calls := mockctl.LayersCalls("GetLayerMountPath")
	p, err := b.GetLayerMountPath(full, scratch)
	must(t, "GetLayerMountPath", err)
	if !strings.EqualFold(p, scratch) {
		t.Errorf("mount path = %q, want the folder %q after the unprepare", p, scratch)
	}
	if n := mockctl.LayersCalls("GetLayerMountPath") - calls; n != 3 {
		t.Errorf("%d calls of the export, want 3 (length, too small, again)", n)
	}
	must(t, "DeactivateLayer", b.DeactivateLayer(full, scratch))
}

func TestImportExport(t *testing.T) {
	b := mock(t)
	f := layertest.NewFixture(t)
	staging := filepath.Join(f.Dir, "staging")
	layertest.Mkdirs(t, filepath.Join(staging, "Files", "app"), filepath.Join(staging, "Hives"))
	layertest.WriteFile(t, filepath.Join(staging, "Files", "app", "a.txt"), "hello")
	layertest.WriteFile(t, filepath.Join(staging, "Hives", "Software_Delta"), "hive")

	layer := filepath.Join(f.Dir, "app")
	must(t, "ImportLayer", b.ImportLayer(full, layer, staging, f.Parents()))
	if got := layertest.ReadFile(t, filepath.Join(layer, "Files", "app", "a.txt")); got != "hello" {
		t.Errorf("imported file = %q", got)
	}
	if !layertest.Exists(filepath.Join(staging, "Files", "app", "a.txt")) {
		t.Error("ImportLayer consumed the staging folder")
	}
	// As on Windows, the caller writes layerchain.json (Docker and
	// package layers do); until then the layer counts as a base layer.
	if layertest.Exists(filepath.Join(layer, "layerchain.json")) {
		t.Error("ImportLayer wrote layerchain.json")
	}
	wantErr(t, "a layer without layerchain.json above others",
		b.ExportLayer(full, layer, filepath.Join(f.Dir, "early"), f.Parents()), errInvalidArg)
	layertest.WriteFile(t, filepath.Join(layer, "layerchain.json"), layertest.JSONPaths(f.Child, f.Base))
	must(t, "ImportLayer in place", b.ImportLayer(full, f.Child, f.Child, layertest.Parents(f.Base)))
	wantErr(t, "ImportLayer over a layer", b.ImportLayer(full, layer, staging, f.Parents()), errAlreadyExists)

	// hcsshim writes a layer's utility VM files into its folder before
	// the import: they stay.
	withUVM := filepath.Join(f.Dir, "withuvm")
	layertest.Mkdirs(t, filepath.Join(withUVM, "UtilityVM", "Files"))
	layertest.WriteFile(t, filepath.Join(withUVM, "UtilityVM", "Files", "uvm.txt"), "uvm")
	must(t, "ImportLayer into a folder holding UtilityVM", b.ImportLayer(full, withUVM, staging, f.Parents()))
	if got := layertest.ReadFile(t, filepath.Join(withUVM, "UtilityVM", "Files", "uvm.txt")); got != "uvm" {
		t.Errorf("UtilityVM file = %q after the import", got)
	}
	wantErr(t, "ImportLayer without parents", b.ImportLayer(full, filepath.Join(f.Dir, "x"), staging, nil), errInvalidArg)
	wantErr(t, "ImportLayer of a folder without Files",
		b.ImportLayer(full, filepath.Join(f.Dir, "y"), f.Dir+`\nowhere`, f.Parents()), errPathNotFound)

	out := filepath.Join(f.Dir, "export")
	layerParents := layertest.Parents(f.Child, f.Base)
	wantErr(t, "ExportLayer with parents in the wrong order",
		b.ExportLayer(full, layer, out, layertest.Parents(f.Base, f.Child)), errInvalidArg)
	must(t, "ExportLayer", b.ExportLayer(full, layer, out, layerParents))
	if got := layertest.ReadFile(t, filepath.Join(out, "Files", "app", "a.txt")); got != "hello" {
		t.Errorf("exported file = %q", got)
	}
	wantErr(t, "ExportLayer into a folder that is not empty", b.ExportLayer(full, layer, out, layerParents), errDirNotEmpty)

	// A scratch holds no changes in the mocks: its export is empty.
	scratch := filepath.Join(f.Dir, "scratch")
	must(t, "CreateSandboxLayer", b.CreateSandboxLayer(full, scratch, f.Parents()))
	out2 := filepath.Join(f.Dir, "export2")
	must(t, "ExportLayer of a scratch", b.ExportLayer(full, scratch, out2, f.Parents()))
	for _, d := range []string{"Files", "Hives"} {
		entries, err := os.ReadDir(filepath.Join(out2, d))
		if err != nil || len(entries) != 0 {
			t.Errorf("export of a scratch: %s holds %d entries (%v), want an empty folder", d, len(entries), err)
		}
	}
}

func TestProcessImages(t *testing.T) {
	b := mock(t)
	f := layertest.NewFixture(t)
	must(t, "ProcessBaseImage", b.ProcessBaseImage(f.Base))
	for _, name := range []string{"blank.vhdx", "blank-base.vhdx"} {
		if !strings.HasPrefix(layertest.ReadFile(t, filepath.Join(f.Base, name)), "vhdxfile") {
			t.Errorf("%s is not a VHDX placeholder", name)
		}
	}
	wantErr(t, "ProcessBaseImage of a layer with parents", b.ProcessBaseImage(f.Child), errInvalidArg)
	wantErr(t, "ProcessBaseImage of a missing folder", b.ProcessBaseImage(filepath.Join(f.Dir, "gone")), errPathNotFound)

	uvm := filepath.Join(f.Base, "UtilityVM")
	wantErr(t, "ProcessUtilityImage without Files", b.ProcessUtilityImage(uvm), errPathNotFound)
	layertest.Mkdirs(t, filepath.Join(uvm, "Files"))
	must(t, "ProcessUtilityImage", b.ProcessUtilityImage(uvm))
	for _, name := range []string{"SystemTemplate.vhdx", "SystemTemplateBase.vhdx"} {
		if !layertest.Exists(filepath.Join(uvm, name)) {
			t.Errorf("no %s", name)
		}
	}
}

// DestroyLayer removes layer folders only: under Wine, Z:\ is the host's
// root, and a wrong path must not delete what is there.
func TestDestroySafety(t *testing.T) {
	b := mock(t)
	f := layertest.NewFixture(t)
	notLayer := filepath.Join(f.Dir, "documents")
	layertest.Mkdirs(t, notLayer)
	layertest.WriteFile(t, filepath.Join(notLayer, "keep.txt"), "keep")
	wantErr(t, "DestroyLayer of a folder that is not a layer", b.DestroyLayer(full, notLayer), errInvalidArg)
	if !layertest.Exists(filepath.Join(notLayer, "keep.txt")) {
		t.Fatal("DestroyLayer deleted a folder that is not a layer")
	}
	half := filepath.Join(f.Dir, "half")
	layertest.Mkdirs(t, filepath.Join(half, "Hives"))
	must(t, "DestroyLayer of a half-made layer", b.DestroyLayer(full, half))
	must(t, "DestroyLayer of a read-only layer", b.DestroyLayer(full, f.Child))
	if layertest.Exists(f.Child) {
		t.Error("the layer is still there")
	}
}

func TestGetBaseImages(t *testing.T) {
	b := mock(t)
	doc, err := b.GetBaseImages()
	must(t, "GetBaseImages", err)
	var v struct{ Images []json.RawMessage }
	if err := json.Unmarshal([]byte(doc), &v); err != nil || v.Images == nil {
		t.Errorf("GetBaseImages = %q (%v), want {\"Images\":[]}", doc, err)
	}
}

// The mock's count of unfreed strings works: a string taken without
// LocalFree shows up, and goes once freed. The other tests rely on it.
func TestStringAccounting(t *testing.T) {
	mock(t)
	var p *uint16
	must(t, "getBaseImages", getBaseImages(&p))
	if n := mockctl.LayersOutstandingStrings(); n != 1 {
		t.Errorf("outstanding strings with one not freed = %d, want 1", n)
	}
	if s := winstr.Take(p); !strings.Contains(s, "Images") {
		t.Errorf("string = %q", s)
	}
	if n := mockctl.LayersOutstandingStrings(); n != 0 {
		t.Errorf("outstanding strings after LocalFree = %d, want 0", n)
	}
}
