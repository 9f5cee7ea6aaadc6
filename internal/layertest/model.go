package layertest

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
)

// Fake is one of the two fakes of the layer service under test: hcssim's
// layer seam, or the FFI over the mock vmcompute.dll and computestorage.dll
// under Wine. Both follow the model of internal/backend/BEHAVIOUR.md
// ("Layers"); Model checks that they do, with the same table of calls and
// results, so that the fakes agree.
type Fake struct {
	// Layers is the fake's raw layer surface.
	Layers backend.Layers
	// OpenVHD, AttachVHD, DetachVHD and CloseVHD stand for virtdisk.dll,
	// which neither fake has.
	OpenVHD                        func(path string, create bool) (uintptr, error)
	AttachVHD, DetachVHD, CloseVHD func(h uintptr) error
	// FailNext makes the next call of the entry point fn fail with hr.
	FailNext func(fn string, hr hcs.HRESULT)
	// SetElevated switches the caller's elevation.
	SetElevated func(elevated bool)
	// Disconnect and Reconnect switch the compute service off and on.
	Disconnect, Reconnect func()
	// Mounted counts the layers activated and those prepared; LiveVHDs the
	// open VHD handles.
	Mounted  func() (activated, prepared int)
	LiveVHDs func() int
}

// Model runs the checks of the shared layer model, each as a subtest on a
// fake that setup returns (a fresh one, or one it resets), and checks at
// the end of each that nothing is left mounted and no VHD handle open.
func Model(t *testing.T, setup func(t *testing.T) Fake) {
	for _, c := range modelChecks {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t)
			m := &model{Fake: f, Fixture: NewFixture(t), t: t}
			c.run(m)
			if a, p := f.Mounted(); a != 0 || p != 0 {
				t.Errorf("%d layers activated and %d prepared at the end", a, p)
			}
			if n := f.LiveVHDs(); n != 0 {
				t.Errorf("%d VHD handles open at the end", n)
			}
		})
	}
}

// model is what one check works with.
type model struct {
	Fake
	Fixture
	t *testing.T
}

var modelChecks = []struct {
	name string
	run  func(m *model)
}{
	{"Paths", (*model).paths},
	{"Parents", (*model).parents},
	{"LayerData", (*model).layerData},
	{"Scratch", (*model).scratch},
	{"StateMachine", (*model).stateMachine},
	{"Destroy", (*model).destroy},
	{"Import", (*model).importLayer},
	{"Export", (*model).export},
	{"ProcessImages", (*model).processImages},
	{"VHDs", (*model).vhds},
	{"FilterOnFolder", (*model).filterOnFolder},
	{"LegacyWritable", (*model).legacyWritable},
	{"SetupBaseOS", (*model).setupBaseOS},
	{"Faults", (*model).faults},
}

// Code returns the HRESULT err carries: the FFI's errors are
// syscall.Errno values (FACILITY_WIN32 unwrapped), the simulator's
// hcs.HRESULT values; nil is S_OK.
func Code(err error) hcs.HRESULT {
	var hr hcs.HRESULT
	var errno syscall.Errno
	switch {
	case err == nil:
		return 0
	case errors.As(err, &hr):
		return hr
	case errors.As(err, &errno):
		return hcs.HRESULTFromWin32(uint32(errno))
	}
	return hcs.E_FAIL
}

// want fails the check unless err carries hr (S_OK: nil).
func (m *model) want(what string, err error, hr hcs.HRESULT) {
	m.t.Helper()
	if got := Code(err); got != hr {
		m.t.Errorf("%s: got %v (%v), want %v", what, got, err, hr)
	}
}

// must stops the check unless err is nil.
func (m *model) must(what string, err error) {
	m.t.Helper()
	if err != nil {
		m.t.Fatalf("%s: %v", what, err)
	}
}

// newScratch makes a scratch layer over child and base.
func (m *model) newScratch(name string) string {
	m.t.Helper()
	s := filepath.Join(m.Dir, name)
	m.must("CreateSandboxLayer", m.Layers.CreateSandboxLayer(backend.DriverInfo{}, s, m.Parents()))
	return s
}

// mount activates and prepares a scratch over child and base and returns
// its volume.
func (m *model) mount(s string) string {
	m.t.Helper()
	m.must("ActivateLayer", m.Layers.ActivateLayer(backend.DriverInfo{}, s))
	m.must("PrepareLayer", m.Layers.PrepareLayer(backend.DriverInfo{}, s, m.Parents()))
	vol, err := m.Layers.GetLayerMountPath(backend.DriverInfo{}, s)
	m.must("GetLayerMountPath", err)
	return vol
}

// unmount undoes mount.
func (m *model) unmount(s string) {
	m.t.Helper()
	m.must("UnprepareLayer", m.Layers.UnprepareLayer(backend.DriverInfo{}, s))
	m.must("DeactivateLayer", m.Layers.DeactivateLayer(backend.DriverInfo{}, s))
}

// folder makes a folder with the given subfolders.
func (m *model) folder(name string, subs ...string) string {
	m.t.Helper()
	dir := filepath.Join(m.Dir, name)
	Mkdirs(m.t, dir)
	for _, s := range subs {
		Mkdirs(m.t, filepath.Join(dir, s))
	}
	return dir
}

func (m *model) paths() {
	b, info := m.Layers, backend.DriverInfo{}
	for name, want := range map[string]string{
		"base":       "c30d24c3-8fac-5e4d-ad83-67596d459dfa",
		"Base":       "fabd6851-b865-59c2-93d7-bbe2839a5088", // no case folding
		"nanoserver": "b4751009-87a9-5033-a8e8-3a2c918f68e7",
		"wörld":      "c68dc407-feff-5dae-8b8a-76fed827e3cb", // UTF-16LE
	} {
		if g, err := b.NameToGuid(name); err != nil || g.String() != want {
			m.t.Errorf("NameToGuid(%q) = %s, %v; want %s", name, g, err, want)
		}
	}
	_, err := b.NameToGuid("")
	m.want("NameToGuid of an empty name", err, hcs.E_INVALIDARG)
	root := filepath.VolumeName(m.Dir) + string(filepath.Separator)
	m.want("ActivateLayer of a relative path", b.ActivateLayer(info, filepath.Join("rel", "base")), hcs.E_INVALIDARG)
	m.want("ActivateLayer of a root", b.ActivateLayer(info, root), hcs.E_INVALIDARG)
	m.want("ActivateLayer of an empty id", b.ActivateLayer(info, ""), hcs.E_INVALIDARG)
	m.want("DestroyLayer of a root", b.HcsDestroyLayer(root), hcs.E_INVALIDARG)
	m.want("ImportLayer from a relative folder", b.ImportLayer(info, m.Child, "rel", Parents(m.Base)), hcs.E_INVALIDARG)
	// HomeDir\id names the layer when HomeDir is set.
	home := backend.DriverInfo{HomeDir: m.Dir}
	m.must("CreateSandboxLayer in HomeDir", b.CreateSandboxLayer(home, "scratch", m.Parents()))
	ok, err := b.LayerExists(info, filepath.Join(m.Dir, "scratch")+string(filepath.Separator))
	if !ok || err != nil {
		m.t.Errorf("LayerExists of the full path, with a trailing separator = %v, %v", ok, err)
	}
	m.must("DestroyLayer in HomeDir", b.DestroyLayer(home, "scratch"))
}

func (m *model) parents() {
	b, info := m.Layers, backend.DriverInfo{}
	s := filepath.Join(m.Dir, "scratch")
	missing := filepath.Join(m.Dir, "missing")
	wrongID := m.Parents()
	wrongID[1].ID = wrongID[0].ID
	wrongIDMissing := Parents(m.Child, missing)
	wrongIDMissing[1].ID = wrongIDMissing[0].ID
	broken := m.folder("broken", "Files")
	chain := func(text string) string {
		WriteFile(m.t, filepath.Join(broken, "layerchain.json"), text)
		return broken
	}
	for _, c := range []struct {
		what    string
		parents func() []backend.LayerDescriptor
		want    hcs.HRESULT
	}{
		{"no parents", func() []backend.LayerDescriptor { return nil }, hcs.E_INVALIDARG},
		{"a missing parent", func() []backend.LayerDescriptor { return Parents(missing) }, hcs.ERROR_PATH_NOT_FOUND},
		{"a wrong id", func() []backend.LayerDescriptor { return wrongID }, hcs.E_INVALIDARG},
		{"a wrong id of a missing parent: arguments first", func() []backend.LayerDescriptor { return wrongIDMissing }, hcs.E_INVALIDARG},
		{"a missing parent before a wrong id: arguments first", func() []backend.LayerDescriptor {
			return []backend.LayerDescriptor{Parent(missing), wrongID[1]}
		}, hcs.E_INVALIDARG},
		{"a relative parent", func() []backend.LayerDescriptor { return Parents(m.Child, "base") }, hcs.E_INVALIDARG},
		{"a parent twice", func() []backend.LayerDescriptor { return Parents(m.Child, m.Base, m.Base) }, hcs.E_INVALIDARG},
		{"base first", func() []backend.LayerDescriptor { return Parents(m.Base, m.Child) }, hcs.E_INVALIDARG},
		{"the base missing", func() []backend.LayerDescriptor { return Parents(m.Child) }, hcs.E_INVALIDARG},
		{"a layerchain.json that is not JSON", func() []backend.LayerDescriptor { return Parents(chain("{"), m.Base) }, hcs.ERROR_INVALID_DATA},
		{"a layerchain.json of numbers", func() []backend.LayerDescriptor { return Parents(chain("[1]"), m.Base) }, hcs.ERROR_INVALID_DATA},
		{"a layerchain.json of null", func() []backend.LayerDescriptor { return Parents(chain("null"), m.Base) }, hcs.ERROR_INVALID_DATA},
		{"a layerchain.json naming other parents", func() []backend.LayerDescriptor { return Parents(chain(JSONPaths(m.Child)), m.Base) }, hcs.E_INVALIDARG},
	} {
		m.want("CreateSandboxLayer with "+c.what, b.CreateSandboxLayer(info, s, c.parents()), c.want)
	}
	if Exists(s) {
		m.t.Errorf("refused CreateSandboxLayer calls made %s", s)
	}
	// A layer above the base may be prepared, imported, exported over
	// the same lists.
	m.must("CreateSandboxLayer over child and base", b.CreateSandboxLayer(info, s, Parents(chain(JSONPaths(m.Base)), m.Base)))
	m.must("DestroyLayer", b.DestroyLayer(info, s))
}

func (m *model) layerData() {
	b := m.Layers
	top := m.folder("top", "Files")
	WriteFile(m.t, filepath.Join(top, "layerchain.json"), JSONPaths(m.Child, m.Base))
	id := NameToGUID("child").String()
	entry := func(fields string) string {
		return `{"Layers":[` + fields + `,{"Id":"` + NameToGUID("base").String() + `","Path":` + quote(m.Base) + `}]}`
	}
	for _, c := range []struct {
		what, doc string
		want      hcs.HRESULT
	}{
		{"no document", "", hcs.E_INVALIDARG},
		{"an array", "[]", hcs.HCS_E_INVALID_JSON},
		{"not JSON", "{", hcs.HCS_E_INVALID_JSON},
		{"Layers an object", `{"Layers":{}}`, hcs.HCS_E_INVALID_JSON},
		{"a layer a number", `{"Layers":[1]}`, hcs.HCS_E_INVALID_JSON},
		{"an Id a number", entry(`{"Id":1,"Path":` + quote(m.Child) + `}`), hcs.HCS_E_INVALID_JSON},
		{"a PathType a number", entry(`{"Id":"` + id + `","Path":` + quote(m.Child) + `,"PathType":1}`), hcs.HCS_E_INVALID_JSON},
		{"no Id", entry(`{"Path":` + quote(m.Child) + `}`), hcs.E_INVALIDARG},
		{"no Path", entry(`{"Id":"` + id + `"}`), hcs.E_INVALIDARG},
		{"an Id in braces", entry(`{"Id":"{` + id + `}","Path":` + quote(m.Child) + `}`), hcs.E_INVALIDARG},
		{"a share name", entry(`{"Id":"` + id + `","Path":` + quote(m.Child) + `,"PathType":"VirtualSmbShareName"}`), hcs.E_INVALIDARG},
		{"no layers", `{"SchemaVersion":{"Major":2,"Minor":1}}`, hcs.E_INVALIDARG},
		{"an Id in capitals", entry(`{"Id":"` + strings.ToUpper(id) + `","Path":` + quote(m.Child) + `,"PathType":"AbsolutePath"}`), 0},
		{"the fixture's layers", m.LayerData(), 0},
	} {
		// An import in place changes nothing but checks the parents.
		m.want("HcsImportLayer with "+c.what, b.HcsImportLayer(top, top, c.doc), c.want)
	}
}

// quote is s as a JSON string.
func quote(s string) string { return mustJSON(s) }

func (m *model) scratch() {
	b, info := m.Layers, backend.DriverInfo{}
	s := m.newScratch("scratch")
	m.want("CreateSandboxLayer again", b.CreateSandboxLayer(info, s, m.Parents()), hcs.ERROR_FILE_EXISTS)
	if text := ReadFile(m.t, filepath.Join(s, "sandbox.vhdx")); !strings.HasPrefix(text, "vhdxfile") ||
		!strings.Contains(text, `"Kind":"sandbox"`) || !strings.Contains(text, `"Size":21474836480`) {
		m.t.Errorf("sandbox.vhdx = %q, want a placeholder of 20 GiB", text)
	}
	m.want("ExpandSandboxSize smaller", b.ExpandSandboxSize(info, s, 1<<30), hcs.E_INVALIDARG)
	m.want("ExpandSandboxSize the same", b.ExpandSandboxSize(info, s, 20<<30), 0)
	m.want("ExpandSandboxSize larger", b.ExpandSandboxSize(info, s, 40<<30), 0)
	if text := ReadFile(m.t, filepath.Join(s, "sandbox.vhdx")); !strings.Contains(text, `"Size":42949672960`) {
		m.t.Errorf("sandbox.vhdx after expanding = %q", text)
	}
	m.want("ExpandSandboxSize of a missing scratch", b.ExpandSandboxSize(info, filepath.Join(m.Dir, "nope"), 1<<40), hcs.ERROR_FILE_NOT_FOUND)
	foreign := m.folder("foreign")
	WriteFile(m.t, filepath.Join(foreign, "sandbox.vhdx"), "a disk no fake wrote")
	m.want("ExpandSandboxSize of a disk the fake did not write", b.ExpandSandboxSize(info, foreign, 1<<40), hcs.ERROR_INVALID_DATA)
	if ReadFile(m.t, filepath.Join(foreign, "sandbox.vhdx")) != "a disk no fake wrote" {
		m.t.Error("ExpandSandboxSize changed a disk it did not understand")
	}

	// A scratch copied from the base layer's blank.vhdx, as hcsshim may
	// make one, records no parents: it grows, and mounts over any.
	m.must("ProcessBaseImage", b.ProcessBaseImage(m.Base))
	copied := m.folder("copied")
	WriteFile(m.t, filepath.Join(copied, "sandbox.vhdx"), ReadFile(m.t, filepath.Join(m.Base, "blank.vhdx")))
	m.must("ExpandSandboxSize of a copied blank.vhdx", b.ExpandSandboxSize(info, copied, 30<<30))
	m.must("ActivateLayer of the copy", b.ActivateLayer(info, copied))
	m.must("PrepareLayer of the copy over the base alone", b.PrepareLayer(info, copied, Parents(m.Base)))
	m.unmount(copied)
	for _, l := range []string{s, foreign, copied} {
		m.must("DestroyLayer", b.DestroyLayer(info, l))
	}
}

func (m *model) stateMachine() {
	b, info := m.Layers, backend.DriverInfo{}
	s := m.newScratch("scratch")
	_, err := b.GetLayerMountPath(info, s)
	m.want("GetLayerMountPath of an inactive layer", err, hcs.ERROR_NOT_READY)
	m.want("PrepareLayer of an inactive layer", b.PrepareLayer(info, s, m.Parents()), hcs.ERROR_NOT_READY)
	m.want("UnprepareLayer of an inactive layer", b.UnprepareLayer(info, s), hcs.ERROR_NOT_READY)
	m.want("DeactivateLayer of an inactive layer", b.DeactivateLayer(info, s), hcs.ERROR_NOT_READY)
	m.want("ActivateLayer of a folder that is no layer", b.ActivateLayer(info, m.folder("empty")), hcs.ERROR_PATH_NOT_FOUND)
	// A read-only layer's mount path is its folder, activated or not.
	if p, err := b.GetLayerMountPath(info, m.Base); err != nil || !strings.EqualFold(p, m.Base) {
		m.t.Errorf("GetLayerMountPath of an inactive read-only layer = %q, %v; want its folder", p, err)
	}

	m.must("ActivateLayer", b.ActivateLayer(info, s))
	if p, err := b.GetLayerMountPath(info, s); err != nil || !strings.EqualFold(p, s) {
		m.t.Errorf("GetLayerMountPath of an activated layer = %q, %v; want its folder", p, err)
	}
	m.want("PrepareLayer without parents", b.PrepareLayer(info, s, nil), hcs.E_INVALIDARG)
	m.want("PrepareLayer over other parents than the scratch's", b.PrepareLayer(info, s, Parents(m.Base)), hcs.E_INVALIDARG)
	m.must("PrepareLayer", b.PrepareLayer(info, s, m.Parents()))
	if a, p := m.Mounted(); a != 1 || p != 1 {
		m.t.Errorf("Mounted = %d, %d after PrepareLayer; want 1, 1", a, p)
	}
	m.want("PrepareLayer again", b.PrepareLayer(info, s, m.Parents()), hcs.ERROR_ALREADY_EXISTS)
	m.want("PrepareLayer again without parents: arguments first", b.PrepareLayer(info, s, nil), hcs.E_INVALIDARG)
	vol, err := b.GetLayerMountPath(info, s)
	if err != nil || !strings.HasPrefix(vol, `\\?\Volume{`) || !strings.HasSuffix(vol, `}\`) {
		m.t.Errorf("GetLayerMountPath of a prepared layer = %q, %v; want a volume path", vol, err)
	}
	m.want("DeactivateLayer of a prepared layer", b.DeactivateLayer(info, s), hcs.ERROR_BUSY)
	m.want("DestroyLayer of a prepared layer", b.DestroyLayer(info, s), hcs.ERROR_BUSY)
	m.want("DestroyLayer of a parent of a prepared layer", b.DestroyLayer(info, m.Base), hcs.ERROR_BUSY)
	// A second activation is counted, and may be undone while prepared.
	m.must("ActivateLayer again", b.ActivateLayer(info, s))
	m.must("DeactivateLayer of the second activation", b.DeactivateLayer(info, s))
	m.unmount(s)
	m.want("UnprepareLayer again", b.UnprepareLayer(info, s), hcs.ERROR_NOT_READY)

	// Only a scratch is prepared.
	m.must("ActivateLayer of a read-only layer", b.ActivateLayer(info, m.Child))
	m.want("PrepareLayer of a read-only layer", b.PrepareLayer(info, m.Child, Parents(m.Base)), hcs.ERROR_FILE_NOT_FOUND)
	m.must("DeactivateLayer of the read-only layer", b.DeactivateLayer(info, m.Child))

	m.must("DestroyLayer", b.DestroyLayer(info, s))
	if Exists(s) {
		m.t.Errorf("DestroyLayer left %s", s)
	}
	m.must("DestroyLayer of a missing folder", b.DestroyLayer(info, s))
	if ok, err := b.LayerExists(info, s); ok || err != nil {
		m.t.Errorf("LayerExists of a destroyed layer = %v, %v", ok, err)
	}
}

func (m *model) destroy() {
	b, info := m.Layers, backend.DriverInfo{}
	odd := m.folder("odd", "Files")
	WriteFile(m.t, filepath.Join(odd, "notes.txt"), "not a layer's")
	m.want("DestroyLayer of a folder holding what no layer holds", b.DestroyLayer(info, odd), hcs.E_INVALIDARG)
	if !Exists(filepath.Join(odd, "notes.txt")) {
		m.t.Error("the refused DestroyLayer deleted a file")
	}
	file := filepath.Join(m.Dir, "file")
	WriteFile(m.t, file, "x")
	m.want("DestroyLayer of a file", b.DestroyLayer(info, file), hcs.E_INVALIDARG)
	layer := m.folder("layer", "Files", "Hives", "UtilityVM")
	for _, name := range []string{"layerchain.json", "Layout", "blank.vhdx", "BLANK-BASE.VHDX"} {
		WriteFile(m.t, filepath.Join(layer, name), "x")
	}
	m.must("DestroyLayer of a layer folder", b.HcsDestroyLayer(layer))
	if Exists(layer) {
		m.t.Errorf("HcsDestroyLayer left %s", layer)
	}
}

func (m *model) importLayer() {
	b, info := m.Layers, backend.DriverInfo{}
	staging := m.folder("staging", "Files", "Hives", "UtilityVM")
	WriteFile(m.t, filepath.Join(staging, "Files", "app.exe"), "MZ")
	WriteFile(m.t, filepath.Join(staging, "UtilityVM", "staged"), "x")
	WriteFile(m.t, filepath.Join(staging, "extra.txt"), "not a layer's")
	dst := filepath.Join(m.Dir, "top")
	m.want("ImportLayer without parents", b.ImportLayer(info, dst, staging, nil), hcs.E_INVALIDARG)
	m.want("ImportLayer from a folder without Files", b.ImportLayer(info, dst, m.folder("nofiles", "Hives"), m.Parents()), hcs.ERROR_PATH_NOT_FOUND)
	if Exists(dst) {
		m.t.Errorf("refused imports made %s", dst)
	}
	// The layer folder may hold its UtilityVM already, which stays.
	Mkdirs(m.t, filepath.Join(dst, "UtilityVM"))
	WriteFile(m.t, filepath.Join(dst, "UtilityVM", "own"), "x")
	m.must("ImportLayer", b.ImportLayer(info, dst, staging, m.Parents()))
	if ReadFile(m.t, filepath.Join(dst, "Files", "app.exe")) != "MZ" || !Exists(filepath.Join(dst, "Hives")) ||
		!Exists(filepath.Join(dst, "UtilityVM", "own")) || Exists(filepath.Join(dst, "UtilityVM", "staged")) ||
		Exists(filepath.Join(dst, "extra.txt")) || Exists(filepath.Join(dst, "layerchain.json")) {
		m.t.Error("ImportLayer wrote other than Files and Hives, keeping the layer's UtilityVM")
	}
	if !Exists(filepath.Join(staging, "Files", "app.exe")) {
		m.t.Error("ImportLayer moved the staging folder's files")
	}
	m.want("ImportLayer over a layer", b.ImportLayer(info, dst, staging, m.Parents()), hcs.ERROR_ALREADY_EXISTS)
	hives := m.folder("hives", "Hives")
	m.want("ImportLayer over a folder with Hives", b.ImportLayer(info, hives, staging, m.Parents()), hcs.ERROR_ALREADY_EXISTS)
	m.must("ImportLayer in place", b.ImportLayer(info, staging, staging, m.Parents()))
	m.must("DestroyLayer", b.DestroyLayer(info, dst))
}

func (m *model) export() {
	b, info := m.Layers, backend.DriverInfo{}
	WriteFile(m.t, filepath.Join(m.Child, "Files", "app.exe"), "MZ")
	out := filepath.Join(m.Dir, "out")
	m.want("ExportLayer over the wrong parents", b.ExportLayer(info, m.Child, out, Parents(m.folder("other", "Files"))), hcs.E_INVALIDARG)
	m.must("ExportLayer", b.ExportLayer(info, m.Child, out, Parents(m.Base)))
	if ReadFile(m.t, filepath.Join(out, "Files", "app.exe")) != "MZ" || Exists(filepath.Join(out, "layerchain.json")) {
		m.t.Error("ExportLayer did not copy Files alone")
	}
	m.want("ExportLayer into a folder that is not empty", b.ExportLayer(info, m.Child, out, Parents(m.Base)), hcs.ERROR_DIR_NOT_EMPTY)
	m.want("ExportLayer of a folder that is no layer", b.ExportLayer(info, m.folder("empty"), filepath.Join(m.Dir, "out2"), nil), hcs.ERROR_PATH_NOT_FOUND)
	// A scratch exports its changes: none, in the fakes.
	s := m.newScratch("scratch")
	scratchOut := m.folder("scratch-out")
	m.must("ExportLayer of a scratch", b.ExportLayer(info, s, scratchOut, m.Parents()))
	if !Exists(filepath.Join(scratchOut, "Files")) || !Exists(filepath.Join(scratchOut, "Hives")) {
		m.t.Error("ExportLayer of a scratch did not write empty Files and Hives")
	}
	// computestorage's export takes ExportLayerOptions, required.
	data := LayerData(m.Base)
	m.want("HcsExportLayer without options", b.HcsExportLayer(m.Child, filepath.Join(m.Dir, "o1"), data, ""), hcs.E_INVALIDARG)
	m.want("HcsExportLayer with IsWritableLayer a number", b.HcsExportLayer(m.Child, filepath.Join(m.Dir, "o1"), data, `{"IsWritableLayer":1}`), hcs.HCS_E_INVALID_JSON)
	m.want("HcsExportLayer of a read-only layer as writable", b.HcsExportLayer(m.Child, filepath.Join(m.Dir, "o1"), data, `{"IsWritableLayer":true}`), hcs.ERROR_PATH_NOT_FOUND)
	m.must("HcsExportLayer", b.HcsExportLayer(m.Child, filepath.Join(m.Dir, "o1"), data, `{}`))
	m.must("HcsExportLayer of a scratch", b.HcsExportLayer(s, filepath.Join(m.Dir, "o2"), m.LayerData(), `{"IsWritableLayer":true}`))
	m.must("DestroyLayer", b.DestroyLayer(info, s))
}

func (m *model) processImages() {
	b := m.Layers
	m.want("ProcessBaseImage of a layer with parents", b.ProcessBaseImage(m.Child), hcs.E_INVALIDARG)
	m.want("ProcessBaseImage without Hives", b.ProcessBaseImage(m.folder("files-only", "Files")), hcs.ERROR_PATH_NOT_FOUND)
	m.want("ProcessBaseImage of a folder that is no layer", b.ProcessBaseImage(m.folder("empty")), hcs.ERROR_PATH_NOT_FOUND)
	m.must("ProcessBaseImage", b.ProcessBaseImage(m.Base))
	for _, name := range []string{"blank.vhdx", "blank-base.vhdx"} {
		if !strings.HasPrefix(ReadFile(m.t, filepath.Join(m.Base, name)), "vhdxfile") {
			m.t.Errorf("ProcessBaseImage wrote no placeholder %s", name)
		}
	}
	uvm := filepath.Join(m.Base, "UtilityVM")
	m.want("ProcessUtilityImage without a UtilityVM", b.ProcessUtilityImage(uvm), hcs.ERROR_PATH_NOT_FOUND)
	Mkdirs(m.t, filepath.Join(uvm, "Files"))
	m.must("ProcessUtilityImage", b.ProcessUtilityImage(uvm))
	for _, name := range []string{"SystemTemplate.vhdx", "SystemTemplateBase.vhdx"} {
		if !Exists(filepath.Join(uvm, name)) {
			m.t.Errorf("ProcessUtilityImage wrote no %s", name)
		}
	}
	if doc, err := b.GetBaseImages(); err != nil || doc != `{"Images":[]}` {
		m.t.Errorf("GetBaseImages = %s, %v", doc, err)
	}
}

func (m *model) vhds() {
	b, info := m.Layers, backend.DriverInfo{}
	path := filepath.Join(m.Dir, "w.vhdx")
	h, err := m.OpenVHD(path, true)
	m.must("OpenVHD", err)
	_, err = m.OpenVHD(path, true)
	m.want("OpenVHD creating an existing disk", err, hcs.ERROR_FILE_EXISTS)
	_, err = m.OpenVHD(filepath.Join(m.Dir, "none.vhdx"), false)
	m.want("OpenVHD of a missing disk", err, hcs.ERROR_FILE_NOT_FOUND)
	m.want("HcsFormatWritableLayerVhd of a bogus handle", b.HcsFormatWritableLayerVhd(h+1), hcs.E_HANDLE)
	_, err = b.HcsGetLayerVhdMountPath(h)
	m.want("HcsGetLayerVhdMountPath of a detached disk", err, hcs.ERROR_NOT_READY)
	m.must("AttachVHD", m.AttachVHD(h))
	m.want("AttachVHD again", m.AttachVHD(h), hcs.ERROR_ALREADY_EXISTS)
	_, err = b.HcsGetLayerVhdMountPath(h)
	m.want("HcsGetLayerVhdMountPath of an unformatted disk", err, hcs.ERROR_UNRECOGNIZED_VOLUME)
	m.want("HcsFormatWritableLayerVhd of an attached disk", b.HcsFormatWritableLayerVhd(h), hcs.ERROR_BUSY)
	m.must("DetachVHD", m.DetachVHD(h))
	m.want("DetachVHD again", m.DetachVHD(h), hcs.ERROR_NOT_READY)
	m.must("HcsFormatWritableLayerVhd", b.HcsFormatWritableLayerVhd(h))
	m.must("AttachVHD", m.AttachVHD(h))
	vol, err := b.HcsGetLayerVhdMountPath(h)
	if err != nil || !strings.HasPrefix(vol, `\\?\Volume{`) {
		m.t.Fatalf("HcsGetLayerVhdMountPath = %q, %v; want a volume path", vol, err)
	}
	if again, _ := b.HcsGetLayerVhdMountPath(h); again != vol {
		m.t.Errorf("a second HcsGetLayerVhdMountPath gave %q, want %q", again, vol)
	}

	// A writable layer on the disk's volume.
	data := m.LayerData()
	m.want("HcsInitializeWritableLayer with options", b.HcsInitializeWritableLayer(vol, data, "{}"), hcs.E_INVALIDARG)
	m.want("HcsInitializeWritableLayer without parents", b.HcsInitializeWritableLayer(vol, `{"Layers":[]}`, ""), hcs.E_INVALIDARG)
	m.want("HcsInitializeWritableLayer of a missing folder without LayerData: arguments first",
		b.HcsInitializeWritableLayer(filepath.Join(m.Dir, "missing"), "", ""), hcs.E_INVALIDARG)
	m.want("HcsInitializeWritableLayer of a volume no disk has", b.HcsInitializeWritableLayer(`\\?\Volume{00000000-0000-0000-0000-000000000001}\`, data, ""), hcs.ERROR_PATH_NOT_FOUND)
	m.must("HcsInitializeWritableLayer", b.HcsInitializeWritableLayer(vol, data, ""))
	m.want("HcsInitializeWritableLayer again", b.HcsInitializeWritableLayer(vol, data, ""), hcs.ERROR_ALREADY_EXISTS)
	if ok, err := b.LayerExists(info, vol); !ok || err != nil {
		m.t.Errorf("LayerExists of the writable layer = %v, %v", ok, err)
	}
	m.want("HcsAttachLayerStorageFilter over other parents", b.HcsAttachLayerStorageFilter(vol, LayerData(m.Base)), hcs.E_INVALIDARG)
	m.must("HcsAttachLayerStorageFilter", b.HcsAttachLayerStorageFilter(vol, data))
	if a, p := m.Mounted(); a != 1 || p != 1 {
		m.t.Errorf("Mounted = %d, %d with the filter attached; want 1, 1", a, p)
	}
	m.want("HcsAttachLayerStorageFilter again", b.HcsAttachLayerStorageFilter(vol, data), hcs.ERROR_ALREADY_EXISTS)
	m.want("HcsAttachLayerStorageFilter again without parents: arguments first", b.HcsAttachLayerStorageFilter(vol, `{"Layers":[]}`), hcs.E_INVALIDARG)
	m.want("UnprepareLayer of an attached filter", b.UnprepareLayer(info, vol), hcs.E_INVALIDARG)
	m.want("DetachVHD under the writable layer", m.DetachVHD(h), hcs.ERROR_BUSY)
	m.want("CloseVHD under the writable layer", m.CloseVHD(h), hcs.ERROR_BUSY)
	m.must("HcsDetachLayerStorageFilter", b.HcsDetachLayerStorageFilter(vol))
	m.want("HcsDetachLayerStorageFilter again", b.HcsDetachLayerStorageFilter(vol), hcs.ERROR_NOT_READY)
	m.must("CloseVHD of an attached disk", m.CloseVHD(h))
	m.want("CloseVHD again", m.CloseVHD(h), hcs.E_HANDLE)
	m.want("AttachVHD of a closed handle", m.AttachVHD(h), hcs.E_HANDLE)
}

func (m *model) filterOnFolder() {
	b, info := m.Layers, backend.DriverInfo{}
	data := LayerData(m.Base)
	m.want("HcsAttachLayerStorageFilter of a folder that is no layer", b.HcsAttachLayerStorageFilter(m.folder("empty"), data), hcs.ERROR_PATH_NOT_FOUND)
	m.must("HcsAttachLayerStorageFilter", b.HcsAttachLayerStorageFilter(m.Child, data))
	m.want("ActivateLayer of an attached layer", b.ActivateLayer(info, m.Child), hcs.ERROR_BUSY)
	m.want("PrepareLayer of an attached layer", b.PrepareLayer(info, m.Child, Parents(m.Base)), hcs.ERROR_ALREADY_EXISTS)
	m.want("DeactivateLayer of an attached layer", b.DeactivateLayer(info, m.Child), hcs.ERROR_BUSY)
	m.want("UnprepareLayer of an attached layer", b.UnprepareLayer(info, m.Child), hcs.E_INVALIDARG)
	m.want("HcsDestroyLayer of an attached layer", b.HcsDestroyLayer(m.Child), hcs.ERROR_BUSY)
	if p, err := b.GetLayerMountPath(info, m.Child); err != nil || !strings.EqualFold(p, m.Child) {
		m.t.Errorf("GetLayerMountPath of an attached layer = %q, %v; want its folder", p, err)
	}
	m.must("HcsDetachLayerStorageFilter", b.HcsDetachLayerStorageFilter(m.Child))

	// The two APIs do not mix on one layer.
	s := m.newScratch("scratch")
	m.must("ActivateLayer", b.ActivateLayer(info, s))
	m.want("HcsAttachLayerStorageFilter of an activated layer", b.HcsAttachLayerStorageFilter(s, m.LayerData()), hcs.ERROR_BUSY)
	m.must("PrepareLayer", b.PrepareLayer(info, s, m.Parents()))
	m.want("HcsAttachLayerStorageFilter of a prepared layer", b.HcsAttachLayerStorageFilter(s, m.LayerData()), hcs.ERROR_ALREADY_EXISTS)
	m.want("HcsDetachLayerStorageFilter of a prepared layer", b.HcsDetachLayerStorageFilter(s), hcs.E_INVALIDARG)
	m.unmount(s)
	m.must("DestroyLayer", b.DestroyLayer(info, s))
}

func (m *model) legacyWritable() {
	b, info := m.Layers, backend.DriverInfo{}
	s := m.newScratch("scratch")
	data := m.LayerData()
	m.want("HcsInitializeLegacyWritableLayer of a scratch not prepared", b.HcsInitializeLegacyWritableLayer(`\\?\Volume{00000000-0000-0000-0000-000000000001}\`, s, data, ""), hcs.ERROR_NOT_READY)
	vol := m.mount(s)
	m.want("HcsInitializeLegacyWritableLayer at another volume", b.HcsInitializeLegacyWritableLayer(`\\?\Volume{00000000-0000-0000-0000-000000000001}\`, s, data, ""), hcs.E_INVALIDARG)
	m.want("HcsInitializeLegacyWritableLayer over other parents", b.HcsInitializeLegacyWritableLayer(vol, s, LayerData(m.Base), ""), hcs.E_INVALIDARG)
	m.want("HcsInitializeLegacyWritableLayer with options not JSON", b.HcsInitializeLegacyWritableLayer(vol, s, data, "x"), hcs.HCS_E_INVALID_JSON)
	m.must("HcsInitializeLegacyWritableLayer", b.HcsInitializeLegacyWritableLayer(vol, s, data, `{}`))
	out := filepath.Join(m.Dir, "out")
	m.must("HcsExportLegacyWritableLayer", b.HcsExportLegacyWritableLayer(vol, s, out, data))
	if !Exists(filepath.Join(out, "Files")) || !Exists(filepath.Join(out, "Hives")) {
		m.t.Error("HcsExportLegacyWritableLayer did not write empty Files and Hives")
	}
	m.want("HcsExportLegacyWritableLayer into a folder that is not empty", b.HcsExportLegacyWritableLayer(vol, s, out, data), hcs.ERROR_DIR_NOT_EMPTY)
	m.unmount(s)
	m.must("DestroyLayer", b.DestroyLayer(info, s))
}

func (m *model) setupBaseOS() {
	b := m.Layers
	fresh := m.folder("fresh", "Files")
	m.want("HcsSetupBaseOSLayer of a container layer with a disk", b.HcsSetupBaseOSLayer(fresh, 4, ""), hcs.E_INVALIDARG)
	m.want("HcsSetupBaseOSLayer of a layer with Hives", b.HcsSetupBaseOSLayer(m.Base, 0, ""), hcs.ERROR_ALREADY_EXISTS)
	m.want("HcsSetupBaseOSLayer of a layer with parents", b.HcsSetupBaseOSLayer(m.Child, 0, ""), hcs.E_INVALIDARG)
	m.want("HcsSetupBaseOSLayer with options not JSON", b.HcsSetupBaseOSLayer(fresh, 0, "x"), hcs.HCS_E_INVALID_JSON)
	m.want("HcsSetupBaseOSLayer of another type", b.HcsSetupBaseOSLayer(fresh, 0, `{"Type":"Other"}`), hcs.E_INVALIDARG)
	m.must("HcsSetupBaseOSLayer", b.HcsSetupBaseOSLayer(fresh, 0, `{"Type":"Container"}`))
	if !Exists(filepath.Join(fresh, "Hives")) || !Exists(filepath.Join(fresh, "Layout")) {
		m.t.Error("HcsSetupBaseOSLayer did not make Hives and Layout")
	}
	m.want("HcsSetupBaseOSLayer again", b.HcsSetupBaseOSLayer(fresh, 0, ""), hcs.ERROR_ALREADY_EXISTS)

	// A utility VM's base goes onto an attached disk.
	uvm := filepath.Join(m.Base, "UtilityVM")
	Mkdirs(m.t, filepath.Join(uvm, "Files"))
	h, err := m.OpenVHD(filepath.Join(m.Dir, "SystemTemplateBase.vhdx"), true)
	m.must("OpenVHD", err)
	vm := `{"Type":"Vm"}`
	m.want("HcsSetupBaseOSLayer of a VM with a bogus handle", b.HcsSetupBaseOSLayer(uvm, h+1, vm), hcs.E_HANDLE)
	m.want("HcsSetupBaseOSLayer of a VM with a detached disk", b.HcsSetupBaseOSLayer(uvm, h, vm), hcs.ERROR_NOT_READY)
	m.must("AttachVHD", m.AttachVHD(h))
	m.must("HcsSetupBaseOSLayer of a VM", b.HcsSetupBaseOSLayer(uvm, h, vm))
	vol, err := b.HcsGetLayerVhdMountPath(h)
	m.must("HcsGetLayerVhdMountPath of the set-up disk", err)
	m.must("HcsSetupBaseOSVolume of a VM", b.HcsSetupBaseOSVolume(uvm, vol, vm))
	m.want("HcsSetupBaseOSVolume of a volume no disk has", b.HcsSetupBaseOSVolume(uvm, `\\?\Volume{00000000-0000-0000-0000-000000000001}\`, vm), hcs.ERROR_PATH_NOT_FOUND)
	m.must("DetachVHD", m.DetachVHD(h))
	m.must("CloseVHD", m.CloseVHD(h))
}

func (m *model) faults() {
	b, info := m.Layers, backend.DriverInfo{}
	s := m.newScratch("scratch")
	m.FailNext("ActivateLayer", hcs.ERROR_NOT_READY)
	m.want("ActivateLayer with a failure injected", b.ActivateLayer(info, s), hcs.ERROR_NOT_READY)
	m.FailNext("HcsDestroyLayer", hcs.E_ABORT)
	m.want("HcsDestroyLayer with a failure injected", b.HcsDestroyLayer(s), hcs.E_ABORT)
	if !Exists(s) {
		m.t.Error("a call that failed by injection acted")
	}
	// Elevation is checked before an injected failure, which waits for
	// the next call that gets that far.
	m.FailNext("LayerExists", hcs.E_ABORT)
	m.SetElevated(false)
	_, err := b.LayerExists(info, s)
	m.want("LayerExists unelevated", err, hcs.ERROR_PRIVILEGE_NOT_HELD)
	_, err = b.NameToGuid("base")
	m.want("NameToGuid unelevated", err, hcs.ERROR_PRIVILEGE_NOT_HELD)
	m.want("HcsFormatWritableLayerVhd unelevated", b.HcsFormatWritableLayerVhd(1), hcs.ERROR_PRIVILEGE_NOT_HELD)
	m.SetElevated(true)
	_, err = b.LayerExists(info, s)
	m.want("LayerExists elevated again", err, hcs.E_ABORT)
	// So is the service.
	m.Disconnect()
	m.want("ActivateLayer disconnected", b.ActivateLayer(info, s), hcs.HCS_E_SERVICE_DISCONNECT)
	m.want("HcsDestroyLayer disconnected", b.HcsDestroyLayer(s), hcs.HCS_E_SERVICE_DISCONNECT)
	m.Reconnect()
	m.must("DestroyLayer", b.DestroyLayer(info, s))
}
