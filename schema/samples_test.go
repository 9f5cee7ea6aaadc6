package schema

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// referenceSamples names the type of every JSON document embedded in the
// reference pages' code samples, by page and C++ variable. A sample the
// table does not name fails the test, so new pages get looked at.
var referenceSamples = map[string]func(testing.TB, []byte) []string{
	"ComputeSystemSample.md c_VmQuery":        check[SystemPropertyQuery],
	"ComputeSystemSample.md c_pauseOption":    check[PauseOptions],
	"ComputeSystemSample.md c_saveOption":     check[SaveOptions],
	"EventCallbackSample.md c_EmptyVM":        check[ComputeSystem],
	"OperationCompletionSample.md c_EmptyVM":  check[ComputeSystem],
	"ServiceSample.md c_ServicePropertyQuery": check[ServicePropertyQuery],
	"ServiceSample.md c_ServiceSettings":      check[ModificationRequest],
	"Tutorial.md c_VmConfiguration":           check[ComputeSystem],
	"Tutorial.md c_VmQuery":                   check[SystemPropertyQuery],
	"Tutorial.md c_modifySetting":             check[ModifySettingRequest],
}

func check[T any](t testing.TB, data []byte) []string {
	return UnknownMembers(roundTrip[T](t, data))
}

// rawStringRE finds C++ raw string literals assigned to a variable:
// `c_Name[] = LR"( ... )"` or `auto c_Name = LR"( ... )"`.
var rawStringRE = regexp.MustCompile(`(?s)(\w+)(?:\[\])?\s*=\s*L?R"\((.*?)\)"`)

// referenceDocuments extracts the JSON documents from the code blocks of
// the reference pages, keyed like referenceSamples.
func referenceDocuments(t testing.TB) map[string][]byte {
	dir := filepath.Join(referenceDir(t), "api")
	pages, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	docs := make(map[string][]byte)
	for _, page := range pages {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range rawStringRE.FindAllSubmatch(data, -1) {
			body := strings.TrimSpace(string(m[2]))
			if !strings.HasPrefix(body, "{") {
				continue
			}
			docs[filepath.Base(page)+" "+string(m[1])] = []byte(body)
		}
	}
	return docs
}

func TestReferenceSamples(t *testing.T) {
	docs := referenceDocuments(t)
	if len(docs) == 0 {
		t.Fatal("no JSON samples found in the reference pages")
	}
	for name, doc := range docs {
		t.Run(strings.ReplaceAll(name, " ", "/"), func(t *testing.T) {
			f, ok := referenceSamples[name]
			if !ok {
				t.Fatalf("sample %s is not in referenceSamples; say which type it is:\n%s", name, doc)
			}
			if unknown := f(t, doc); len(unknown) > 0 {
				t.Errorf("members the schema does not know: %v", unknown)
			}
		})
	}
	for name := range referenceSamples {
		if _, ok := docs[name]; !ok {
			t.Errorf("sample %s listed but not found in the reference pages", name)
		}
	}
	t.Logf("%d reference samples round-tripped", len(docs))
}
