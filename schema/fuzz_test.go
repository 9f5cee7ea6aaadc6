package schema

import (
	"encoding/json"
	"os"
	"path/filepath"
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
func fuzzDecode[T any, P interface {
	*T
	json.Unmarshaler
}](t *testing.T, data []byte) {
	direct := P(new(T))
	_ = direct.UnmarshalJSON(data)
	v := P(new(T))
	if err := json.Unmarshal(data, v); err != nil {
		return
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
