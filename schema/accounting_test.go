package schema

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gohcs/hcs/internal/schemagen/spec"
)

// TestEveryDefinitionHasAType loads the sources with the generator's own
// loader and checks that every definition has a Go type, every property a
// field with its exact wire name, and every enum value a constant that
// Valid accepts.
func TestEveryDefinitionHasAType(t *testing.T) {
	m, err := spec.Load(referenceDir(t))
	if err != nil {
		t.Fatal(err)
	}
	var objects, enums, fields, values int
	for _, def := range m.Types {
		typ, ok := definitions[def.Name]
		if !ok {
			t.Errorf("definition %s has no Go type", def.Name)
			continue
		}
		if typ.Name() != spec.TypeName(def.Name) {
			t.Errorf("definition %s is Go type %s, want %s", def.Name, typ.Name(), spec.TypeName(def.Name))
		}
		if def.Enum {
			enums++
			if typ.Kind() != reflect.String {
				t.Errorf("enum %s is a %s", def.Name, typ.Kind())
				continue
			}
			for _, v := range def.Values {
				values++
				valid := reflect.ValueOf(v.Value).Convert(typ).MethodByName("Valid").Call(nil)[0].Bool()
				if !valid {
					t.Errorf("%s(%q).Valid() = false", typ.Name(), v.Value)
				}
			}
			continue
		}
		objects++
		wire := make(map[string]bool)
		for i := range typ.NumField() {
			if !typ.Field(i).IsExported() {
				continue
			}
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			wire[name] = true
		}
		for _, f := range def.Fields {
			fields++
			if !wire[f.Name] {
				t.Errorf("%s.%s has no field", def.Name, f.Name)
			}
		}
		if len(wire) != len(def.Fields)+1 { // + Unknown (json:"-")
			t.Errorf("%s has %d tagged fields, the sources %d", def.Name, len(wire)-1, len(def.Fields))
		}
	}
	if len(definitions) != len(m.Types) {
		t.Errorf("%d Go types for %d definitions", len(definitions), len(m.Types))
	}
	if len(m.Types) < 253 {
		t.Errorf("only %d definitions; SchemaReference.md alone documents 253", len(m.Types))
	}
	t.Logf("%d definitions: %d objects with %d fields, %d enums with %d values", len(m.Types), objects, fields, enums, values)
}
