//go:build windows

package vmcompute

import (
	"encoding/json"
	"path/filepath"
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
