package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestTypeErrorsSpeakTheSchemasWords checks the wording and the path of
// every kind of type error, through UnmarshalJSON and through
// encoding/json.
func TestTypeErrorsSpeakTheSchemasWords(t *testing.T) {
	for _, c := range []struct {
		doc, path, msg string
	}{
		{`{"Owner":42}`, "/Owner", "the number 42 where the schema wants a string"},
		{`{"Container":[]}`, "/Container", "a JSON array where the schema wants a Container object"},
		{`{"Container":{"MappedDirectories":{}}}`, "/Container/MappedDirectories", "a JSON object where the schema wants an array of MappedDirectory"},
		{`{"Container":{"MappedDirectories":[{},"x"]}}`, "/Container/MappedDirectories/1", "a JSON string where the schema wants a MappedDirectory object"},
		{`{"Container":{"Memory":{"SizeInMB":-1}}}`, "/Container/Memory/SizeInMB", "the number -1 where the schema wants a uint64 (a whole number from 0 to 18446744073709551615)"},
		{`{"Container":{"Memory":{"SizeInMB":1.5}}}`, "/Container/Memory/SizeInMB", "the number 1.5 where the schema wants a uint64 (a whole number from 0 to 18446744073709551615)"},
		{`{"Container":{"Memory":{"SizeInMB":18446744073709551616}}}`, "/Container/Memory/SizeInMB", "the number 18446744073709551616 where the schema wants a uint64 (a whole number from 0 to 18446744073709551615)"},
		{`{"Container":{"Memory":{"SizeInMB":"1"}}}`, "/Container/Memory/SizeInMB", "a JSON string where the schema wants a uint64 (a whole number from 0 to 18446744073709551615)"},
		{`{"SchemaVersion":{"Major":4294967296}}`, "/SchemaVersion/Major", "the number 4294967296 where the schema wants a uint32 (a whole number from 0 to 4294967295)"},
		{`{"ShouldTerminateOnLastHandleClosed":"yes"}`, "/ShouldTerminateOnLastHandleClosed", "a JSON string where the schema wants a boolean"},
		{`{"VirtualMachine":{"Devices":{"Scsi":[]}}}`, "/VirtualMachine/Devices/Scsi", "a JSON array where the schema wants a map of Scsi (a JSON object)"},
		{`{"VirtualMachine":{"Devices":{"Scsi":{"a/b":{"Attachments":{"0":{"ReadOnly":1}}}}}}}`, "/VirtualMachine/Devices/Scsi/a~1b/Attachments/0/ReadOnly", "the number 1 where the schema wants a boolean"},
		{`{"HostedSystem":{},"Container":{"AssignedDevices":[{"Type":true}]}}`, "/Container/AssignedDevices/0/Type", "a JSON boolean (true) where the schema wants a string"},
	} {
		var cs ComputeSystem
		for _, err := range []error{cs.UnmarshalJSON([]byte(c.doc)), json.Unmarshal([]byte(c.doc), &cs)} {
			pe, ok := errors.AsType[*PathError](err)
			if !ok {
				t.Errorf("%s: %v, want a *PathError", c.doc, err)
				continue
			}
			if _, ok := errors.AsType[*TypeError](err); !ok || pe.Path != c.path || pe.Err.Error() != c.msg {
				t.Errorf("%s:\n got %q: %q\nwant %q: %q", c.doc, pe.Path, pe.Err, c.path, c.msg)
			}
			if want := "schema: " + c.path + ": " + c.msg; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err, want)
			}
		}
	}
	for _, c := range []struct {
		doc, msg string
		v        json.Unmarshaler
	}{
		{`{"Error":-2147483649}`, "the number -2147483649 where the schema wants an int32 (a whole number from -2147483648 to 2147483647)", new(ResultError)},
		{`{"Error":2147483648}`, "the number 2147483648 where the schema wants an int32 (a whole number from -2147483648 to 2147483647)", new(ResultError)},
		{`{"Timestamp":"yesterday"}`, `the string "yesterday" where the schema wants a date-time (an RFC 3339 string such as "2026-04-21T12:34:56Z")`, new(Statistics)},
		{`{"Timestamp":5}`, `the number 5 where the schema wants a date-time (an RFC 3339 string such as "2026-04-21T12:34:56Z")`, new(Statistics)},
	} {
		err := c.v.UnmarshalJSON([]byte(c.doc))
		if te, ok := errors.AsType[*TypeError](err); !ok || te.Error() != c.msg {
			t.Errorf("%s: %v\nwant %s", c.doc, err, c.msg)
		}
	}
	var cs ComputeSystem
	err := cs.UnmarshalJSON([]byte(` [1, 2] `))
	if pe, ok := errors.AsType[*PathError](err); !ok || pe.Path != "" || err.Error() != "schema: a JSON array where the schema wants a ComputeSystem object" {
		t.Errorf("top-level array: %v", err)
	}
	if err := cs.UnmarshalJSON([]byte(`null`)); err != nil {
		t.Errorf("null: %v", err)
	}
}

func TestLimitsOfIntegers(t *testing.T) {
	var r ResultError
	for doc, want := range map[string]int32{`{"Error":-2147483648}`: -2147483648, `{"Error":2147483647}`: 2147483647, `{"Error":-0}`: 0} {
		if err := r.UnmarshalJSON([]byte(doc)); err != nil || *r.Error != want {
			t.Errorf("%s: %v %v", doc, err, r.Error)
		}
	}
	var c ContainerMemory
	if err := c.UnmarshalJSON([]byte(`{"SizeInMB":-0}`)); err == nil {
		t.Error("-0 decoded into a uint64")
	}
}

func TestSyntaxErrorsHaveLineAndColumn(t *testing.T) {
	for _, c := range []struct {
		doc          string
		line, column int
		msg          string
	}{
		{"", 1, 1, "unexpected end of the document, want a value"},
		{"{\n  \"Owner\": \"x\",\n  \"Container\": {}}\n}", 4, 1, "unexpected '}', want the end of the document"},
		{"{\"Owner\" \"x\"}", 1, 10, `unexpected '"', want ':'`},
		{"{\"Owner\":\"é\u0001\"}", 1, 12, `control character '\x01' in a string`},
		{`{"Owner":"\q"}`, 1, 12, `unexpected 'q', want an escape (one of "\/bfnrtu)`},
		{`{"Owner":"x`, 1, 12, `unexpected end of the document, want '"'`},
		{`{"Owner":tru}`, 1, 13, "unexpected '}', want the literal true"},
		{`{"Owner":01}`, 1, 11, "unexpected '1', want ',' or '}'"},
		{`{"Owner":"x",}`, 1, 14, "unexpected '}', want a member name"},
		{`{"Owner":42,}`, 1, 13, "unexpected '}', want a member name"}, // after a type error
		{`{"Container":{"MappedDirectories":[{},]}}`, 1, 39, "unexpected ']', want a value"},
	} {
		var cs ComputeSystem
		err := cs.UnmarshalJSON([]byte(c.doc))
		se, ok := errors.AsType[*SyntaxError](err)
		if !ok {
			t.Errorf("%q: %v, want a *SyntaxError", c.doc, err)
			continue
		}
		want := fmt.Sprintf("schema: invalid JSON at line %d, column %d: %s", c.line, c.column, c.msg)
		if se.Line != c.line || se.Column != c.column || err.Error() != want {
			t.Errorf("%q:\n got %s\nwant %s", c.doc, err, want)
		}
		if json.Valid([]byte(c.doc)) {
			t.Errorf("%q is valid JSON", c.doc)
		}
	}
}

// TestStringsDecodeAsEncodingJSONDecodesThem covers escapes, surrogate
// pairs, lone surrogates and invalid UTF-8.
func TestStringsDecodeAsEncodingJSONDecodesThem(t *testing.T) {
	for _, s := range []string{
		`"plain"`, `""`, `"日本語"`, `"\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t"`, `"\ud83d"`, `"\ude00x"`, `"\ud83d\u0041"`,
		`"\ud83d\ud83d\ude00"`, "\"a\xffb\"", "\"\xe6\x97\"", "\"\xed\xa0\x80\"", `"\u2028\u0000"`, "\"\u2028\"",
	} {
		var want string
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		var l Layer
		if err := l.UnmarshalJSON([]byte(`{"Path":` + s + `}`)); err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		if l.Path != want {
			t.Errorf("%q decoded to %q, encoding/json decodes %q", s, l.Path, want)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(`{`+s+`:1}`), &m); err != nil {
			t.Fatal(err)
		}
		if err := l.UnmarshalJSON([]byte(`{` + s + `:1}`)); err != nil || !reflect.DeepEqual(l.Unknown, m) {
			t.Errorf("member name %q: %v %q, want %q", s, err, l.Unknown, m)
		}
	}
}

// TestIntegersDoNotShareMemory checks that the pointers handed out from a
// slab are distinct.
func TestIntegersDoNotShareMemory(t *testing.T) {
	p := roundTrip[Properties](t, benchProperties())
	seen := make(map[*uint64]bool)
	for i := range p.ProcessList {
		for _, q := range []*uint64{p.ProcessList[i].UserTime100ns, p.ProcessList[i].KernelTime100ns, p.ProcessList[i].MemoryCommitBytes} {
			if seen[q] {
				t.Fatalf("process %d shares a pointer", i)
			}
			seen[q] = true
		}
	}
	*p.ProcessList[3].UserTime100ns = 7
	if *p.ProcessList[2].UserTime100ns != 156250*2 || *p.ProcessList[4].UserTime100ns != 156250*4 {
		t.Error("setting one integer changed another")
	}
}

// TestMethodsMatchEncodingJSON checks that calling the methods directly
// gives what encoding/json gives, <, > and & aside.
func TestMethodsMatchEncodingJSON(t *testing.T) {
	for _, doc := range benchDocs {
		data := doc.data()
		v := doc.schema()
		if err := v.(json.Unmarshaler).UnmarshalJSON(data); err != nil {
			t.Fatal(err)
		}
		direct, err := v.(json.Marshaler).MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		std, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if string(direct) != string(std) {
			t.Errorf("%s: MarshalJSON\n%s\njson.Marshal\n%s", doc.name, direct, std)
		}
	}
	l := Layer{Path: `<a&b>`}
	direct, _ := l.MarshalJSON()
	if string(direct) != `{"Path":"<a&b>"}` {
		t.Errorf("MarshalJSON = %s", direct)
	}
}

// TestEncodedFreeFormValuesAreCompactAndChecked: the methods' output is
// compact, valid JSON even where it copies values it was given.
func TestEncodedFreeFormValuesAreCompactAndChecked(t *testing.T) {
	doc := "{\"ResourcePath\":\"a\",\"Settings\": { \"x\" : [1, \"a b\\\" c\" ,\n{}] } ,\"Extra\":\t[ true ]}"
	var r ModifySettingRequest
	if err := r.UnmarshalJSON([]byte(doc)); err != nil {
		t.Fatal(err)
	}
	out, err := r.MarshalJSON()
	if want := `{"ResourcePath":"a","Settings":{"x":[1,"a b\" c",{}]},"Extra":[true]}`; err != nil || string(out) != want {
		t.Errorf("MarshalJSON = %s, %v\nwant %s", out, err, want)
	}
	for _, c := range []struct {
		v   json.Marshaler
		msg string
	}{
		{ModifySettingRequest{Settings: json.RawMessage(`{"x":}`)}, `schema: member "Settings": invalid JSON at offset 5: unexpected '}', want a value`},
		{ModifySettingRequest{Unknown: map[string]json.RawMessage{"a\"b": json.RawMessage(`[1`)}}, `schema: member "a\"b": invalid JSON at offset 2: unexpected end of the document, want ',' or ']'`},
		{Statistics{Timestamp: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, `schema: member "Timestamp": Time.AppendText: year outside of range [0,9999]`},
	} {
		out, err := c.v.MarshalJSON()
		if err == nil || err.Error() != c.msg || out != nil {
			t.Errorf("MarshalJSON = %s, %v\nwant the error %s", out, err, c.msg)
		}
		if _, err := json.Marshal(c.v); err == nil {
			t.Error("json.Marshal encoded it")
		}
	}
}

// TestNestingIsBounded: a document of nothing but brackets is a syntax
// error beyond encoding/json's limit of 10000 levels, not a stack overflow.
func TestNestingIsBounded(t *testing.T) {
	for _, c := range []struct {
		depth int
		ok    bool
	}{{9999, true}, {10000, false}, {1 << 20, false}} {
		doc := `{"Settings":` + strings.Repeat("[", c.depth) + strings.Repeat("]", c.depth) + `}`
		var r ModifySettingRequest
		err := r.UnmarshalJSON([]byte(doc))
		if (err == nil) != c.ok || json.Valid([]byte(doc)) != c.ok {
			t.Errorf("depth %d: %v, json.Valid %v", c.depth, err, json.Valid([]byte(doc)))
		}
		if _, ok := errors.AsType[*SyntaxError](err); !c.ok && !ok {
			t.Errorf("depth %d: %v, want a *SyntaxError", c.depth, err)
		}
		if _, problems := Check[ModifySettingRequest]([]byte(doc)); (len(problems) == 0) != c.ok {
			t.Errorf("depth %d: Check: %v", c.depth, problems)
		}
	}
}
