package layertar

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/gohcs/hcs/backupstream"
	"github.com/gohcs/hcs/internal/layertartest"
)

// FuzzTranslate translates arbitrary bytes: no panic, and whatever reaches
// the writer obeys Writer's contract: clean names inside the layer, backup
// streams that parse, no more contents than the input held. The seeds are
// the synthetic layers and a few PAX oddities; make fuzz runs it for
// FUZZTIME.
func FuzzTranslate(f *testing.F) {
	f.Add(layertartest.Base())
	f.Add(layertartest.App())
	f.Add(layertartest.Patch())
	f.Add(layertartest.Tar([]layertartest.Entry{
		{Name: "Files", Type: tar.TypeDir, Records: map[string]string{"MSWINDOWS.xattr.A": "QQ==", "LIBARCHIVE.creationtime": "-1.5"}},
		{Name: "Files/l", Type: tar.TypeSymlink, Link: `\\?\C:\x`, Records: map[string]string{"MSWINDOWS.fileattr": "4294967295"}},
		{Name: "Files/f", Data: "data"},
		{Name: "Files/f:s1", Data: "one"},
		{Name: "Files/f:s2", Data: "two"},
		{Name: "Files/.wh.gone"},
	}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		w := &checkingWriter{t: t, limit: int64(len(in))}
		sum, err := Translate(context.Background(), bytes.NewReader(in), w)
		if sum.TarBytes > int64(len(in)) || sum.DataBytes > int64(len(in)) {
			t.Fatalf("summary %+v from %d bytes", sum, len(in))
		}
		if err == nil && w.data != sum.DataBytes {
			t.Fatalf("writer read %d data bytes, summary says %d", w.data, sum.DataBytes)
		}
	})
}

// checkingWriter checks each call against the Writer contract.
type checkingWriter struct {
	t     *testing.T
	limit int64
	data  int64
}

func (w *checkingWriter) name(name string) {
	clean, stream, err := cleanName(name)
	if err != nil || clean != name || stream != "" || checkRoot(name) != nil {
		w.t.Fatalf("writer got the name %q (%v)", name, err)
	}
}

func (w *checkingWriter) Add(name string, info BasicInfo, stream io.Reader) error {
	w.name(name)
	if err := info.checkTimes(); err != nil {
		w.t.Fatalf("%s: %v", name, err)
	}
	r := backupstream.NewReader(stream)
	for {
		h, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err // the input's error, passed on
		}
		n, err := io.Copy(io.Discard, r)
		if h.ID == backupstream.Data || h.ID == backupstream.AlternateData {
			w.data += n
		}
		if w.data > w.limit {
			w.t.Fatalf("%s: %d bytes of contents from %d bytes of input", name, w.data, w.limit)
		}
		if err != nil {
			return err
		}
		switch h.ID {
		case backupstream.Data, backupstream.AlternateData, backupstream.SecurityData, backupstream.EAData, backupstream.ReparseData:
		default:
			return fmt.Errorf("unexpected %v", h.ID)
		}
	}
}

func (w *checkingWriter) AddLink(name, target string) error {
	w.name(name)
	w.name(target)
	return nil
}

func (w *checkingWriter) Remove(name string) error {
	w.name(name)
	return nil
}

func (w *checkingWriter) Close() error { return nil }
