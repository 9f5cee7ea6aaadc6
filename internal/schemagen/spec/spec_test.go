package spec

import (
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"Id": "ID", "HostingSystemId": "HostingSystemID", "SizeInMB": "SizeInMB", "Uptime100ns": "Uptime100ns",
		"data_binary": "DataBinary", "VmId": "VMID", "Ids": "IDs", "InterfaceClassGuid": "InterfaceClassGUID",
		"AccessSids": "AccessSIDs", "MacAddress": "MACAddress", "UseUtc": "UseUTC", "ICHeartbeatStatus": "ICHeartbeatStatus",
		"DNSSearchList": "DNSSearchList", "HvSocket": "HvSocket", "FlexibleIoDevice": "FlexibleIoDevice",
	} {
		if got := FieldName(in); got != want {
			t.Errorf("FieldName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"Container_Memory": "ContainerMemory", "GuestOs": "GuestOS", "VirtualPciDevice": "VirtualPCIDevice",
		"MemoryInformationForVm": "MemoryInformationForVM", "Scsi": "SCSI", "VirtualPMemDevice": "VirtualPMemDevice",
	} {
		if got := TypeName(in); got != want {
			t.Errorf("TypeName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"": "Empty", "Vm": "VM", "CpuGroup": "CPUGroup", "HcsApiFatalError": "HCSAPIFatalError",
		"AVX512IFMA": "AVX512IFMA", "Sse4A": "Sse4A", "guest-os": "GuestOS",
	} {
		if got := ValueName(in); got != want {
			t.Errorf("ValueName(%q) = %q, want %q", in, got, want)
		}
	}
	// Names already in Go's style stay as they are.
	for _, name := range []string{"IDs", "GUIDs", "VMs", "CPUGroups", "V2_1", "UnmarshalJSON", "PMem", "OSSuiteMask", "Ts1"} {
		if got := Initialisms(name); got != name {
			t.Errorf("Initialisms(%q) = %q", name, got)
		}
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
		{override{Type: "New", Define: "object", Note: "n"}, ""},
		{override{Type: "New", Define: "enum", Note: "n"}, ""},
		{override{Type: "Obj", Define: "object"}, "now list: drop the entry"},
		{override{Type: "New", Define: "object", Field: "F"}, "also names a field or value"},
		{override{Type: "New", Define: "struct"}, `not "object" or "enum"`},
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
		if c.o.Define != "" {
			if ty == nil || ty.Enum != (c.o.Define == "enum") || ty.Description != c.o.Note || ty.SinceFrom != OverrideSource {
				t.Errorf("%+v: type %+v", c.o, ty)
			}
			continue
		}
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

// TestDefinedTypeTakesFieldsAndValues checks that entries after a definition
// can fill the new type, and that the model's checks then see it.
func TestDefinedTypeTakesFieldsAndValues(t *testing.T) {
	saved := overrides
	defer func() { overrides = saved }()
	overrides = []override{
		{Type: "Stats", Define: "object", Note: "n"},
		{Type: "Stats", Field: "Count", Add: &TypeRef{Kind: KindInt, Format: "uint64"}, Note: "n"},
		{Type: "Kind", Define: "enum", Note: "n"},
		{Type: "Kind", Value: "A", Note: "n"},
		{Type: "Holder", Field: "Stats", Add: &TypeRef{Kind: KindArray, Elem: &TypeRef{Kind: KindRef, Ref: "Stats"}}, Note: "n"},
	}
	holder := &Type{Name: "Holder"}
	m := &Model{byName: map[string]*Type{"Holder": holder}, Types: []*Type{holder}}
	if err := m.applyOverrides(); err != nil {
		t.Fatal(err)
	}
	if err := m.finish(); err != nil {
		t.Fatal(err)
	}
	if f := m.Type("Stats").field("Count"); f == nil || f.GoName != "Count" {
		t.Errorf("Stats.Count = %+v", f)
	}
	if v := m.Type("Kind").value("A"); v == nil || v.GoName != "KindA" {
		t.Errorf("Kind value A = %+v", v)
	}
	var names []string
	for _, ty := range m.Types {
		names = append(names, ty.Name)
	}
	if want := []string{"Holder", "Kind", "Stats"}; !slices.Equal(names, want) {
		t.Errorf("types %v, want %v", names, want)
	}
}

// TestOverrideNotesStartWithTheGoName checks that the note of each entry
// that defines a type or adds a field, which becomes a doc comment, starts
// with the Go name, as Go doc comments do.
func TestOverrideNotesStartWithTheGoName(t *testing.T) {
	for _, o := range overrides {
		var name string
		switch {
		case o.Define != "":
			name = TypeName(o.Type)
		case o.Field != "":
			name = FieldName(o.Field)
		default:
			continue
		}
		if !strings.HasPrefix(o.Note, name+" ") {
			t.Errorf("note of %s %s does not start with %s: %q", o.Type, o.Field, name, o.Note)
		}
	}
}
