//go:build windows

package computecore

import (
	"errors"
	"testing"

	"golang.org/x/sys/windows"
)

func TestUTF16Ptr(t *testing.T) {
	p, err := utf16Ptr("")
	if p != nil || err != nil {
		t.Errorf(`utf16Ptr("") = %v, %v; want nil, nil (NULL)`, p, err)
	}
	for _, s := range []string{"a", "ünïcödé-系统", "emoji 🙂 outside the BMP"} {
		p, err := utf16Ptr(s)
		if err != nil {
			t.Fatalf("utf16Ptr(%q): %v", s, err)
		}
		if got := windows.UTF16PtrToString(p); got != s {
			t.Errorf("round trip of %q = %q", s, got)
		}
	}
	for _, s := range []string{"\x00", "id\x00suffix"} {
		p, err := utf16Ptr(s)
		if p != nil || !errors.Is(err, windows.ERROR_INVALID_PARAMETER) {
			t.Errorf("utf16Ptr(%q) = %v, %v; want nil, ERROR_INVALID_PARAMETER", s, p, err)
		}
	}
}

func TestTakeStringNil(t *testing.T) {
	if s := takeString(nil); s != "" {
		t.Errorf("takeString(nil) = %q", s)
	}
}
