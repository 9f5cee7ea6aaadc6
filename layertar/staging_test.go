package layertar

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/gohcs/hcs/backupstream"
	"github.com/gohcs/hcs/internal/layertartest"
	"github.com/gohcs/hcs/internal/winetest"
)

var dirInfo = BasicInfo{
	CreationTime: layertartest.T0, LastAccessTime: layertartest.T0, LastWriteTime: layertartest.T0, ChangeTime: layertartest.T0,
	Attributes: AttributeDirectory,
}

func fileInfo() BasicInfo {
	bi := dirInfo
	bi.Attributes = AttributeArchive
	return bi
}

// dataStream is the backup stream of a file with contents s.
func dataStream(t *testing.T, s string, extra ...backupstream.Header) io.Reader {
	t.Helper()
	var b bytes.Buffer
	w := backupstream.NewWriter(&b)
	w.WriteHeader(&backupstream.Header{ID: backupstream.Data, Size: int64(len(s))})
	io.WriteString(w, s)
	for _, h := range extra {
		w.WriteHeader(&h)
		w.Write(make([]byte, h.Size))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &b
}

func newStaging(t *testing.T) *Staging {
	t.Helper()
	s, err := NewStaging(filepath.Join(winetest.TempDir(t), "staging"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// exists reports whether the staging folder holds name.
func exists(t *testing.T, s *Staging, name string) bool {
	t.Helper()
	_, err := os.Lstat(filepath.Join(s.Dir(), filepath.FromSlash(name)))
	return err == nil
}

func TestStagingRefusesNonEmptyFolder(t *testing.T) {
	dir := winetest.TempDir(t)
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewStaging(dir); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("NewStaging of a non-empty folder: %v", err)
	}
}

// TestStagingStrict checks the cases where Windows would fail, and that a
// failed call makes the later ones fail.
func TestStagingStrict(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(t *testing.T, s *Staging) error
		want string
	}{
		{"case-insensitive duplicate", func(t *testing.T, s *Staging) error { return s.Add("Files/A", fileInfo(), dataStream(t, "A")) }, "already staged"},
		{"duplicate directory", func(t *testing.T, s *Staging) error { return s.Add("Files/DD", dirInfo, strings.NewReader("")) }, "already staged"},
		{"missing parent", func(t *testing.T, s *Staging) error { return s.Add("Files/d/x", fileInfo(), dataStream(t, "x")) }, "Files/d/x"},
		{"hive with a stream", func(t *testing.T, s *Staging) error {
			return s.Add("Hives/X_Delta", fileInfo(), dataStream(t, "regf", backupstream.Header{ID: backupstream.AlternateData, Name: ":s:$DATA", Size: 1}))
		}, "cannot be staged"},
		{"broken stream", func(t *testing.T, s *Staging) error {
			return s.Add("Files/broken", fileInfo(), io.MultiReader(strings.NewReader("1234"), iotest.ErrReader(io.ErrUnexpectedEOF)))
		}, "unexpected EOF"},
		{"unclean name", func(t *testing.T, s *Staging) error { return s.Add("Files/../x", fileInfo(), dataStream(t, "x")) }, "path element"},
		{"stream name", func(t *testing.T, s *Staging) error { return s.Add("Files/a:s", fileInfo(), dataStream(t, "x")) }, "not a clean layer path"},
		{"outside the layer", func(t *testing.T, s *Staging) error { return s.Add("x", fileInfo(), dataStream(t, "x")) }, "outside Files/"},
		{"bad time", func(t *testing.T, s *Staging) error { return s.Add("Files/old", BasicInfo{}, dataStream(t, "x")) }, "FILETIME"},
		{"remove outside Files", func(t *testing.T, s *Staging) error { return s.Remove("Hives/x") }, "outside Files/"},
		{"link to a directory", func(t *testing.T, s *Staging) error { return s.AddLink("Files/l", "Files/dd") }, "is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStaging(t)
			for _, err := range []error{
				s.Add("Files", dirInfo, strings.NewReader("")),
				s.Add("Files/a", fileInfo(), dataStream(t, "a")),
				s.Add("Files/dd", dirInfo, strings.NewReader("")),
				s.Add("Hives", dirInfo, strings.NewReader("")),
			} {
				if err != nil {
					t.Fatal(err)
				}
			}
			err := tc.do(t, s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v, want an error containing %q", err, tc.want)
			}
			if again := s.Add("Files/later", fileInfo(), dataStream(t, "x")); again == nil || !strings.Contains(again.Error(), "an earlier call failed") {
				t.Errorf("the next call: %v, want it to fail", again)
			}
		})
	}
}

// TestStagingReparseDirectory checks that a directory that is a reparse
// point is created only at Close: nothing can be staged through it.
func TestStagingReparseDirectory(t *testing.T) {
	junction := dirInfo
	junction.Attributes |= AttributeReparsePoint
	s := newStaging(t)
	s.Add("Files", dirInfo, strings.NewReader(""))
	if err := s.Add("Files/j", junction, strings.NewReader("")); err != nil {
		t.Fatal(err)
	}
	if exists(t, s, "Files/j") || !exists(t, s, "Files/j.$wcidirs$") {
		t.Error("the junction's directory exists before Close, or its metadata does not")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !exists(t, s, "Files/j") {
		t.Error("Close did not create the junction's directory")
	}

	s = newStaging(t)
	s.Add("Files", dirInfo, strings.NewReader(""))
	s.Add("Files/j", junction, strings.NewReader(""))
	if err := s.Add("Files/j/x", fileInfo(), dataStream(t, "x")); err == nil {
		t.Error("staged a file inside a junction")
	}
}

func TestStagingRecords(t *testing.T) {
	s := newStaging(t)
	s.Add("Files", dirInfo, strings.NewReader(""))
	s.Add("Files/a", fileInfo(), dataStream(t, "a"))
	for _, err := range []error{
		s.AddLink("Files/b", "Files/a"),
		s.AddLink("Files/c", "Files/Windows/parent.dll"),
		s.Remove("Files/gone"),
		s.Add("UtilityVM", dirInfo, strings.NewReader("")),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Remove("Files/A"); err == nil {
		t.Error("removed a name the layer added")
	}
	links := s.Links()
	if len(links) != 2 || links[0] != (Link{"Files/b", "Files/a", true}) || links[1] != (Link{"Files/c", "Files/Windows/parent.dll", false}) {
		t.Errorf("links %+v", links)
	}
	if ts := s.Tombstones(); len(ts) != 1 || ts[0] != "Files/gone" {
		t.Errorf("tombstones %q", ts)
	}
	if !s.UtilityVM() {
		t.Error("UtilityVM() = false")
	}
	if exists(t, s, "Files/b") || exists(t, s, "Files/gone") {
		t.Error("a link or tombstone was staged as a file")
	}
}

func TestStagingClose(t *testing.T) {
	s := newStaging(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, err := range []error{
		s.Add("Files", dirInfo, strings.NewReader("")),
		s.AddLink("Files/a", "Files/b"),
		s.Remove("Files/a"),
	} {
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("after Close: %v, want os.ErrClosed", err)
		}
	}
}
