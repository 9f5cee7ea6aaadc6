package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestYAMLOrderAndShape(t *testing.T) {
	doc := `{"Owner":"me","SchemaVersion":{"Major":2,"Minor":1},"Container":{"GuestOs":{"HostName":"web"},` +
		`"MappedDirectories":[{"HostPath":"C:\\data","ContainerPath":"C:\\app","ReadOnly":true}],"Empty":{},"None":[]},` +
		`"Nested":[[1,2],[]],"Null":null}`
	got, err := toYAML([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := `Owner: me
SchemaVersion:
  Major: 2
  Minor: 1
Container:
  GuestOs:
    HostName: web
  MappedDirectories:
  - HostPath: C:\data
    ContainerPath: C:\app
    ReadOnly: true
  Empty: {}
  None: []
Nested:
- - 1
  - 2
- []
"Null": null
`
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestYAMLScalars(t *testing.T) {
	for _, tc := range []struct{ json, yaml string }{
		{`"web"`, "web"},
		{`"less than a second"`, "less than a second"},
		{`"C:\\state\\web.vmrs"`, `C:\state\web.vmrs`},
		{`""`, `""`},
		{`"yes"`, `"yes"`},
		{`"Off"`, `"Off"`},
		{`"null"`, `"null"`},
		{`"123"`, `"123"`},
		{`"1:20"`, `"1:20"`},
		{`"2025-01-01T00:00:00Z"`, `"2025-01-01T00:00:00Z"`},
		{`"a: b"`, `"a: b"`},
		{`"a #b"`, `"a #b"`},
		{`"trailing "`, `"trailing "`},
		{`"-x"`, `"-x"`},
		{`"{guid}"`, `"{guid}"`},
		{`"café"`, `"café"`},
		{`"tab\there"`, `"tab\there"`},
		{`"line\nbreak"`, `"line\nbreak"`},
		{`"quote\"back\\"`, `"quote\"back\\"`},
		{`"esc\u001b[2J"`, `"esc\u001b[2J"`},
		{`"bidi\u202eevil"`, `"bidi\u202eevil"`},
		{`"c1\u009bx"`, `"c1\u009bx"`},
		{`"del\u007f"`, `"del\u007f"`},
		{`42`, "42"},
		{`-1.5`, "-1.5"},
		{`1e5`, "1.0e+5"},
		{`2.5E-3`, "2.5e-3"},
		{`true`, "true"},
		{`null`, "null"},
	} {
		got, err := toYAML([]byte(tc.json))
		if err != nil {
			t.Errorf("%s: %v", tc.json, err)
			continue
		}
		if string(got) != tc.yaml+"\n" {
			t.Errorf("%s: got %q, want %q", tc.json, got, tc.yaml+"\n")
		}
		checkYAMLRoundTrip(t, []byte(tc.json), got)
	}
}

func TestYAMLRefusesBadJSON(t *testing.T) {
	for _, doc := range []string{``, `{`, `{"a":1}{"b":2}`, `[1,]`} {
		if got, err := toYAML([]byte(doc)); err == nil {
			t.Errorf("%q: got %q, want an error", doc, got)
		}
	}
}

// checkYAMLRoundTrip checks that a YAML reader reads yamlDoc back as the
// value of jsonDoc, and that it holds no character that must not reach a
// terminal.
func checkYAMLRoundTrip(t *testing.T, jsonDoc, yamlDoc []byte) {
	t.Helper()
	if needsEscape(string(yamlDoc)) {
		t.Errorf("YAML of %s holds raw control characters: %q", jsonDoc, yamlDoc)
	}
	var want, got any
	dec := json.NewDecoder(bytes.NewReader(jsonDoc))
	dec.UseNumber()
	if err := dec.Decode(&want); err != nil {
		t.Fatalf("%s: %v", jsonDoc, err)
	}
	if err := yaml.Unmarshal(yamlDoc, &got); err != nil {
		t.Errorf("YAML of %s does not parse: %v\n%s", jsonDoc, err, yamlDoc)
		return
	}
	if !reflect.DeepEqual(normalize(want), normalize(got)) {
		t.Errorf("YAML of %s reads back as %#v\n%s", jsonDoc, got, yamlDoc)
	}
}

// normalize makes a value decoded from JSON (numbers as json.Number) and
// one decoded from YAML (ints and floats) comparable: numbers become
// float64, maps map[string]any.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case int:
		return float64(x)
	case uint64:
		return float64(x)
	case float64:
		return x
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = normalize(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = normalize(e)
		}
		return s
	}
	return v
}

func FuzzYAML(f *testing.F) {
	for _, seed := range []string{
		`{"Owner":"me","Container":{"MappedDirectories":[{"HostPath":"C:\\x"}]}}`,
		`[[],{},[{"a":[1,2,{"b":null}]}]]`,
		`{"yes":"no","":"","a: b":"#c","\u001b":"\u202e"}`,
		`"\u00a0x"`, `1E+2`, `-0.5e-7`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if depth(doc) > 64 {
			return // the output grows with the square of the depth
		}
		// Documents hcs converts come from encoding/json: valid UTF-8,
		// no duplicate members.
		var v any
		if json.Unmarshal(doc, &v) != nil {
			return
		}
		canonical, err := json.Marshal(v)
		if err != nil {
			return
		}
		y, err := toYAML(canonical)
		if err != nil {
			t.Fatalf("%s: %v", canonical, err)
		}
		checkYAMLRoundTrip(t, canonical, y)
	})
}

// depth returns the deepest nesting of brackets and braces in doc.
func depth(doc []byte) int {
	d, deepest := 0, 0
	for _, c := range doc {
		switch c {
		case '[', '{':
			d++
			deepest = max(deepest, d)
		case ']', '}':
			d--
		}
	}
	return deepest
}
