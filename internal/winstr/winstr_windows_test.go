package winstr

import (
	"errors"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/sys/windows"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPtr(t *testing.T) {
	p, err := Ptr("")
	if p != nil || err != nil {
		t.Errorf(`Ptr("") = %v, %v; want nil, nil (NULL)`, p, err)
	}
	for _, s := range []string{"a", "ünïcödé-系统", "emoji 🙂 outside the BMP"} {
		p, err := Ptr(s)
		if err != nil {
			t.Fatalf("Ptr(%q): %v", s, err)
		}
		if got := windows.UTF16PtrToString(p); got != s {
			t.Errorf("round trip of %q = %q", s, got)
		}
	}
	for _, s := range []string{"\x00", "id\x00suffix"} {
		p, err := Ptr(s)
		if p != nil || !errors.Is(err, windows.ERROR_INVALID_PARAMETER) {
			t.Errorf("Ptr(%q) = %v, %v; want nil, ERROR_INVALID_PARAMETER", s, p, err)
		}
	}
}

func TestNonNull(t *testing.T) {
	p, err := NonNull("")
	if p == nil || err != nil || *p != 0 {
		t.Errorf(`NonNull("") = %v, %v; want an empty string, not NULL`, p, err)
	}
}

func TestTakeNil(t *testing.T) {
	if s := Take(nil); s != "" {
		t.Errorf("Take(nil) = %q", s)
	}
}
