package layertest

// What the tests of the fakes' layer calls share: the fakes' NameToGuid
// computed independently of them, a fixture of layer folders, parent lists
// and LayerData documents.

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf16"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/winetest"
)

// NameToGUID is the fakes' NameToGuid (internal/backend/BEHAVIOUR.md): an
// RFC 4122 version-5 UUID of the name's UTF-16LE bytes, exactly as given,
// in the namespace {5d1b2e0c-6f3a-4e8b-9c47-8a1f0e2d3b6a}, in GUID memory
// layout (the fields hold the UUID's big-endian fields).
func NameToGUID(name string) backend.GUID {
	ns := []byte{0x5d, 0x1b, 0x2e, 0x0c, 0x6f, 0x3a, 0x4e, 0x8b, 0x9c, 0x47, 0x8a, 0x1f, 0x0e, 0x2d, 0x3b, 0x6a}
	h := sha1.New()
	h.Write(ns)
	for _, u := range utf16.Encode([]rune(name)) {
		h.Write([]byte{byte(u), byte(u >> 8)})
	}
	sum := h.Sum(nil)
	sum[6] = sum[6]&0x0F | 0x50
	sum[8] = sum[8]&0x3F | 0x80
	var g backend.GUID
	g.Data1 = binary.BigEndian.Uint32(sum[0:4])
	g.Data2 = binary.BigEndian.Uint16(sum[4:6])
	g.Data3 = binary.BigEndian.Uint16(sum[6:8])
	copy(g.Data4[:], sum[8:16])
	return g
}

// Parent is the descriptor of the layer folder at path: its id is
// NameToGUID of the folder's base name.
func Parent(path string) backend.LayerDescriptor {
	return backend.LayerDescriptor{ID: NameToGUID(filepath.Base(path)), Path: path}
}

// Parents are the descriptors of the layer folders at paths, in order.
func Parents(paths ...string) []backend.LayerDescriptor {
	var d []backend.LayerDescriptor
	for _, p := range paths {
		d = append(d, Parent(p))
	}
	return d
}

// LayerData is the LayerData document computestorage.dll takes for the
// layers at paths (schema 2.1, absolute paths).
func LayerData(paths ...string) string {
	type layer struct{ Id, Path, PathType string }
	doc := struct {
		SchemaVersion struct{ Major, Minor int }
		Layers        []layer
	}{Layers: []layer{}}
	doc.SchemaVersion.Major, doc.SchemaVersion.Minor = 2, 1
	for _, p := range paths {
		doc.Layers = append(doc.Layers, layer{NameToGUID(filepath.Base(p)).String(), p, "AbsolutePath"})
	}
	return mustJSON(doc)
}

// JSONPaths is a JSON array of paths, as in layerchain.json.
func JSONPaths(paths ...string) string { return mustJSON(paths) }

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Fixture is a temporary folder holding two read-only layers: a base layer
// and a child layer over it.
type Fixture struct {
	Dir   string
	Base  string // Files\, Hives\
	Child string // Files\, and layerchain.json naming Base
}

// NewFixture makes a Fixture that the test's cleanup removes.
func NewFixture(t *testing.T) Fixture {
	t.Helper()
	dir := winetest.TempDir(t)
	f := Fixture{Dir: dir, Base: filepath.Join(dir, "base"), Child: filepath.Join(dir, "child")}
	Mkdirs(t, filepath.Join(f.Base, "Files", "Windows"), filepath.Join(f.Base, "Hives"), filepath.Join(f.Child, "Files"))
	WriteFile(t, filepath.Join(f.Base, "Files", "Windows", "win.ini"), "base")
	WriteFile(t, filepath.Join(f.Child, "layerchain.json"), JSONPaths(f.Base))
	return f
}

// Parents is the parent list of a scratch over the fixture: child, base.
func (f Fixture) Parents() []backend.LayerDescriptor { return Parents(f.Child, f.Base) }

// LayerData is the LayerData document of the fixture's layers: child, base.
func (f Fixture) LayerData() string { return LayerData(f.Child, f.Base) }

// Mkdirs makes each folder with its parents.
func Mkdirs(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// WriteFile writes text to path.
func WriteFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ReadFile returns the content of path.
func ReadFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Exists reports whether path exists.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
