package layertar

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/gohcs/hcs/backupstream"
	"github.com/gohcs/hcs/internal/layertartest"
)

// TestSDDL translates the security descriptor of a layer exported before
// 2017 (MSWINDOWS.sd, SDDL): converted on Windows, refused elsewhere.
func TestSDDL(t *testing.T) {
	layer := layertartest.Tar([]layertartest.Entry{{Name: "Files", Type: tar.TypeDir,
		Records: map[string]string{"MSWINDOWS.sd": "O:BAG:SYD:(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)"}}})
	var r Recorder
	_, err := Translate(context.Background(), bytes.NewReader(layer), &r)
	if runtime.GOOS != "windows" {
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("error %v, want errors.ErrUnsupported", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	br := backupstream.NewReader(bytes.NewReader(r.Ops()[0].Stream))
	h, err := br.Next()
	if err != nil || h.ID != backupstream.SecurityData {
		t.Fatalf("first stream %+v, %v", h, err)
	}
	sd := make([]byte, h.Size)
	if _, err := br.Read(sd); err != nil {
		t.Fatal(err)
	}
	if err := checkSecurityDescriptor(sd); err != nil {
		t.Errorf("converted descriptor: %v", err)
	}
	// FA is FILE_ALL_ACCESS; OICI the two inheritance flags.
	want := "owner S-1-5-32-544 group S-1-5-18 dacl [type 0 flags 0x3 mask 0x001f01ff S-1-5-32-544] [type 0 flags 0x3 mask 0x001f01ff S-1-5-18]"
	if got := describeSD(sd); !strings.HasSuffix(got, want) {
		t.Errorf("converted descriptor: %s\nwant it to end with %s", got, want)
	}
}
