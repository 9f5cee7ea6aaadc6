package spec

import (
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
