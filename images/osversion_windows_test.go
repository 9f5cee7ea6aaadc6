package images

import "testing"

// TestHostOSVersion reads this machine's version (under Wine, the Windows
// version Wine reports).
func TestHostOSVersion(t *testing.T) {
	v, err := HostOSVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.Major < 6 || v.Build == 0 {
		t.Errorf("host version %s", v)
	}
	t.Logf("host %s", v.describe())
}
