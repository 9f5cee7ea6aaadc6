package images

import (
	"errors"
	"runtime"
	"testing"
)

// TestHostOSVersion reads this machine's version (under Wine, the Windows
// version Wine reports); elsewhere than on Windows, HostOSVersion fails
// with errors.ErrUnsupported.
func TestHostOSVersion(t *testing.T) {
	v, err := HostOSVersion()
	if runtime.GOOS != "windows" {
		if !errors.Is(err, errors.ErrUnsupported) || v != (OSVersion{}) {
			t.Fatalf("HostOSVersion off Windows: %v, %v; want errors.ErrUnsupported", v, err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if v.Major < 6 || v.Build == 0 {
		t.Errorf("host version %s", v)
	}
	t.Logf("host %s", v.describe())
}
