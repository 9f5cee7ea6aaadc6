package spec

import (
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"Id": "ID", "HostingSystemId": "HostingSystemID", "SizeInMB": "SizeInMB", "Uptime100ns": "Uptime100ns",
		"data_binary": "DataBinary", "VmId": "VMID", "Ids": "IDs", "InterfaceClassGuid": "InterfaceClassGUID",
	} {
		if got := FieldName(in); got != want {
			t.Errorf("FieldName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := TypeName("Container_Memory"); got != "ContainerMemory" {
		t.Errorf("TypeName = %q", got)
	}
	if got := ValueName(""); got != "Empty" {
		t.Errorf("ValueName(\"\") = %q", got)
	}
}

func TestParseRefType(t *testing.T) {
	for in, want := range map[string]string{
		"[uint16](#JSON-type)":                                                     "uint16",
		"<[uint16](#JSON-type), 2> array":                                          "[]uint16",
		"[Map](#JSON-type)<[uint32](#JSON-type), [ComPort](#ComPort)>":             "map[ComPort]",
		"[Map](#JSON-type)<Guid, [HvSocketServiceConfig](#HvSocketServiceConfig)>": "map[HvSocketServiceConfig]",
		"[Any](#JSON-type)":                                                        "any",
	} {
		got, err := parseRefType(in)
		if err != nil || got.String() != want {
			t.Errorf("parseRefType(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
}

func TestApplyOverrides(t *testing.T) {
	saved := overrides
	defer func() { overrides = saved }()
	model := func() *Model {
		m := &Model{byName: map[string]*Type{}}
		for _, ty := range []*Type{
			{Name: "Obj", Fields: []*Field{{Name: "F"}}},
			{Name: "E", Enum: true, Values: []*Value{{Value: "A"}}},
		} {
			m.byName[ty.Name] = ty
			m.Types = append(m.Types, ty)
		}
		return m
	}
	for _, c := range []struct {
		o   override
		err string // "" for success
	}{
		{override{Type: "Obj", Field: "G", Add: &TypeRef{Kind: KindString}, Note: "n"}, ""},
		{override{Type: "Obj", Field: "F", Note: "n"}, ""},
		{override{Type: "E", Value: "B", Note: "n"}, ""},
		{override{Type: "Nope", Field: "F"}, "no definition Nope"},
		{override{Type: "Obj", Field: "F", Add: &TypeRef{Kind: KindString}}, "now list: drop the entry"},
		{override{Type: "Obj", Field: "G"}, "no field Obj.G"},
		{override{Type: "E", Value: "A"}, "now list: drop the entry"},
		{override{Type: "Obj", Value: "B"}, "not an enum"},
		{override{Type: "E", Value: "B", Field: "F"}, "also names a field"},
	} {
		overrides = []override{c.o}
		m := model()
		err := m.applyOverrides()
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%+v: error %v, want one containing %q", c.o, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", c.o, err)
			continue
		}
		ty := m.byName[c.o.Type]
		if c.o.Value != "" {
			v := ty.value(c.o.Value)
			if v == nil || v.Description != c.o.Note || v.SinceFrom != OverrideSource {
				t.Errorf("%+v: value %+v", c.o, v)
			}
			continue
		}
		f := ty.field(c.o.Field)
		if f == nil || f.Note != c.o.Note || (c.o.Add != nil && f.SinceFrom != OverrideSource) {
			t.Errorf("%+v: field %+v", c.o, f)
		}
	}
}
