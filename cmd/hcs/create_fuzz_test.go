package main

import (
	"strings"
	"testing"

	"github.com/gohcs/hcs/schema"
)

// FuzzCheckDocument feeds arbitrary documents to the validation hcs create
// runs before sending one to HCS: it must never panic, and must either
// accept a document with a Container or a VirtualMachine, returning UTF-8
// text that decodes to it, or explain the rejection in a message that names
// the document.
func FuzzCheckDocument(f *testing.F) {
	for _, seed := range []string{
		`{"Owner":"me","Container":{}}`,
		`{"VirtualMachine":{"ComputeTopology":{"Memory":{"SizeInMB":256}}}}`,
		`{"Owner":42,"Container":{}}`,
		`{"Container":{"GuestOs":{"HostName":true}}}`,
		`{"Contaner":{}}`,
		`{"Container":{}}x`,
		"{\n  \"Container\": {\n    \"Storage\": [\n}",
		`{"Container":{},"Container":{},"VirtualMachine":{},"SchemaVersion":{"Major":3}}`,
		"\xef\xbb\xbf{\"Container\":{}}",
		"\xff\xfe{\x00}\x00",
		`null`,
		``,
	} {
		f.Add([]byte(seed), false)
	}
	f.Fuzz(func(t *testing.T, doc []byte, force bool) {
		text, cs, warnings, err := checkDocument(doc, "doc.json", force)
		switch {
		case err != nil:
			if cs != nil || text != nil || warnings != nil {
				t.Fatalf("rejected with %v but returned a document", err)
			}
			if !strings.HasPrefix(err.Error(), "doc.json") {
				t.Fatalf("message %q does not name the document", err)
			}
		case cs == nil:
			t.Fatal("accepted without a document")
		case cs.Container == nil && cs.VirtualMachine == nil:
			t.Fatal("accepted a document with neither a Container nor a VirtualMachine")
		case len(warnings) > 0 && !force:
			t.Fatalf("accepted a document with warnings %v without --force", warnings)
		default:
			var again schema.ComputeSystem
			if err := again.UnmarshalJSON(text); err != nil {
				t.Fatalf("accepted text that does not decode: %v", err)
			}
		}
	})
}
