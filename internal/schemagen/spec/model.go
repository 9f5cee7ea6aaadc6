// Package spec loads Microsoft's published HCS schema — the SDK Swagger
// files and the tables of SchemaReference.md — and merges them, with the
// generator's override table, into one model: the union of every type,
// field and enum value any source lists.
//
// The generator (internal/schemagen) emits package schema from the model,
// and the tests of package schema load it again to check that every
// definition and property has its Go counterpart.
package spec

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Kind classifies a TypeRef.
type Kind int

// The kinds of a TypeRef.
const (
	KindBool   Kind = iota
	KindInt         // Format holds the width: uint8 … int64
	KindString      // Format may be guid or mac-address
	KindTime        // RFC 3339 date-time string
	KindBytes       // base64 string
	KindAny         // free-form JSON value
	KindRef         // Ref names a definition
	KindArray       // Elem is the element type; Len, when set, the documented length
	KindMap         // JSON object with Elem values; Key is the documented key type
)

// TypeRef is the type of a field, array element or map value.
type TypeRef struct {
	Kind   Kind
	Format string
	Ref    string
	Elem   *TypeRef
	Len    int
	Key    string
}

// String gives a compact form of t, used in diagnostics.
func (t *TypeRef) String() string {
	switch t.Kind {
	case KindBool:
		return "bool"
	case KindInt:
		return t.Format
	case KindString:
		return "string"
	case KindTime:
		return "date-time"
	case KindBytes:
		return "bytes"
	case KindAny:
		return "any"
	case KindRef:
		return t.Ref
	case KindArray:
		return "[]" + t.Elem.String()
	case KindMap:
		return "map[" + t.Elem.String() + "]"
	}
	return "?"
}

// Source is one input file.
type Source struct {
	Name  string // "SDK 1809" … or "SchemaReference.md"
	Since string // schema version a definition first listed here is available in
}

// Sources in order oldest to newest. The SDK files do not say which schema
// version they describe; Since is the newest schema version the SDK shipped
// with (see the Schema Version Map in SchemaReference.md).
var swaggerFiles = []struct {
	File string
	Source
}{
	{"HCS_Schema_Windows_10_SDK_1809.json", Source{"SDK 1809", "2.1"}},
	{"HCS_Schema_Windows_10_SDK_1903.json", Source{"SDK 1903", "2.2"}},
	{"HCS_Schema_Windows_10_SDK_2004.json", Source{"SDK 2004", "2.3"}},
	{"HCS_Schema_Windows_10_SDK_2104.json", Source{"SDK 2104", "2.5"}},
	{"HCS_Schema_Windows_11_SDK_21H2.json", Source{"SDK 21H2", "2.6"}},
}

// ReferenceSource names SchemaReference.md in Type.Sources and Field.Sources.
const ReferenceSource = "SchemaReference.md"

// OverrideSource names the generator's override table in Field.Sources.
const OverrideSource = "override"

// Type is one schema definition.
type Type struct {
	Name        string // definition name, e.g. Container_Memory
	GoName      string // e.g. ContainerMemory
	Enum        bool
	Description string
	Since       string   // schema version that introduced it, e.g. "2.3"
	SinceFrom   string   // where Since came from
	Sources     []string // sources that define it
	Fields      []*Field
	Values      []*Value
}

// Field is one property of an object definition.
type Field struct {
	Name        string // wire name
	GoName      string
	Type        *TypeRef
	Description string
	Since       string
	SinceFrom   string
	Sources     []string
	Note        string // from the override table
}

// Value is one value of an enum definition.
type Value struct {
	Value       string
	GoName      string // constant name
	Description string
	Since       string
	SinceFrom   string
	Sources     []string
}

// Model is the merged schema.
type Model struct {
	Types    []*Type // sorted by Name
	byName   map[string]*Type
	Warnings []string // disagreements between sources, for the generator's -v output
}

// Type returns the definition called name, or nil.
func (m *Model) Type(name string) *Type { return m.byName[name] }

// Load reads the sources under refDir (the hcs-reference folder, holding
// schema/*.json and api/SchemaReference.md), merges them and applies the
// override table.
func Load(refDir string) (*Model, error) {
	m := &Model{byName: make(map[string]*Type)}
	for _, sf := range swaggerFiles {
		doc, err := loadSwagger(filepath.Join(refDir, "schema", sf.File))
		if err != nil {
			return nil, err
		}
		if err := m.addSwagger(doc, sf.Source); err != nil {
			return nil, fmt.Errorf("%s: %w", sf.File, err)
		}
	}
	ref, err := loadReference(filepath.Join(refDir, "api", "SchemaReference.md"))
	if err != nil {
		return nil, err
	}
	if err := m.addReference(ref); err != nil {
		return nil, err
	}
	if err := m.applyOverrides(); err != nil {
		return nil, err
	}
	if err := m.finish(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Model) def(name string, enum bool, src string) (*Type, error) {
	t := m.byName[name]
	if t == nil {
		t = &Type{Name: name, Enum: enum}
		m.byName[name] = t
		m.Types = append(m.Types, t)
	}
	if t.Enum != enum {
		return nil, fmt.Errorf("%s is an enum in one source and an object in another", name)
	}
	t.Sources = append(t.Sources, src)
	return t, nil
}

func (t *Type) field(name string) *Field {
	for _, f := range t.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func (t *Type) value(v string) *Value {
	for _, x := range t.Values {
		if x.Value == v {
			return x
		}
	}
	return nil
}

// addSwagger merges one SDK file. Sources arrive oldest first, so a newer
// file's type for a field replaces an older one, and the first file that
// lists an item gives its fallback version.
func (m *Model) addSwagger(doc *swaggerDoc, src Source) error {
	for _, name := range doc.Definitions.Keys {
		d := doc.Definitions.Values[name]
		t, err := m.def(name, d.Enum != nil, src.Name)
		if err != nil {
			return err
		}
		if t.Since == "" {
			t.Since, t.SinceFrom = src.Since, src.Name
		}
		if d.Description != "" {
			t.Description = d.Description
		}
		for _, v := range d.Enum {
			x := t.value(v)
			if x == nil {
				x = &Value{Value: v, Since: src.Since, SinceFrom: src.Name}
				t.Values = append(t.Values, x)
			}
			x.Sources = append(x.Sources, src.Name)
		}
		for _, pname := range d.Properties.Keys {
			p := d.Properties.Values[pname]
			typ, err := swaggerType(&p)
			if err != nil {
				return fmt.Errorf("%s.%s: %w", name, pname, err)
			}
			f := t.field(pname)
			if f == nil {
				f = &Field{Name: pname, Since: src.Since, SinceFrom: src.Name}
				t.Fields = append(t.Fields, f)
			}
			f.Type = typ
			if p.Description != "" {
				f.Description = p.Description
			}
			f.Sources = append(f.Sources, src.Name)
		}
	}
	return nil
}

// addReference merges SchemaReference.md. It is the only source of exact
// versions, and its descriptions are the edited ones; the Swagger files'
// types are kept where both list a field, because their formats are exact
// (the page's tables are rendered from the same schema).
func (m *Model) addReference(defs []*refDef) error {
	for _, d := range defs {
		t, err := m.def(d.Name, d.Enum, ReferenceSource)
		if err != nil {
			return err
		}
		if d.Description != "" {
			t.Description = d.Description
		}
		// The type's own version: the earliest of its members'.
		since := ""
		for _, v := range d.Values {
			if since == "" || versionLess(v.Since, since) {
				since = v.Since
			}
			x := t.value(v.Value)
			if x == nil {
				x = &Value{Value: v.Value}
				t.Values = append(t.Values, x)
			}
			x.Since, x.SinceFrom = v.Since, ReferenceSource
			if v.Description != "" {
				x.Description = v.Description
			}
			x.Sources = append(x.Sources, ReferenceSource)
		}
		for _, rf := range d.Fields {
			if since == "" || versionLess(rf.Since, since) {
				since = rf.Since
			}
			f := t.field(rf.Name)
			if f == nil {
				f = &Field{Name: rf.Name, Type: rf.Type}
				t.Fields = append(t.Fields, f)
			} else if !sameType(f.Type, rf.Type) {
				m.Warnings = append(m.Warnings, fmt.Sprintf("%s.%s: Swagger says %s, SchemaReference.md says %s (Swagger kept)", t.Name, f.Name, f.Type, rf.Type))
			}
			if rf.Type.Kind == KindArray && rf.Type.Len > 0 && f.Type.Kind == KindArray {
				f.Type.Len = rf.Type.Len
			}
			if rf.Type.Kind == KindMap && f.Type.Kind == KindMap {
				f.Type.Key = rf.Type.Key
			}
			f.Since, f.SinceFrom = rf.Since, ReferenceSource
			if rf.Description != "" {
				f.Description = rf.Description
			}
			f.Sources = append(f.Sources, ReferenceSource)
		}
		if since != "" && (t.SinceFrom != ReferenceSource) {
			t.Since, t.SinceFrom = since, ReferenceSource
		}
	}
	return nil
}

// sameType reports whether a Swagger type and a SchemaReference.md type
// describe the same wire form.
func sameType(a, b *TypeRef) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case KindInt:
		return a.Format == b.Format
	case KindRef:
		return a.Ref == b.Ref
	case KindArray, KindMap:
		return sameType(a.Elem, b.Elem)
	}
	return true
}

func versionLess(a, b string) bool {
	var am, an, bm, bn int
	fmt.Sscanf(a, "%d.%d", &am, &an)
	fmt.Sscanf(b, "%d.%d", &bm, &bn)
	return am < bm || am == bm && an < bn
}

// finish sorts the model, names everything for Go and checks references.
func (m *Model) finish() error {
	sort.Slice(m.Types, func(i, j int) bool { return m.Types[i].Name < m.Types[j].Name })
	goNames := make(map[string]string)
	for _, t := range m.Types {
		t.GoName = TypeName(t.Name)
		if other, dup := goNames[t.GoName]; dup {
			return fmt.Errorf("definitions %s and %s both map to Go type %s", other, t.Name, t.GoName)
		}
		goNames[t.GoName] = t.Name
		if slices.Contains(reservedNames, t.GoName) {
			return fmt.Errorf("definition %s collides with hand-written name %s", t.Name, t.GoName)
		}
		fieldNames := map[string]string{"Unknown": "(unknown members)"}
		for _, f := range t.Fields {
			f.GoName = FieldName(f.Name)
			if other, dup := fieldNames[f.GoName]; dup {
				return fmt.Errorf("%s: fields %s and %s both map to Go field %s", t.Name, other, f.Name, f.GoName)
			}
			fieldNames[f.GoName] = f.Name
			if err := m.check(f.Type); err != nil {
				return fmt.Errorf("%s.%s: %w", t.Name, f.Name, err)
			}
		}
		constNames := make(map[string]string)
		for _, v := range t.Values {
			v.GoName = t.GoName + ValueName(v.Value)
			if other, dup := constNames[v.GoName]; dup {
				return fmt.Errorf("%s: values %q and %q both map to constant %s", t.Name, other, v.Value, v.GoName)
			}
			constNames[v.GoName] = v.Value
		}
	}
	return nil
}

func (m *Model) check(t *TypeRef) error {
	switch t.Kind {
	case KindRef:
		if m.byName[t.Ref] == nil {
			return fmt.Errorf("reference to unknown definition %s", t.Ref)
		}
	case KindArray, KindMap:
		if t.Elem.Kind == KindArray || t.Elem.Kind == KindMap {
			return fmt.Errorf("nested containers are not supported")
		}
		return m.check(t.Elem)
	}
	return nil
}

// reservedNames are the hand-written exported names of package schema.
var reservedNames = []string{"Ptr", "VersionNumber", "UnknownMembers", "KnownVersions", "PathError"}

// Versions lists the schema versions the sources know, oldest first.
var Versions = []string{"2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6"}

// SinceText returns the "Since schema X" sentence for an item.
func SinceText(since, from string) string {
	if from == ReferenceSource || from == "" {
		return "Since schema " + since + "."
	}
	if from == OverrideSource {
		return "Not in the published schema; see the note above."
	}
	return "Since schema " + since + " at the latest (first listed in the " + strings.TrimPrefix(from, "SDK ") + " SDK schema file)."
}
