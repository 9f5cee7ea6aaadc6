package hcs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/gohcs/hcs/schema"
)

// sentinels lists every sentinel error, by name.
var sentinels = map[string]error{
	"ErrNotFound":            ErrNotFound,
	"ErrAlreadyExists":       ErrAlreadyExists,
	"ErrAlreadyStopped":      ErrAlreadyStopped,
	"ErrAccessDenied":        ErrAccessDenied,
	"ErrInvalidSchema":       ErrInvalidSchema,
	"ErrInvalidArgument":     ErrInvalidArgument,
	"ErrInvalidState":        ErrInvalidState,
	"ErrImageMismatch":       ErrImageMismatch,
	"ErrFeatureNotInstalled": ErrFeatureNotInstalled,
	"ErrTimeout":             ErrTimeout,
	"ErrServiceDisconnect":   ErrServiceDisconnect,
	"ErrUnexpectedExit":      ErrUnexpectedExit,
	"ErrNotSupported":        ErrNotSupported,
	"ErrClosed":              ErrClosed,
}

// win32 is HRESULT_FROM_WIN32 of a decimal error code from winerror.h,
// written independently of HRESULTFromWin32.
func win32(code uint32) uint32 { return 0x80070000 | code }

// wantCodes is the expected table, written independently of errors.go:
// values as in winerror.h (Win32 errors by their decimal code), and the
// class each code must match.
var wantCodes = []struct {
	value uint32
	name  string
	class error
}{
	{0x00000000, "S_OK", nil},

	{0x80370100, "HCS_E_TERMINATED_DURING_START", ErrUnexpectedExit},
	{0x80370101, "HCS_E_IMAGE_MISMATCH", ErrImageMismatch},
	{0x80370102, "HCS_E_HYPERV_NOT_INSTALLED", ErrFeatureNotInstalled},
	{0x80370105, "HCS_E_INVALID_STATE", ErrInvalidState},
	{0x80370106, "HCS_E_UNEXPECTED_EXIT", ErrUnexpectedExit},
	{0x80370107, "HCS_E_TERMINATED", ErrUnexpectedExit},
	{0x80370108, "HCS_E_CONNECT_FAILED", nil},
	{0x80370109, "HCS_E_CONNECTION_TIMEOUT", ErrTimeout},
	{0x8037010A, "HCS_E_CONNECTION_CLOSED", nil},
	{0x8037010B, "HCS_E_UNKNOWN_MESSAGE", nil},
	{0x8037010C, "HCS_E_UNSUPPORTED_PROTOCOL_VERSION", nil},
	{0x8037010D, "HCS_E_INVALID_JSON", ErrInvalidSchema},
	{0x8037010E, "HCS_E_SYSTEM_NOT_FOUND", ErrNotFound},
	{0x8037010F, "HCS_E_SYSTEM_ALREADY_EXISTS", ErrAlreadyExists},
	{0x80370110, "HCS_E_SYSTEM_ALREADY_STOPPED", ErrAlreadyStopped},
	{0x80370111, "HCS_E_PROTOCOL_ERROR", nil},
	{0x80370112, "HCS_E_INVALID_LAYER", nil},
	{0x80370113, "HCS_E_WINDOWS_INSIDER_REQUIRED", nil},
	{0x80370114, "HCS_E_SERVICE_NOT_AVAILABLE", ErrFeatureNotInstalled},
	{0x80370115, "HCS_E_OPERATION_NOT_STARTED", nil},
	{0x80370116, "HCS_E_OPERATION_ALREADY_STARTED", nil},
	{0x80370117, "HCS_E_OPERATION_PENDING", nil},
	{0x80370118, "HCS_E_OPERATION_TIMEOUT", ErrTimeout},
	{0x80370119, "HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET", nil},
	{0x8037011A, "HCS_E_OPERATION_RESULT_ALLOCATION_FAILED", nil},
	{0x8037011B, "HCS_E_ACCESS_DENIED", ErrAccessDenied},
	{0x8037011C, "HCS_E_GUEST_CRITICAL_ERROR", ErrUnexpectedExit},
	{0x8037011D, "HCS_E_PROCESS_INFO_NOT_AVAILABLE", nil},
	{0x8037011E, "HCS_E_SERVICE_DISCONNECT", ErrServiceDisconnect},
	{0x8037011F, "HCS_E_PROCESS_ALREADY_STOPPED", ErrAlreadyStopped},
	{0x80370120, "HCS_E_SYSTEM_NOT_CONFIGURED_FOR_OPERATION", nil},
	{0x80370121, "HCS_E_OPERATION_ALREADY_CANCELLED", nil},

	{0xC0370100, "ERROR_VMCOMPUTE_TERMINATED_DURING_START", ErrUnexpectedExit},
	{0xC0370101, "ERROR_VMCOMPUTE_IMAGE_MISMATCH", ErrImageMismatch},
	{0xC0370102, "ERROR_VMCOMPUTE_HYPERV_NOT_INSTALLED", ErrFeatureNotInstalled},
	{0xC0370103, "ERROR_VMCOMPUTE_OPERATION_PENDING", nil},
	{0xC0370104, "ERROR_VMCOMPUTE_TOO_MANY_NOTIFICATIONS", nil},
	{0xC0370105, "ERROR_VMCOMPUTE_INVALID_STATE", ErrInvalidState},
	{0xC0370106, "ERROR_VMCOMPUTE_UNEXPECTED_EXIT", ErrUnexpectedExit},
	{0xC0370107, "ERROR_VMCOMPUTE_TERMINATED", ErrUnexpectedExit},
	{0xC0370108, "ERROR_VMCOMPUTE_CONNECT_FAILED", nil},
	{0xC0370109, "ERROR_VMCOMPUTE_TIMEOUT", ErrTimeout},
	{0xC037010A, "ERROR_VMCOMPUTE_CONNECTION_CLOSED", nil},
	{0xC037010B, "ERROR_VMCOMPUTE_UNKNOWN_MESSAGE", nil},
	{0xC037010C, "ERROR_VMCOMPUTE_UNSUPPORTED_PROTOCOL_VERSION", nil},
	{0xC037010D, "ERROR_VMCOMPUTE_INVALID_JSON", ErrInvalidSchema},
	{0xC037010E, "ERROR_VMCOMPUTE_SYSTEM_NOT_FOUND", ErrNotFound},
	{0xC037010F, "ERROR_VMCOMPUTE_SYSTEM_ALREADY_EXISTS", ErrAlreadyExists},
	{0xC0370110, "ERROR_VMCOMPUTE_SYSTEM_ALREADY_STOPPED", ErrAlreadyStopped},
	{0xC0370111, "ERROR_VMCOMPUTE_PROTOCOL_ERROR", nil},
	{0xC0370112, "ERROR_VMCOMPUTE_INVALID_LAYER", nil},
	{0xC0370113, "ERROR_VMCOMPUTE_WINDOWS_INSIDER_REQUIRED", nil},

	{0x80004001, "E_NOTIMPL", ErrNotSupported},
	{0x80004003, "E_POINTER", ErrInvalidArgument},
	{0x80004004, "E_ABORT", nil},
	{0x80004005, "E_FAIL", nil},
	{0x8000FFFF, "E_UNEXPECTED", nil},
	{0x80070005, "E_ACCESSDENIED", ErrAccessDenied},
	{0x80070006, "E_HANDLE", ErrInvalidArgument},
	{0x8007000E, "E_OUTOFMEMORY", nil},
	{0x80070057, "E_INVALIDARG", ErrInvalidArgument},

	{win32(2), "ERROR_FILE_NOT_FOUND", ErrNotFound},
	{win32(3), "ERROR_PATH_NOT_FOUND", ErrNotFound},
	{win32(13), "ERROR_INVALID_DATA", ErrInvalidSchema},
	{win32(21), "ERROR_NOT_READY", ErrInvalidState},
	{win32(32), "ERROR_SHARING_VIOLATION", ErrInvalidState},
	{win32(50), "ERROR_NOT_SUPPORTED", ErrNotSupported},
	{win32(80), "ERROR_FILE_EXISTS", ErrAlreadyExists},
	{win32(122), "ERROR_INSUFFICIENT_BUFFER", nil},
	{win32(145), "ERROR_DIR_NOT_EMPTY", ErrAlreadyExists},
	{win32(126), "ERROR_MOD_NOT_FOUND", ErrNotSupported},
	{win32(127), "ERROR_PROC_NOT_FOUND", ErrNotSupported},
	{win32(161), "ERROR_BAD_PATHNAME", ErrInvalidArgument},
	{win32(170), "ERROR_BUSY", ErrInvalidState},
	{win32(183), "ERROR_ALREADY_EXISTS", ErrAlreadyExists},
	{win32(258), "WAIT_TIMEOUT", ErrTimeout},
	{win32(1005), "ERROR_UNRECOGNIZED_VOLUME", ErrInvalidState},
	{win32(1060), "ERROR_SERVICE_DOES_NOT_EXIST", ErrFeatureNotInstalled},
	{win32(1167), "ERROR_DEVICE_NOT_CONNECTED", nil},
	{win32(1168), "ERROR_NOT_FOUND", ErrNotFound},
	{win32(1314), "ERROR_PRIVILEGE_NOT_HELD", ErrAccessDenied},
	{win32(1460), "ERROR_TIMEOUT", ErrTimeout},
	{win32(4390), "ERROR_NOT_A_REPARSE_POINT", ErrInvalidArgument},
	{win32(5023), "ERROR_INVALID_STATE", ErrInvalidState},
}

func sentinelName(err error) string {
	for name, s := range sentinels {
		if s == err {
			return name
		}
	}
	return "none"
}

func TestCodes(t *testing.T) {
	if len(wantCodes) != len(codes) {
		t.Errorf("table has %d codes, want %d", len(codes), len(wantCodes))
	}
	for _, tc := range wantCodes {
		h := HRESULT(int32(tc.value))
		t.Run(tc.name, func(t *testing.T) {
			c, ok := codes[h]
			if !ok {
				t.Fatalf("0x%08X is not in the table", tc.value)
			}
			if got := h.Name(); got != tc.name {
				t.Errorf("Name() = %q, want %q", got, tc.name)
			}
			if got, want := h.String(), fmt.Sprintf("%s (0x%08X)", tc.name, tc.value); got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
			if got, want := h.Error(), h.String()+": "+c.msg; got != want {
				t.Errorf("Error() = %q, want %q", got, want)
			}
			if c.msg == "" || strings.HasSuffix(c.msg, ".") || strings.TrimSpace(c.msg) != c.msg {
				t.Errorf("message %q: want non-empty, trimmed, without final period", c.msg)
			}
			if got, want := h.Failed(), tc.value != 0; got != want {
				t.Errorf("Failed() = %v, want %v", got, want)
			}
			if c.class != tc.class {
				t.Errorf("class = %s, want %s", sentinelName(c.class), sentinelName(tc.class))
			}

			wrapped := fmt.Errorf("outer: %w", newError("start", "web1", 0, h, ""))
			for name, s := range sentinels {
				want := s == tc.class
				if got := errors.Is(h, s); got != want {
					t.Errorf("errors.Is(%v, %s) = %v, want %v", h, name, got, want)
				}
				if got := errors.Is(wrapped, s); got != want && tc.value != 0 {
					t.Errorf("errors.Is(wrapped %v, %s) = %v, want %v", h, name, got, want)
				}
				if errors.Is(s, h) {
					t.Errorf("errors.Is(%s, %v) = true, want false", name, h)
				}
			}
			var hr HRESULT
			if tc.value != 0 && (!errors.As(wrapped, &hr) || hr != h) {
				t.Errorf("errors.As(wrapped) = %v, want %v", hr, h)
			}
		})
	}
}

// TestConstants checks that every HRESULT constant declared in errors.go is
// in the table under its own name.
func TestConstants(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "errors.go", nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "HRESULT" {
				continue
			}
			for _, name := range vs.Names {
				n++
				h, ok := constByName(name.Name)
				if !ok {
					t.Errorf("constant %s is in no test table", name.Name)
					continue
				}
				if got := h.Name(); got != name.Name {
					t.Errorf("%s: Name() = %q", name.Name, got)
				}
			}
		}
	}
	if n != len(codes) {
		t.Errorf("errors.go declares %d HRESULT constants, the table has %d codes", n, len(codes))
	}
}

func constByName(name string) (HRESULT, bool) {
	for _, tc := range wantCodes {
		if tc.name == name {
			return HRESULT(int32(tc.value)), true
		}
	}
	return 0, false
}

// TestSentinelDoc checks that the table in the doc comment of the sentinels
// lists, for each sentinel, exactly the codes of its class.
func TestSentinelDoc(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "errors.go", nil, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var doc string
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.VAR && gd.Doc != nil &&
			gd.Specs[0].(*ast.ValueSpec).Names[0].Name == "ErrNotFound" {
			doc = gd.Doc.Text()
		}
	}
	if doc == "" {
		t.Fatal("no doc comment on the sentinels")
	}
	documented := map[string]map[string]bool{}
	word := regexp.MustCompile(`[A-Za-z_]+`)
	current := ""
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "\t") {
			continue
		}
		for _, w := range word.FindAllString(line, -1) {
			if _, ok := sentinels[w]; ok {
				current = w
				documented[w] = map[string]bool{}
			} else if _, ok := constByName(w); ok && current != "" {
				documented[current][w] = true
			}
		}
	}
	for name, s := range sentinels {
		want := map[string]bool{}
		for h, c := range codes {
			if c.class == s {
				want[h.Name()] = true
			}
		}
		if got, ok := documented[name]; !ok {
			t.Errorf("%s is missing from the doc table", name)
		} else if !reflect.DeepEqual(got, want) {
			t.Errorf("doc table for %s lists %v, want %v", name, keys(got), keys(want))
		}
	}
}

func keys(m map[string]bool) []string {
	var s []string
	for k := range m {
		s = append(s, k)
	}
	return s
}

func TestSentinels(t *testing.T) {
	for name, s := range sentinels {
		msg := s.Error()
		if msg == "" || msg != strings.ToLower(msg) || strings.HasPrefix(msg, "hcs:") {
			t.Errorf("%s message %q: want lowercase, without package prefix", name, msg)
		}
		for other, o := range sentinels {
			if other != name && errors.Is(s, o) {
				t.Errorf("errors.Is(%s, %s) = true", name, other)
			}
		}
	}
	if !errors.Is(ErrClosed, net.ErrClosed) {
		t.Error("ErrClosed does not match net.ErrClosed")
	}
	if !errors.Is(ErrNotSupported, errors.ErrUnsupported) {
		t.Error("ErrNotSupported does not match errors.ErrUnsupported")
	}
	err := fmt.Errorf("wrapped: %w", newError("wait", "web1", 42, ErrClosed, ""))
	if !errors.Is(err, ErrClosed) || !errors.Is(err, net.ErrClosed) {
		t.Errorf("%v: does not match ErrClosed and net.ErrClosed", err)
	}
}

func TestHRESULTFromWin32(t *testing.T) {
	tests := []struct {
		in   uint32
		want HRESULT
	}{
		{0, S_OK},
		{5, E_ACCESSDENIED},
		{87, E_INVALIDARG},
		{1168, ERROR_NOT_FOUND},
		{0x12345, HRESULT(int32(0x80072345 - 1<<32))}, // the macro keeps the low 16 bits
		{0x8037010E, HCS_E_SYSTEM_NOT_FOUND},          // already an HRESULT
		{0xC0370103, ERROR_VMCOMPUTE_OPERATION_PENDING},
	}
	for _, tt := range tests {
		if got := HRESULTFromWin32(tt.in); got != tt.want {
			t.Errorf("HRESULTFromWin32(%d) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestUnknownHRESULT(t *testing.T) {
	tests := []struct {
		h    HRESULT
		want string
	}{
		{HRESULT(0x80371234 - 1<<32), "HRESULT 0x80371234"},
		{HRESULTFromWin32(1062), "HRESULT 0x80070426 (Win32 error 1062)"},
		{1, "HRESULT 0x00000001"},
		{HRESULT(0xC0371234 - 1<<32), "HRESULT 0xC0371234"},
	}
	for _, tt := range tests {
		if got := tt.h.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
		if got := tt.h.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if got := tt.h.Name(); got != "" {
			t.Errorf("Name() = %q, want empty", got)
		}
		for name, s := range sentinels {
			if errors.Is(tt.h, s) {
				t.Errorf("%v matches %s", tt.h, name)
			}
		}
	}
}

// TestLegacyHRESULT checks that a legacy 0xC037xxxx code the table does not
// list matches the sentinel of its 0x8037xxxx form: older hosts answer the
// termination of an exited process with 0xC037011F.
func TestLegacyHRESULT(t *testing.T) {
	legacy := HRESULT(0xC037011F - 1<<32)
	if !errors.Is(legacy, ErrAlreadyStopped) || !errors.Is(newError("terminate process", "web1", 4, legacy, ""), ErrAlreadyStopped) {
		t.Errorf("%v does not match ErrAlreadyStopped", legacy)
	}
	if errors.Is(legacy, HCS_E_PROCESS_ALREADY_STOPPED) {
		t.Errorf("%v equals HCS_E_PROCESS_ALREADY_STOPPED", legacy)
	}
	if legacy.Name() != "" || legacy.String() != "HRESULT 0xC037011F" {
		t.Errorf("legacy code named %q, %q", legacy.Name(), legacy.String())
	}
	if got := HRESULT(0xC0371234 - 1<<32); errors.Is(got, ErrNotFound) || errors.Is(got, ErrAlreadyStopped) {
		t.Errorf("%v matches a sentinel", got)
	}
}

func TestErrorMessage(t *testing.T) {
	withMsg := &ResultError{Error: HCS_E_INVALID_STATE, ErrorMessage: "The system is already running.\r\n"}
	tests := []struct {
		err  *Error
		want string
	}{
		{
			&Error{Op: "start", ID: "web1", Err: HCS_E_INVALID_STATE, Result: withMsg},
			`hcs: start "web1": HCS_E_INVALID_STATE (0x80370105): The system is already running.`,
		},
		{
			&Error{Op: "start", ID: "web1", Err: HCS_E_INVALID_STATE},
			`hcs: start "web1": HCS_E_INVALID_STATE (0x80370105): The requested virtual machine or container operation is not valid in the current state`,
		},
		{
			&Error{Op: "start", ID: "web1", Err: HCS_E_INVALID_STATE, Result: &ResultError{Raw: []byte("garbage")}},
			`hcs: start "web1": HCS_E_INVALID_STATE (0x80370105): The requested virtual machine or container operation is not valid in the current state`,
		},
		{
			&Error{Op: "signal", ID: "web1", PID: 1234, Err: HCS_E_PROCESS_ALREADY_STOPPED},
			`hcs: signal "web1" process 1234: HCS_E_PROCESS_ALREADY_STOPPED (0x8037011F): The process has already exited`,
		},
		{
			&Error{Op: "enumerate", Err: E_ACCESSDENIED},
			`hcs: enumerate: E_ACCESSDENIED (0x80070005): Access is denied`,
		},
		{
			&Error{Op: "create", ID: "a\"b\n", Err: context.Canceled},
			`hcs: create "a\"b\n": context canceled`,
		},
		{
			&Error{Op: "wait", ID: "web1", Err: ErrClosed},
			`hcs: wait "web1": use of closed handle`,
		},
		{
			&Error{Op: "create", ID: "web1", Err: fmt.Errorf("bridge: %w", HCS_E_INVALID_STATE), Result: withMsg},
			`hcs: create "web1": bridge: HCS_E_INVALID_STATE (0x80370105): The requested virtual machine or container operation is not valid in the current state`,
		},
		{
			&Error{Op: "start", ID: "web1"},
			`hcs: start "web1": unknown error`,
		},
		{
			&Error{Op: "open process", ID: "web1", PID: 7, Err: HRESULTFromWin32(1062)},
			`hcs: open process "web1" process 7: HRESULT 0x80070426 (Win32 error 1062)`,
		},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q\nwant      %q", got, tt.want)
		}
	}
}

func TestErrorWrapping(t *testing.T) {
	doc := `{"Error":-2143878907,"ErrorMessage":"already running"}`
	var err error = newError("start", "web1", 0, HCS_E_INVALID_STATE, doc)
	for i := range 5 {
		err = fmt.Errorf("layer %d: %w", i, err)
	}
	err = errors.Join(errors.New("other"), err)
	if !errors.Is(err, ErrInvalidState) {
		t.Error("does not match ErrInvalidState")
	}
	if !errors.Is(err, HCS_E_INVALID_STATE) {
		t.Error("does not match HCS_E_INVALID_STATE")
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, context.Canceled) {
		t.Error("matches an unrelated error")
	}
	var hr HRESULT
	if !errors.As(err, &hr) || hr != HCS_E_INVALID_STATE {
		t.Errorf("errors.As HRESULT = %v", hr)
	}
	var e *Error
	if !errors.As(err, &e) || e.Op != "start" || e.ID != "web1" || e.Result == nil || e.Result.ErrorMessage != "already running" {
		t.Errorf("errors.As *Error = %+v", e)
	}
}

func TestContextErrors(t *testing.T) {
	for _, cause := range []error{context.Canceled, context.DeadlineExceeded} {
		err := fmt.Errorf("x: %w", newError("shutdown", "web1", 0, cause, ""))
		if !errors.Is(err, cause) {
			t.Errorf("%v does not match %v", err, cause)
		}
		for name, s := range sentinels {
			if errors.Is(err, s) {
				t.Errorf("%v matches %s", err, name)
			}
		}
		var hr HRESULT
		if errors.As(err, &hr) {
			t.Errorf("%v: errors.As found HRESULT %v", err, hr)
		}
	}
}

func TestNewError(t *testing.T) {
	failing := `{"Error":-2143878898,"ErrorMessage":"not here"}` // HCS_E_SYSTEM_NOT_FOUND
	tests := []struct {
		name       string
		err        error
		doc        string
		want       error
		wantResult bool
	}{
		{"code and no document", HCS_E_INVALID_STATE, "", HCS_E_INVALID_STATE, false},
		{"call code wins", HCS_E_INVALID_STATE, failing, HCS_E_INVALID_STATE, true},
		{"success code, failing document", S_OK, failing, HCS_E_SYSTEM_NOT_FOUND, true},
		{"nil, failing document", nil, failing, HCS_E_SYSTEM_NOT_FOUND, true},
		{"nil, no document", nil, "", E_FAIL, false},
		{"success code, successful document", S_OK, `{"Error":0}`, E_FAIL, true},
		{"positive code, broken document", HRESULT(1), `{"Error":`, E_FAIL, true},
		{"context error", context.Canceled, "", context.Canceled, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newError("start", "web1", 3, tt.err, tt.doc)
			if e.Err != tt.want {
				t.Errorf("Err = %v, want %v", e.Err, tt.want)
			}
			if (e.Result != nil) != tt.wantResult {
				t.Errorf("Result = %+v, want present = %v", e.Result, tt.wantResult)
			}
			if e.Result != nil && string(e.Result.Raw) != tt.doc {
				t.Errorf("Result.Raw = %q, want %q", e.Result.Raw, tt.doc)
			}
			if e.Op != "start" || e.ID != "web1" || e.PID != 3 {
				t.Errorf("Op, ID, PID = %q, %q, %d", e.Op, e.ID, e.PID)
			}
		})
	}
}

const fullDoc = `{
  "Error": -2143878907,
  "ErrorMessage": "The requested operation for attach namespace failed.",
  "ErrorEvents": [
    {
      "Message": "Failed to start the virtual machine.",
      "StackTrace": "at Start()",
      "Provider": "17103e3f-3c6e-4677-bb17-3b267eb5be57",
      "EventId": 11259,
      "Flags": 4,
      "Source": "vmcompute",
      "Data": [
        {"Type": "String", "Value": "web1"},
        {"Type": "Int32", "Value": "-2143878907"}
      ]
    },
    {"Message": "second", "EventId": 12}
  ],
  "Attribution": [
    {"SystemExit": {"Detail": "Invalid", "Initiator": "Client"}},
    {"WorkerExit": {"ExitCode": 1, "Type": "UnexpectedTermination"}}
  ],
  "Unknown": {"Nested": [1, 2, {"x": null}]}
}`

func TestParseResultError(t *testing.T) {
	event1 := schema.ErrorEvent{
		Message:    "Failed to start the virtual machine.",
		StackTrace: "at Start()",
		Provider:   "17103e3f-3c6e-4677-bb17-3b267eb5be57",
		EventID:    schema.Ptr[uint16](11259),
		Flags:      schema.Ptr[uint32](4),
		Source:     "vmcompute",
		Data:       []schema.EventData{{Type: schema.EventDataTypeString, Value: "web1"}, {Type: schema.EventDataTypeInt32, Value: "-2143878907"}},
	}
	event2 := schema.ErrorEvent{Message: "second", EventID: schema.Ptr[uint16](12)}
	systemExit := attribution(t, `{"SystemExit": {"Detail": "Invalid", "Initiator": "Client"}}`)
	workerExit := attribution(t, `{"WorkerExit": {"ExitCode": 1, "Type": "UnexpectedTermination"}}`)
	tests := []struct {
		name string
		doc  string
		want *ResultError // Raw is set to doc by the test
	}{
		{"empty", "", nil},
		{"white space", " \r\n\t", nil},
		{"full", fullDoc, &ResultError{
			Error:        HCS_E_INVALID_STATE,
			ErrorMessage: "The requested operation for attach namespace failed.",
			ErrorEvents:  []schema.ErrorEvent{event1, event2},
			Attribution:  []schema.AttributionRecord{systemExit, workerExit},
		}},
		{"unsigned Error", `{"Error":2151088398}`, &ResultError{Error: HCS_E_SYSTEM_NOT_FOUND}},
		{"signed Error", `{"Error":-2143878898}`, &ResultError{Error: HCS_E_SYSTEM_NOT_FOUND}},
		{"largest unsigned", `{"Error":4294967295}`, &ResultError{Error: -1}},
		{"Error too large", `{"Error":4294967296,"ErrorMessage":"m"}`, &ResultError{ErrorMessage: "m"}},
		{"Error too small", `{"Error":-2147483649,"ErrorMessage":"m"}`, &ResultError{ErrorMessage: "m"}},
		{"Error as a string", `{"Error":"0x8037010E","ErrorMessage":"m"}`, &ResultError{ErrorMessage: "m"}},
		{"Error fractional", `{"Error":1.5,"ErrorMessage":"m"}`, &ResultError{ErrorMessage: "m"}},
		{"Error null", `{"Error":null,"ErrorMessage":"m"}`, &ResultError{ErrorMessage: "m"}},
		{"keys in another case", `{"error":-2143878898,"errormessage":"m"}`, &ResultError{Error: HCS_E_SYSTEM_NOT_FOUND, ErrorMessage: "m"}},
		{"truncated in message", fullDoc[:60], &ResultError{Error: HCS_E_INVALID_STATE}},
		{"truncated in second event", fullDoc[:strings.Index(fullDoc, `"second"`)+3], &ResultError{
			Error:        HCS_E_INVALID_STATE,
			ErrorMessage: "The requested operation for attach namespace failed.",
			ErrorEvents:  []schema.ErrorEvent{event1},
		}},
		{"truncated in attribution", fullDoc[:strings.Index(fullDoc, `{"WorkerExit"`)+5], &ResultError{
			Error:        HCS_E_INVALID_STATE,
			ErrorMessage: "The requested operation for attach namespace failed.",
			ErrorEvents:  []schema.ErrorEvent{event1, event2},
			Attribution:  []schema.AttributionRecord{systemExit},
		}},
		{"events not an array", `{"ErrorEvents":{"Message":"x"},"Error":5}`, &ResultError{Error: 5}},
		{"events a number", `{"ErrorEvents":7,"Error":5}`, &ResultError{Error: 5}},
		{"events null", `{"ErrorEvents":null,"Error":5}`, &ResultError{Error: 5}},
		{"events empty", `{"ErrorEvents":[]}`, &ResultError{ErrorEvents: []schema.ErrorEvent{}}},
		{"event of wrong type", `{"ErrorEvents":[3,{"Message":"m"}]}`, &ResultError{ErrorEvents: []schema.ErrorEvent{{}, {Message: "m"}}}},
		{"EventId out of range", `{"ErrorEvents":[{"Message":"m","EventId":70000}]}`, &ResultError{ErrorEvents: []schema.ErrorEvent{{Message: "m"}}}},
		{"message of wrong type", `{"ErrorMessage":[1],"Error":5}`, &ResultError{Error: 5}},
		{"syntax error", `{"Error":5,"ErrorMessage" "m"}`, &ResultError{Error: 5}},
		{"not JSON", "The operation failed.", &ResultError{}},
		{"null", "null", &ResultError{}},
		{"array", `[{"Error":5}]`, &ResultError{}},
		{"string", `"Error"`, &ResultError{}},
		{"repeated members: the last wins", `{"Error":1,"ErrorEvents":[{"Message":"a","EventId":1}],"error":2,"ErrorEvents":[{"Message":"b"}]}`, &ResultError{
			Error:       2,
			ErrorEvents: []schema.ErrorEvent{{Message: "b"}},
		}},
		{"trailing data", `{"Error":5} {"Error":6}`, &ResultError{Error: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseResultError([]byte(tt.doc))
			if tt.want != nil {
				tt.want.Raw = []byte(tt.doc)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseResultError(%q)\n got %#v\nwant %#v", tt.doc, got, tt.want)
			}
		})
	}
}

// attribution decodes one AttributionRecord document.
func attribution(t *testing.T, doc string) schema.AttributionRecord {
	t.Helper()
	var r schema.AttributionRecord
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// resultWire is ResultError without Raw, for comparison with json.Unmarshal.
type resultWire struct {
	Error        HRESULT
	ErrorMessage string
	ErrorEvents  []schema.ErrorEvent
	Attribution  []schema.AttributionRecord
}

// countMembers returns how many top-level members of the JSON object doc
// have a name equal to key under case folding.
func countMembers(doc, key string) int {
	dec := json.NewDecoder(strings.NewReader(doc))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return 0
	}
	n := 0
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return n
		}
		if k, _ := t.(string); strings.EqualFold(k, key) {
			n++
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return n
		}
	}
	return n
}

func FuzzParseResultError(f *testing.F) {
	f.Add(fullDoc)
	f.Add(`{"Error":2151088398,"ErrorMessage":"m"}`)
	f.Fuzz(func(t *testing.T, doc string) {
		r := ParseResultError([]byte(doc))
		if strings.TrimSpace(doc) == "" {
			if r != nil {
				t.Fatalf("ParseResultError(%q) = %+v, want nil", doc, r)
			}
			return
		}
		if r == nil || string(r.Raw) != doc {
			t.Fatalf("ParseResultError(%q) = %+v, want Raw kept", doc, r)
		}
		// Where encoding/json accepts the whole document, both must agree,
		// except that encoding/json merges repeated ErrorEvents members
		// element by element where the last one wins here.
		var want resultWire
		if json.Unmarshal([]byte(doc), &want) == nil && countMembers(doc, "ErrorEvents") < 2 {
			got := resultWire{r.Error, r.ErrorMessage, r.ErrorEvents, r.Attribution}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("ParseResultError(%q)\n got %#v\nwant %#v", doc, got, want)
			}
		}
		// The error path built on it must not fail either.
		e := newError("start", "web1", 0, nil, doc)
		if e.Error() == "" {
			t.Fatal("empty message")
		}
		if hr, ok := e.Err.(HRESULT); !ok || !hr.Failed() {
			t.Fatalf("Err = %v, want a failure HRESULT", e.Err)
		}
	})
}
