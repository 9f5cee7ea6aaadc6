package main

import (
	"strings"
	"testing"
)

func TestCheckID(t *testing.T) {
	for _, id := range []string{
		"web", "W3b", "a", "web-1_a.b@vm", "{8e7c6b2a-1234-4cde-9f00-0123456789ab}",
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "_x", strings.Repeat("x", maxIDLen),
	} {
		if err := checkID(id); err != nil {
			t.Errorf("%q: %v", id, err)
		}
		if got := showID(id); got != id {
			t.Errorf("showID(%q) = %q", id, got)
		}
	}
	for id, want := range map[string]string{
		"":                       "the id is empty",
		strings.Repeat("x", 256): "the id is 256 bytes long",
		"-web":                   `id "-web" starts with "-"`,
		".":                      `id "." starts with "."`,
		"a b":                    `id "a b" has ' ' (U+0020) at byte 1`,
		"a\tb":                   `id "a\tb" has '\t' (U+0009) at byte 1`,
		"web\x1b[2J":             `id "web\x1b[2J" has '\x1b' (U+001B) at byte 3`,
		"rtl\u202eexe":           `id "rtl\u202eexe" has '\u202e' (U+202E) at byte 3`,
		"caf\u00e9":              `id "café" has 'é' (U+00E9) at byte 3`,
		"bad\xffutf8":            `id "bad\xffutf8" has the byte 0xff (U+FFFD) at byte 3`,
		"a/b":                    `has '/'`,
		"C:\\x":                  `has ':'`,
		"new\nline":              `has '\n'`,
		"csi\u009b31m":           `has '\u009b'`,
	} {
		err := checkID(id)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error with %s", id, err, want)
		}
		if got := showID(id); needsEscape(got) || strings.ContainsAny(got, "\t\n ") && got[0] != '"' {
			t.Errorf("showID(%q) = %q: not inert", id, got)
		}
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"plain message":               "plain message",
		"two\nlines\tand tab":         "two\nlines\tand tab",
		"esc\x1b[2J":                  `esc\x1b[2J`,
		"bell\a del\x7f":              `bell\x07 del\x7f`,
		"c1\u009b31m":                 `c1\u009b31m`,
		"bidi\u202eevil\u2066x\u2069": `bidi\u202eevil\u2066x\u2069`,
		"sep\u2028x":                  `sep\u2028x`,
		"bad\xff\xfe":                 `bad\xff\xfe`,
		"café 系统 \u00a0nbsp":          "café 系统 \u00a0nbsp",
	} {
		if got := sanitize(in); got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEscapeJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":"b"}`:                `{"a":"b"}`,
		"{\"a\":\"x\x7fy\"}":       `{"a":"x\u007fy"}`,
		"{\"a\":\"\u009b\u202e\"}": `{"a":"\u009b\u202e"}`,
		"{\"a\":\"bad\xff\"}":      `{"a":"bad\ufffd"}`,
		"{\n  \"a\": \"\\t\"\n}":   "{\n  \"a\": \"\\t\"\n}",
	} {
		if got := string(escapeJSON([]byte(in))); got != want {
			t.Errorf("escapeJSON(%q) = %q, want %q", in, got, want)
		}
	}
}
