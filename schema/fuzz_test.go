package schema

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

func seedFuzz(f *testing.F) {
	f.Add([]byte(statisticsFixture))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"Container":{"Storage":{"Layers":[{"Id":"x"}]}},"X":[1,{"y":null}]}`))
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
}

// fuzzDecode decodes data into a T both through encoding/json and by calling
// UnmarshalJSON directly; whatever decodes must encode and decode again.
//
// The generated methods check the text themselves (encoding/json checks it
// before calling them, other callers do not): they must call exactly the
// documents encoding/json calls valid JSON syntax errors, and agree with it
// on what decodes.
func fuzzDecode[T any, P interface {
	document[T]
	json.Unmarshaler
}](t *testing.T, data []byte) {
	direct := P(new(T))
	directErr := direct.UnmarshalJSON(data)
	_, isSyntax := directErr.(*SyntaxError)
	if valid := json.Valid(data); valid == isSyntax {
		t.Fatalf("json.Valid = %v but UnmarshalJSON gave %v for %q", valid, directErr, data)
	}
	v := P(new(T))
	err := json.Unmarshal(data, v)
	if (err == nil) != (directErr == nil) {
		t.Fatalf("json.Unmarshal gave %v but UnmarshalJSON %v for %q", err, directErr, data)
	}
	if err != nil {
		return
	}
	if !reflect.DeepEqual(direct, v) {
		t.Fatalf("UnmarshalJSON and json.Unmarshal decoded %q differently", data)
	}
	if _, problems := Check[T, P](data); slices.ContainsFunc(problems, func(p Problem) bool { return p.Kind == ProblemKindUnreadable || p.Kind == ProblemKindWrongType }) {
		t.Fatalf("decoded, but Check finds %v in %q", problems, data)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("decoded %s but cannot encode: %v", data, err)
	}
	again := P(new(T))
	if err := json.Unmarshal(out, again); err != nil {
		t.Fatalf("re-decode of %s: %v", out, err)
	}
	_ = UnknownMembers(v)
}

func FuzzProperties(f *testing.F) {
	seedFuzz(f)
	f.Fuzz(fuzzDecode[Properties])
}

func FuzzComputeSystem(f *testing.F) {
	seedFuzz(f)
	f.Fuzz(fuzzDecode[ComputeSystem])
}

func FuzzStatistics(f *testing.F) {
	seedFuzz(f)
	f.Fuzz(fuzzDecode[Statistics])
}
