package layertar_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gohcs/hcs/layertar"
)

// A layer tar, as containerd or moby export it, staged for ImportLayer.
func ExampleTranslate() {
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	for _, h := range []*tar.Header{
		{Name: "Files", Typeflag: tar.TypeDir, PAXRecords: map[string]string{"MSWINDOWS.fileattr": "16"}},
		{Name: "Files/hello.txt", Typeflag: tar.TypeReg, Size: 5, PAXRecords: map[string]string{"MSWINDOWS.fileattr": "32"}},
		{Name: "Files/.wh.old.txt", Typeflag: tar.TypeReg},
	} {
		if err := tw.WriteHeader(h); err != nil {
			log.Fatal(err)
		}
		tw.Write([]byte("hello")[:h.Size])
	}
	tw.Close()

	dir, err := os.MkdirTemp("", "staging")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := layertar.NewStaging(filepath.Join(dir, "layer"))
	if err != nil {
		log.Fatal(err)
	}
	sum, err := layertar.Translate(context.Background(), &layer, s)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		log.Fatal(err) // the staging folder is incomplete: remove it
	}
	fmt.Printf("%d file, %d directory, tombstones %q\n", sum.Files, sum.Directories, s.Tombstones())
	staged, _ := os.ReadFile(filepath.Join(s.Dir(), "Files", "hello.txt"))
	fmt.Printf("Files/hello.txt: %d bytes: attributes (4), a BACKUP_DATA header (20), contents (5)\n", len(staged))
	// Output:
	// 1 file, 1 directory, tombstones ["Files/old.txt"]
	// Files/hello.txt: 29 bytes: attributes (4), a BACKUP_DATA header (20), contents (5)
}

// A Recorder stands in for a writer in tests.
func ExampleRecorder() {
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	tw.WriteHeader(&tar.Header{Name: "Files/", Typeflag: tar.TypeDir})
	tw.WriteHeader(&tar.Header{Name: "Files/a.dll", Typeflag: tar.TypeReg, Size: 2})
	tw.Write([]byte("MZ"))
	tw.WriteHeader(&tar.Header{Name: "Files/b.dll", Typeflag: tar.TypeLink, Linkname: "Files/a.dll"})
	tw.Close()

	var r layertar.Recorder
	if _, err := layertar.Translate(context.Background(), &layer, &r); err != nil {
		log.Fatal(err)
	}
	for _, op := range r.Ops() {
		if op.Kind == layertar.OpLink {
			fmt.Println(op.Kind, op.Name, "->", op.Target)
		} else {
			fmt.Println(op.Kind, op.Name, len(op.Stream), "bytes of backup stream")
		}
	}
	// Output:
	// add Files 0 bytes of backup stream
	// add Files/a.dll 22 bytes of backup stream
	// link Files/b.dll -> Files/a.dll
}
