package schema

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// testdataTypes says which type each document in testdata/ is. The
// documents are written for these tests; where one follows the shape of a
// document from elsewhere, the comment says where.
var testdataTypes = map[string]func(testing.TB, []byte) []string{
	"computesystem_container.json": check[ComputeSystem],
	"computesystem_vm.json":        check[ComputeSystem],
	"processparameters.json":       check[ProcessParameters],
	"systempropertyquery.json":     check[SystemPropertyQuery],
	"modifysettingrequest.json":    check[ModifySettingRequest],
	"properties.json":              check[Properties],
	"resulterror.json":             check[ResultError],
	// The members of a live Properties document of a Hyper-V isolated
	// container (Windows Server 2025) published by AspireHcs in
	// tests/AspireHcs.Tests/HcsCtlStatsBindingTests.cs, with our values.
	"properties_live.json": check[Properties],
	// Statistics with two endpoints in the shape of hcsshim's
	// schema1.NetworkStats; the second without the drop counters.
	"statistics_network.json": check[Statistics],
	// The confidential (SEV-SNP) utility VM document hcsshim's
	// internal/uvm makeLCOWSecurityDoc builds, with our values.
	"computesystem_confidential.json": check[ComputeSystem],
}

func TestTestdataDocuments(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata documents")
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			f, ok := testdataTypes[name]
			if !ok {
				t.Fatalf("add %s to testdataTypes", name)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if unknown := f(t, data); len(unknown) > 0 {
				t.Errorf("members the schema does not know: %v", unknown)
			}
		})
	}
}

func TestUnknownMembersAtEveryDepth(t *testing.T) {
	doc := `{
		"Owner": "x",
		"TopLevel": {"a": [1, 2, {"b": null}]},
		"Container": {
			"Storage": {"Layers": [{"Id": "1", "Path": "p", "Idd": "typo"}, {}], "Extra~/": true},
			"Memory": {"SizeInMB": 5, "sizeinmb": 6}
		},
		"VirtualMachine": {"Devices": {"Scsi": {"a/b": {"Attachments": {"0": {"Path": "x", "New": 1.5e3}}}}}}
	}`
	cs := roundTrip[ComputeSystem](t, []byte(doc))
	want := []string{
		"/TopLevel",
		"/Container/Memory/sizeinmb",
		"/Container/Storage/Extra~0~1",
		"/Container/Storage/Layers/0/Idd",
		"/VirtualMachine/Devices/Scsi/a~1b/Attachments/0/New",
	}
	got := UnknownMembers(cs)
	slices.Sort(got)
	slices.Sort(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("UnknownMembers = %q\nwant %q", got, want)
	}
	if got2 := UnknownMembers(*cs); !reflect.DeepEqual(slices.Sorted(slices.Values(got2)), got) {
		t.Errorf("UnknownMembers of a value = %q", got2)
	}
	if *cs.Container.Memory.SizeInMB != 5 {
		t.Errorf("exact-case member lost: %v", *cs.Container.Memory.SizeInMB)
	}
	if UnknownMembers(42) != nil || UnknownMembers((*ComputeSystem)(nil)) != nil {
		t.Error("UnknownMembers of a non-schema value is not nil")
	}
}

func TestUnknownEnumValues(t *testing.T) {
	doc := `{"PropertyTypes": ["Statistics", "FutureThing", ""]}`
	q := roundTrip[SystemPropertyQuery](t, []byte(doc))
	if q.PropertyTypes[1] != "FutureThing" || q.PropertyTypes[1].Valid() {
		t.Errorf("unknown value: %q valid=%v", q.PropertyTypes[1], q.PropertyTypes[1].Valid())
	}
	if !q.PropertyTypes[0].Valid() || q.PropertyTypes[0] != SystemPropertyTypeStatistics {
		t.Errorf("known value: %q", q.PropertyTypes[0])
	}
	roundTrip[Layer](t, []byte(`{"PathType": "SomethingNew", "Cache": "Private"}`))
}

func TestFreeFormMembers(t *testing.T) {
	for _, settings := range []string{`4096`, `null`, `"text"`, `true`, `[1,"a",null]`, `{"deep":{"x":[{}]}}`, `{}`, `[]`, `-1.5e-7`} {
		doc := `{"ResourcePath":"a","Settings":` + settings + `,"GuestRequest":` + settings + `}`
		r := roundTrip[ModifySettingRequest](t, []byte(doc))
		if string(r.Settings) != settings {
			t.Errorf("Settings = %s, want %s", r.Settings, settings)
		}
		// A null free-form member is kept, not dropped.
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), `"Settings":`+settings) {
			t.Errorf("encoded %s lacks Settings %s", out, settings)
		}
	}
}

func TestEmptyArraysObjectsAndStrings(t *testing.T) {
	doc := `{"Container":{"Storage":{"Layers":[]},"MappedDirectories":[],"Networking":{}},
		"VirtualMachine":{"Devices":{"Scsi":{},"NetworkAdapters":{"n":{}}}},"Owner":"","HostingSystemId":""}`
	cs := roundTrip[ComputeSystem](t, []byte(doc))
	if cs.Container.Storage.Layers == nil || len(cs.Container.Storage.Layers) != 0 {
		t.Error("empty array not kept as an empty slice")
	}
	// Zero values the caller sets are absent; those received are kept.
	var fresh ComputeSystem
	fresh.Owner = ""
	if out, _ := json.Marshal(fresh); string(out) != "{}" {
		t.Errorf("zero ComputeSystem = %s", out)
	}
	// A received empty string that is then changed encodes the new value.
	cs.Owner = "new"
	out, _ := json.Marshal(cs)
	if !strings.Contains(string(out), `"Owner":"new"`) {
		t.Errorf("got %s", out)
	}
}

func TestAbsentFalseAndZero(t *testing.T) {
	for _, doc := range []string{`{}`, `{"ReadOnly":false}`, `{"ReadOnly":true}`} {
		roundTrip[Attachment](t, []byte(doc))
	}
	for _, doc := range []string{`{}`, `{"SizeInMB":0}`, `{"SizeInMB":18446744073709551615}`} {
		roundTrip[ContainerMemory](t, []byte(doc))
	}
	var m ContainerMemory
	for _, bad := range []string{`{"SizeInMB":-1}`, `{"SizeInMB":1.5}`, `{"SizeInMB":"1"}`, `{"SizeInMB":18446744073709551616}`, `[]`, `{"SizeInMB":1,}`} {
		if err := json.Unmarshal([]byte(bad), &m); err == nil {
			t.Errorf("%s decoded without error", bad)
		}
		if err := m.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("UnmarshalJSON(%s) without error", bad)
		}
	}
	roundTrip[ResultError](t, []byte(`{"Error":-2147483648}`))
}

func TestStringEscapes(t *testing.T) {
	doc := `{"Id":"\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t\u0001<>&\u2028","Path":"日本"}`
	l := roundTrip[Layer](t, []byte(doc))
	if l.Path != "日本" {
		t.Errorf("Path = %q", l.Path)
	}
	in := Layer{ID: "bad\xffutf8"}
	out, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	std, _ := json.Marshal(in.ID)
	if !strings.Contains(string(out), string(std)) {
		t.Errorf("invalid UTF-8 encoded as %s, encoding/json writes %s", out, std)
	}
}

func TestVersions(t *testing.T) {
	out, err := json.Marshal(V2_1.Version())
	if err != nil || string(out) != `{"Major":2,"Minor":1}` {
		t.Fatalf("V2_1 = %s, %v", out, err)
	}
	v, ok := V2_6.Version().Number()
	if !ok || v != V2_6 || !V2_5.Less(v) || v.String() != "2.6" {
		t.Errorf("Number = %v %v", v, ok)
	}
	if _, ok := (&Version{Major: Ptr[uint32](2)}).Number(); ok {
		t.Error("Number accepted a version without Minor")
	}
	var absent *Version
	if _, ok := absent.Number(); ok {
		t.Error("Number of a nil Version is ok")
	}
	if len(KnownVersions()) != 7 {
		t.Error("KnownVersions")
	}
}

func TestPathErrorNamesTheMember(t *testing.T) {
	doc := `{"Owner":"x","Container":{"Storage":{"Layers":[{"Id":"a","Path":"p"},{"Id":5}]}}}`
	var cs ComputeSystem
	err := json.Unmarshal([]byte(doc), &cs)
	var pe *PathError
	if !errors.As(err, &pe) {
		t.Fatalf("Unmarshal: %v, want a *PathError", err)
	}
	if pe.Path != "/Container/Storage/Layers/1/Id" {
		t.Fatalf("Path = %q, want /Container/Storage/Layers/1/Id", pe.Path)
	}
	if !strings.HasPrefix(err.Error(), "schema: /Container/Storage/Layers/1/Id: ") {
		t.Fatalf("Error() = %q", err.Error())
	}
}
