package hcs

import (
	"encoding/json"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/gohcs/hcs/schema"
)

func TestBackendError(t *testing.T) {
	for _, tc := range []struct {
		in   error
		want error
	}{
		{syscall.Errno(2), ErrNotFound},                       // unwrapped Win32 ERROR_FILE_NOT_FOUND
		{syscall.Errno(0x8037010E), ErrNotFound},              // HCS_E_SYSTEM_NOT_FOUND
		{syscall.Errno(0xFFFFFFFF_80370105), ErrInvalidState}, // sign-extended: cut to 32 bits
		{syscall.Errno(0xC0370105), ErrInvalidState},
		{HCS_E_SERVICE_DISCONNECT, ErrServiceDisconnect},
		{fmt.Errorf("computecore.dll: %w", errors.ErrUnsupported), ErrNotSupported},
	} {
		got := backendError(tc.in)
		if !errors.Is(got, tc.want) {
			t.Errorf("backendError(%v) = %v, want a match for %v", tc.in, got, tc.want)
		}
	}
	if backendError(nil) != nil {
		t.Error("backendError(nil) != nil")
	}
	var hr HRESULT
	if !errors.As(backendError(syscall.Errno(5)), &hr) || hr != HRESULT(-2147024891) {
		t.Errorf("Win32 ERROR_ACCESS_DENIED became %v, want E_ACCESSDENIED", hr)
	}
}

func TestDocument(t *testing.T) {
	cs := &schema.ComputeSystem{Owner: "me"}
	for _, tc := range []struct {
		in   any
		want string
	}{
		{nil, ""},
		{`{"a":1}`, `{"a":1}`},
		{[]byte(`{"b":2}`), `{"b":2}`},
		{json.RawMessage(`{"c":3}`), `{"c":3}`},
		{cs, `{"Owner":"me"}`},
		{map[string]int{"d": 4}, `{"d":4}`},
	} {
		got, err := document(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("document(%v) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if doc, err := document((*schema.ComputeSystem)(nil)); err != nil || doc != "" {
		t.Errorf("a nil *ComputeSystem gave %q, %v; want no document", doc, err)
	}
	if _, err := document(func() {}); err == nil {
		t.Error("a func became a document")
	}
}

// The statistics fixture of zlayer-hcs, in both forms HCS may use.
const statsFixture = `{"Timestamp":"2026-04-21T12:34:56Z","Uptime100ns":2960000000,` +
	`"Processor":{"TotalRuntime100ns":1234567,"RuntimeUser100ns":900000,"RuntimeKernel100ns":334567},` +
	`"Memory":{"MemoryUsageCommitBytes":268435456,"MemoryUsageCommitPeakBytes":314572800,"MemoryUsagePrivateWorkingSetBytes":201326592},` +
	`"Storage":{"ReadCountNormalized":42,"ReadSizeBytes":1048576,"WriteCountNormalized":13,"WriteSizeBytes":262144}}`

func TestParseStatistics(t *testing.T) {
	for _, doc := range []string{statsFixture, `{"Id":"x","State":"Running","Statistics":` + statsFixture + `}`} {
		st, err := parseStatistics([]byte(doc))
		if err != nil {
			t.Fatalf("parseStatistics: %v", err)
		}
		if *st.Uptime100ns != 2960000000 || *st.Processor.TotalRuntime100ns != 1234567 ||
			*st.Memory.MemoryUsageCommitBytes != 268435456 || *st.Storage.WriteSizeBytes != 262144 {
			t.Fatalf("statistics parsed wrong: %+v", st)
		}
	}
	for _, doc := range []string{``, `{}`, `{"Id":"x"}`, `{"Statistics":null}`, `[1]`} {
		if st, err := parseStatistics([]byte(doc)); err == nil || !errors.Is(err, ErrInvalidSchema) {
			t.Errorf("parseStatistics(%q) = %+v, %v; want ErrInvalidSchema", doc, st, err)
		}
	}
}
