package schema

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"go.uber.org/goleak"

	"github.com/gohcs/hcs/internal/reference"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// referenceDir returns the hcs-reference folder (see package
// internal/reference): tests that need it skip, saying why, when it is
// absent.
func referenceDir(t testing.TB) string {
	t.Helper()
	return reference.Dir(t)
}

// jsonValue decodes a document into a generic value for comparison, with
// numbers kept exact. Members whose value is null are dropped: a round trip
// may leave them out.
func jsonValue(t testing.TB, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, data)
	}
	return dropNulls(v)
}

func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = dropNulls(e)
		}
	case []any:
		for i := range x {
			x[i] = dropNulls(x[i])
		}
	}
	return v
}

// roundTrip decodes data into a new value of type T, encodes it again and
// checks that the two documents are the same JSON value. It returns the
// decoded value.
func roundTrip[T any](t testing.TB, data []byte) *T {
	t.Helper()
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %T: %v", v, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	if want, got := jsonValue(t, data), jsonValue(t, out); !reflect.DeepEqual(want, got) {
		t.Fatalf("round trip of %T changed the document\nin:  %s\nout: %s", v, data, out)
	}
	return v
}
