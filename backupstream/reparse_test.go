package backupstream

import (
	"strings"
	"testing"
)

func TestReparseRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		rp       ReparsePoint
		target   string // what decoding gives back
		relative bool
	}{
		{ReparsePoint{Target: `C:\Users`, MountPoint: true}, `C:\Users`, false},
		{ReparsePoint{Target: `C:\ProgramData`}, `C:\ProgramData`, false},
		{ReparsePoint{Target: `..\lib\x.dll`}, `..\lib\x.dll`, true},
		{ReparsePoint{Target: `\\server\share\dir`}, `\\server\share\dir`, false},
		{ReparsePoint{Target: `\\?\C:\long`}, `C:\long`, false},
		{ReparsePoint{Target: `\??\C:\Users`, MountPoint: true}, `C:\Users`, false},
		{ReparsePoint{Target: `ünïcødé\流`}, `ünïcødé\流`, true},
	} {
		b, err := EncodeReparsePoint(tc.rp)
		if err != nil {
			t.Errorf("%+v: %v", tc.rp, err)
			continue
		}
		got, err := DecodeReparsePoint(b)
		if err != nil {
			t.Errorf("%+v: decode: %v", tc.rp, err)
			continue
		}
		if got.Target != tc.target || got.MountPoint != tc.rp.MountPoint {
			t.Errorf("%+v: decoded %+v, want target %q", tc.rp, got, tc.target)
		}
		if tc.rp.Relative() != tc.relative {
			t.Errorf("%+v: Relative() = %v", tc.rp, !tc.relative)
		}
	}
}

// TestReparseLayout pins a symbolic link's bytes: tag, data length,
// reserved, the four name offsets and lengths, flags, then the substitute
// and print names, each NUL-terminated.
func TestReparseLayout(t *testing.T) {
	b, err := EncodeReparsePoint(ReparsePoint{Target: `C:\a`})
	if err != nil {
		t.Fatal(err)
	}
	want := "0c0000a0" + "2800" + "0000" + // tag, 40 bytes of data, reserved
		"0000" + "1000" + "1200" + "0800" + "00000000" + // sub at 0 (16 bytes), print at 18 (8 bytes), flags 0
		"5c003f003f005c0043003a005c0061000000" + "43003a005c0061000000"
	if got := hexString(b); got != want {
		t.Errorf("layout\n got %s\nwant %s", got, want)
	}
}

func TestReparseErrors(t *testing.T) {
	for _, rp := range []ReparsePoint{
		{Target: ""},
		{Target: "a\x00b"},
		{Target: `relative`, MountPoint: true},
		{Target: `C:\` + strings.Repeat("x", 20000)},
	} {
		if _, err := EncodeReparsePoint(rp); err == nil {
			t.Errorf("EncodeReparsePoint(%.40q) succeeded", rp.Target)
		}
	}
	good, _ := EncodeReparsePoint(ReparsePoint{Target: `C:\a`})
	other := append([]byte{0x1d, 0, 0, 0xa0}, good[4:]...) // an LX symlink's tag
	for name, b := range map[string][]byte{
		"short":          good[:7],
		"truncated":      good[:len(good)-1],
		"other tag":      other,
		"no names":       {0x0c, 0, 0, 0xa0, 4, 0, 0, 0, 0, 0, 0, 0},
		"name outside":   append(append([]byte{}, good[:8]...), 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0),
		"odd name bytes": append(append([]byte{}, good[:8]...), 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0),
	} {
		if _, err := DecodeReparsePoint(b); err == nil {
			t.Errorf("DecodeReparsePoint(%s) succeeded", name)
		}
	}
}

func FuzzDecodeReparsePoint(f *testing.F) {
	for _, rp := range []ReparsePoint{{Target: `C:\Users`, MountPoint: true}, {Target: `..\x`}} {
		b, _ := EncodeReparsePoint(rp)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rp, err := DecodeReparsePoint(b)
		if err != nil {
			return
		}
		if len(rp.Target) > 3*len(b) {
			t.Fatalf("a target of %d bytes from %d bytes", len(rp.Target), len(b))
		}
	})
}
