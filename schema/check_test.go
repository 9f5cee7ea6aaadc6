package schema

import (
	"fmt"
	"reflect"
	"testing"
)

func TestCheckReportsEveryProblemAtOnce(t *testing.T) {
	doc := `{
  "Owner": 42,
  "SchemaVersion": {"Major": 3, "Minor": 0},
  "Container": {
    "Storag": {},
    "MappedDirectories": [{"HostPath": "a", "ReadOnly": "yes"}, {"HostPath": "b", "HostPath": "c"}],
    "Memory": {"SizeInMB": -1}
  },
  "VirtualMachine": {"Devices": {"Scsi": {"0": {}, "0": {}}}},
  "HostedSystem": {"x": 1, "x": 2},
  "Container": {"Storage": {"Layers": [{"Id": "1", "Path": "p"}]}}
}`
	cs, problems := Check[ComputeSystem]([]byte(doc))
	want := []Problem{
		{ProblemKindWrongType, "/Owner", 2, 12, "the number 42 where the schema wants a string"},
		{ProblemKindUnknownMember, "/Container/Storag", 5, 5, "the HCS schema has no such member (misspelt?)"},
		{ProblemKindWrongType, "/Container/MappedDirectories/0/ReadOnly", 6, 57, "a JSON string where the schema wants a boolean"},
		{ProblemKindDuplicateMember, "/Container/MappedDirectories/1/HostPath", 6, 83, "the member appears more than once in its object; this package keeps the last, and which one HCS uses is not documented"},
		{ProblemKindWrongType, "/Container/Memory/SizeInMB", 7, 28, "the number -1 where the schema wants a uint64 (a whole number from 0 to 18446744073709551615)"},
		{ProblemKindDuplicateMember, "/VirtualMachine/Devices/Scsi/0", 9, 52, "the member appears more than once in its object; this package keeps the last, and which one HCS uses is not documented"},
		{ProblemKindDuplicateMember, "/HostedSystem/x", 10, 28, "the member appears more than once in its object; this package keeps the last, and which one HCS uses is not documented"},
		{ProblemKindDuplicateMember, "/Container", 11, 3, "the member appears more than once in its object; this package keeps the last, and which one HCS uses is not documented"},
		{ProblemKindUnknownVersion, "/SchemaVersion/Major", 0, 0, "schema version 3.x is unknown: the published schema is version 2 (2.0 to 2.6), and major versions are not compatible with one another"},
		{ProblemKindContainerAndVM, "", 0, 0, "the document describes both a Container and a VirtualMachine; a compute system is one or the other"},
	}
	if !reflect.DeepEqual(problems, want) {
		t.Errorf("problems:")
		for _, p := range problems {
			t.Errorf("  %#v", p)
		}
	}
	if cs == nil || cs.Owner != "" || cs.Container.Storage == nil || cs.VirtualMachine == nil {
		t.Errorf("the document as far as it decodes: %+v", cs)
	}
	if got := problems[0].String(); got != "line 2, column 12: /Owner: the number 42 where the schema wants a string" {
		t.Errorf("String() = %q", got)
	}
	if got := problems[len(problems)-1].String(); got != want[len(want)-1].Message {
		t.Errorf("String() = %q", got)
	}
}

func TestCheckStopsAtASyntaxError(t *testing.T) {
	cs, problems := Check[ComputeSystem]([]byte("{\"Ownr\": \"x\",\n \"Container\": {]}"))
	want := []Problem{
		{ProblemKindUnknownMember, "/Ownr", 1, 2, "the HCS schema has no such member (misspelt?)"},
		{ProblemKindUnreadable, "", 2, 16, "invalid JSON: unexpected ']', want a member name"},
	}
	if cs != nil || !reflect.DeepEqual(problems, want) {
		t.Errorf("%v, %#v", cs, problems)
	}
	cs, problems = Check[ComputeSystem]([]byte(`["Container"]`))
	want = []Problem{{ProblemKindUnreadable, "", 1, 1, "a JSON array where the schema wants a ComputeSystem object"}}
	if cs != nil || !reflect.DeepEqual(problems, want) {
		t.Errorf("%v, %#v", cs, problems)
	}
}

func TestCheckAcceptsAGoodDocument(t *testing.T) {
	for _, doc := range []string{`{"SchemaVersion":{"Major":2,"Minor":9},"Container":{}}`, `{"VirtualMachine":{}}`} {
		if cs, problems := Check[ComputeSystem]([]byte(doc)); cs == nil || problems != nil {
			t.Errorf("%s: %v", doc, problems)
		}
	}
	if _, problems := Check[ComputeSystem]([]byte(`{}`)); len(problems) != 1 || problems[0].Kind != ProblemKindNoSystem {
		t.Errorf("{}: %v", problems)
	}
	// Other types get the checks that apply to them.
	if _, problems := Check[LayerData]([]byte(`{"SchemaVersion":{"Major":1}}`)); len(problems) != 1 || problems[0].Kind != ProblemKindUnknownVersion {
		t.Errorf("LayerData: %v", problems)
	}
	if _, problems := Check[Properties](benchProperties()); problems != nil {
		t.Errorf("Properties: %v", problems)
	}
}

func TestProblemKinds(t *testing.T) {
	for k, warning := range map[ProblemKind]bool{
		ProblemKindUnreadable: false, ProblemKindWrongType: false, ProblemKindNoSystem: false,
		ProblemKindUnknownMember: true, ProblemKindDuplicateMember: true, ProblemKindUnknownVersion: true, ProblemKindContainerAndVM: true,
	} {
		if k.Warning() != warning || k.String() == "" || k.String()[0] == 'P' {
			t.Errorf("%d: Warning() = %v, String() = %q", k, k.Warning(), k)
		}
	}
	if s := ProblemKind(99).String(); s != "ProblemKind(99)" {
		t.Errorf("String() = %q", s)
	}
}

// A tool checks a document a person wrote before sending it to HCS.
func ExampleCheck() {
	doc := []byte(`{
	"SchemaVersion": {"Major": 2, "Minor": 1},
	"Container": {
		"Storage": {"Layers": [{"Id": "2b0a7e71-7d27-4e4a-b7b5-0a5b47b4e0a1", "Path": "C:\\layers\\base"}]},
		"MappedDirectories": {"HostPath": "C:\\data", "ContainerPath": "C:\\data"},
		"Memry": {"SizeInMB": 512}
	}
}`)
	cs, problems := Check[ComputeSystem](doc)
	for _, p := range problems {
		fmt.Printf("%s (%s)\n", p, p.Kind)
	}
	fmt.Println(len(cs.Container.Storage.Layers), "layer")
	// Output:
	// line 5, column 24: /Container/MappedDirectories: a JSON object where the schema wants an array of MappedDirectory (wrong type)
	// line 6, column 3: /Container/Memry: the HCS schema has no such member (misspelt?) (unknown member)
	// 1 layer
}
