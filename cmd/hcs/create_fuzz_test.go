package main

import (
	"strings"
	"testing"
)

// FuzzCheckDocument feeds arbitrary documents to the validation hcs create
// runs before sending one to HCS: it must never panic, and must either
// accept a document with a Container or a VirtualMachine, or explain the
// rejection in a message that names the document.
func FuzzCheckDocument(f *testing.F) {
	for _, seed := range []string{
		`{"Owner":"me","Container":{}}`,
		`{"VirtualMachine":{"ComputeTopology":{"Memory":{"SizeInMB":256}}}}`,
		`{"Owner":42,"Container":{}}`,
		`{"Container":{"GuestOs":{"HostName":true}}}`,
		`{"Contaner":{}}`,
		`{"Container":{}}x`,
		"{\n  \"Container\": {\n    \"Storage\": [\n}",
		`null`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		cs, err := checkDocument(doc, "doc.json", false)
		switch {
		case err != nil:
			if cs != nil {
				t.Fatalf("rejected with %v but returned a document", err)
			}
			if !strings.HasPrefix(err.Error(), "doc.json") {
				t.Fatalf("message %q does not name the document", err)
			}
		case cs == nil:
			t.Fatal("accepted without a document")
		case cs.Container == nil && cs.VirtualMachine == nil:
			t.Fatal("accepted a document with neither a Container nor a VirtualMachine")
		}
	})
}
