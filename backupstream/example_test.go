package backupstream_test

import (
	"bytes"
	"fmt"
	"io"
	"log"

	"github.com/gohcs/hcs/backupstream"
)

// A backup stream of a file with contents and an alternate data stream,
// written and read back.
func Example() {
	var buf bytes.Buffer
	w := backupstream.NewWriter(&buf)
	for _, s := range []struct {
		h    backupstream.Header
		data string
	}{
		{backupstream.Header{ID: backupstream.Data}, "hello"},
		{backupstream.Header{ID: backupstream.AlternateData, Name: ":Zone.Identifier:$DATA"}, "[ZoneTransfer]"},
	} {
		s.h.Size = int64(len(s.data))
		if err := w.WriteHeader(&s.h); err != nil {
			log.Fatal(err)
		}
		if _, err := io.WriteString(w, s.data); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	r := backupstream.NewReader(&buf)
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			log.Fatal(err)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%v %q: %q\n", h.ID, h.Name, data)
	}
	// Output:
	// BACKUP_DATA "": "hello"
	// BACKUP_ALTERNATE_DATA ":Zone.Identifier:$DATA": "[ZoneTransfer]"
}

// The payload of a ReparseData stream: a junction, as Windows images have
// at C:\Documents and Settings.
func ExampleEncodeReparsePoint() {
	b, err := backupstream.EncodeReparsePoint(backupstream.ReparsePoint{Target: `C:\Users`, MountPoint: true})
	if err != nil {
		log.Fatal(err)
	}
	rp, err := backupstream.DecodeReparsePoint(b)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d bytes; junction %v to %s\n", len(b), rp.MountPoint, rp.Target)
	// Output: 60 bytes; junction true to C:\Users
}

// The payload of an EAData stream.
func ExampleEncodeEAs() {
	b, err := backupstream.EncodeEAs([]backupstream.EA{{Name: "APP.TAG", Value: []byte("v1")}})
	if err != nil {
		log.Fatal(err)
	}
	eas, err := backupstream.DecodeEAs(b)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d bytes: %s=%s\n", len(b), eas[0].Name, eas[0].Value)
	// Output: 20 bytes: APP.TAG=v1
}
