package images

import (
	"errors"
	"strings"
	"testing"
)

func v(s string) OSVersion {
	x, err := ParseOSVersion(s)
	if err != nil {
		panic(err)
	}
	return x
}

func TestCanRun(t *testing.T) {
	for _, tc := range []struct {
		host, image string
		want        bool
	}{
		{"10.0.17763.1", "10.0.17763.6054", true}, // revisions never matter
		{"10.0.17763", "10.0.14393", false},       // before 2022: the host's build only
		{"10.0.14393", "10.0.17763", false},
		{"10.0.20348", "10.0.20348.2582", true},
		{"10.0.20348", "10.0.17763", false},
		{"10.0.22631", "10.0.20348", true}, // Windows 11 runs ltsc2022
		{"10.0.22631", "10.0.22621", true},
		{"10.0.22631", "10.0.26100", false}, // newer than the host
		{"10.0.26100", "10.0.20348", true},  // ltsc2025 runs ltsc2022
		{"10.0.26100", "10.0.17763", false},
		{"10.0.26200", "10.0.20348", false}, // after ltsc2025: from ltsc2025 on
		{"10.0.26200", "10.0.26100", true},
		{"6.3.9600", "10.0.9600", false},
	} {
		if got := v(tc.host).CanRun(v(tc.image)); got != tc.want {
			t.Errorf("host %s runs %s: %v, want %v", tc.host, tc.image, got, tc.want)
		}
	}
}

func TestParseOSVersion(t *testing.T) {
	if got := v("10.0.20348.2582"); got != (OSVersion{10, 0, 20348, 2582}) || got.String() != "10.0.20348.2582" || got.Release() != "ltsc2022" {
		t.Errorf("%+v %s %s", got, got, got.Release())
	}
	if got := v("10.0.17763"); got.String() != "10.0.17763" || got.Release() != "ltsc2019" {
		t.Errorf("%s %s", got, got.Release())
	}
	for _, bad := range []string{"", "10", "10.0", "10.0.x", "10.0.1.2.3", "-1.0.0", "10.0.99999999999"} {
		if _, err := ParseOSVersion(bad); err == nil {
			t.Errorf("ParseOSVersion(%q) succeeded", bad)
		}
	}
}

func TestChoose(t *testing.T) {
	win := func(i int, ver string) candidate {
		return candidate{index: i, digest: Digest(ver), platform: Platform{OS: "windows", Architecture: "amd64", OSVersion: ver}}
	}
	index := []candidate{
		{index: 0, digest: "linux", platform: Platform{OS: "linux", Architecture: "amd64"}},
		win(1, "10.0.17763.6054"),
		win(2, "10.0.20348.2500"),
		win(3, "10.0.20348.2582"),
		win(4, "10.0.26100.1742"),
		{index: 5, digest: "arm", platform: Platform{OS: "windows", Architecture: "arm64", OSVersion: "10.0.26100.1742"}},
	}
	for _, tc := range []struct{ host, want string }{
		{"10.0.17763.100", "10.0.17763.6054"},
		{"10.0.20348.1", "10.0.20348.2582"}, // newest revision of the host's build
		{"10.0.22631", "10.0.20348.2582"},   // Windows 11: the newest it runs
		{"10.0.26100", "10.0.26100.1742"},   // the host's build before older ones
	} {
		c, err := choose(v(tc.host), "amd64", index)
		if err != nil || string(c.digest) != tc.want {
			t.Errorf("host %s: %s, %v; want %s", tc.host, c.digest, err, tc.want)
		}
	}

	// Nothing fits: the error says why and what there is.
	_, err := choose(v("10.0.20348"), "amd64", []candidate{index[0], index[1], win(4, "10.0.26100.1742")})
	if !errors.Is(err, ErrNoMatch) {
		t.Fatalf("error %v, want ErrNoMatch", err)
	}
	want := "host 10.0.20348 (ltsc2022), windows/amd64; process isolation needs an image of build 20348 (ltsc2022); " +
		"the reference offers linux/amd64, windows 10.0.17763.x (ltsc2019), windows 10.0.26100.x (ltsc2025)"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error\n%v\nwant it to contain\n%s", err, want)
	}
	_, err = choose(v("10.0.17763.5"), "amd64", []candidate{win(0, "10.0.20348.1")})
	if err == nil || !strings.Contains(err.Error(), "needs an image of the host's build, 10.0.17763") {
		t.Errorf("error %v", err)
	}
	_, err = choose(v("10.0.26200"), "amd64", []candidate{win(0, "10.0.20348.1")})
	if err == nil || !strings.Contains(err.Error(), "needs an image of build 26100 (ltsc2025) to 26200") {
		t.Errorf("error %v", err)
	}

	// No os.version: taken, after any that has one.
	c, err := choose(v("10.0.20348"), "amd64", []candidate{win(0, ""), win(1, "10.0.20348.9")})
	if err != nil || c.index != 1 {
		t.Errorf("%+v %v", c, err)
	}
	c, err = choose(v("10.0.20348"), "amd64", []candidate{win(0, "")})
	if err != nil || c.index != 0 {
		t.Errorf("%+v %v", c, err)
	}
}
