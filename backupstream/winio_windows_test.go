package backupstream

import (
	"bytes"
	"io"
	"testing"

	"github.com/Microsoft/go-winio"
)

// The tests below hold this package's encodings to go-winio's, the
// Windows-only codec that containerd, moby and hcsshim use, byte for byte.
// They run with the Windows tests (under Wine on Linux).

func TestStreamMatchesWinio(t *testing.T) {
	var theirs bytes.Buffer
	w := winio.NewBackupStreamWriter(&theirs)
	for _, s := range streams {
		if err := w.WriteHeader(&winio.BackupHeader{
			Id: uint32(s.h.ID), Attributes: s.h.Attributes, Size: int64(len(s.data)), Name: s.h.Name, Offset: s.h.Offset,
		}); err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, s.data)
	}
	if ours := encode(t); !bytes.Equal(ours, theirs.Bytes()) {
		t.Errorf("backup streams differ\nours   %x\nwinio  %x", ours, theirs.Bytes())
	}
}

func TestEAsMatchWinio(t *testing.T) {
	var theirEAs []winio.ExtendedAttribute
	for _, ea := range eas {
		theirEAs = append(theirEAs, winio.ExtendedAttribute{Name: ea.Name, Value: ea.Value, Flags: ea.Flags})
	}
	theirs, err := winio.EncodeExtendedAttributes(theirEAs)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := EncodeEAs(eas)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours, theirs) {
		t.Errorf("EA lists differ\nours   %x\nwinio  %x", ours, theirs)
	}
}

// TestReparseMatchesWinio compares the targets go-winio encodes the same
// way: drive-letter and UNC paths, and relative ones. (For \\?\C:\x and
// an NT path, \??\C:\x, go-winio uses the target as the print name, and
// it sets the relative flag for an NT path; this package prints C:\x.)
func TestReparseMatchesWinio(t *testing.T) {
	for _, rp := range []ReparsePoint{
		{Target: `C:\Users`, MountPoint: true},
		{Target: `C:\ProgramData`},
		{Target: `..\lib\x.dll`},
		{Target: `\\server\share`},
	} {
		ours, err := EncodeReparsePoint(rp)
		if err != nil {
			t.Fatal(err)
		}
		theirs := winio.EncodeReparsePoint(&winio.ReparsePoint{Target: rp.Target, IsMountPoint: rp.MountPoint})
		if !bytes.Equal(ours, theirs) {
			t.Errorf("%+v: reparse points differ\nours   %x\nwinio  %x", rp, ours, theirs)
		}
	}
}
