package backupstream

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// streams is a backup stream of every shape the writer produces.
var streams = []struct {
	h    Header
	data string
}{
	{Header{ID: SecurityData}, "\x01\x00\x04\x80sd"},
	{Header{ID: EAData}, "ea"},
	{Header{ID: Data}, "file contents"},
	{Header{ID: Data}, ""},
	{Header{ID: AlternateData, Name: ":Zone.Identifier:$DATA"}, "[ZoneTransfer]"},
	{Header{ID: AlternateData, Name: ":ünïcødé 流:$DATA"}, "x"},
	{Header{ID: SparseBlock, Attributes: AttrSparse, Offset: 1 << 40}, "block"},
	{Header{ID: ID(42), Attributes: 7}, "unknown"},
}

func encode(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, s := range streams {
		h := s.h
		h.Size = int64(len(s.data))
		if err := w.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, s.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	r := NewReader(bytes.NewReader(encode(t)))
	for i, s := range streams {
		h, err := r.Next()
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		want := s.h
		want.Size = int64(len(s.data))
		if *h != want {
			t.Errorf("stream %d: header %+v, want %+v", i, *h, want)
		}
		// Leave the third stream unread: Next skips it.
		if i == 2 {
			continue
		}
		got, err := io.ReadAll(r)
		if err != nil || string(got) != s.data {
			t.Errorf("stream %d: data %q, %v; want %q", i, got, err, s.data)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after the last stream: %v, want io.EOF", err)
	}
}

// TestLayout pins the byte layout of WIN32_STREAM_ID: four DWORDs and a
// LARGE_INTEGER packed into 20 bytes, then the name in UTF-16, then for a
// sparse block its offset.
func TestLayout(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteHeader(&Header{ID: AlternateData, Attributes: 2, Size: 1, Name: ":a:$DATA"}); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte{0xEE})
	if err := w.WriteHeader(&Header{ID: SparseBlock, Size: 1, Offset: 0x0102}); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte{0xFF})
	want := "04000000" + "02000000" + "0100000000000000" + "10000000" +
		"3a0061003a002400440041005400410" + "0" + "ee" +
		"09000000" + "00000000" + "0900000000000000" + "00000000" + "0201000000000000" + "ff"
	if got := hexString(buf.Bytes()); got != want {
		t.Errorf("layout\n got %s\nwant %s", got, want)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	var s strings.Builder
	for _, c := range b {
		s.WriteByte(digits[c>>4])
		s.WriteByte(digits[c&15])
	}
	return s.String()
}

func TestReaderErrors(t *testing.T) {
	full := encode(t)
	hdr := func(id, size, nameSize uint64) []byte {
		b := make([]byte, 20)
		for i := range 4 {
			b[i] = byte(id >> (8 * i))
			b[16+i] = byte(nameSize >> (8 * i))
		}
		for i := range 8 {
			b[8+i] = byte(size >> (8 * i))
		}
		return b
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"truncated header", full[:10], io.ErrUnexpectedEOF},
		{"truncated data", full[:len(full)-1], io.ErrUnexpectedEOF},
		{"truncated name", append(hdr(4, 0, 8), 'a', 0), io.ErrUnexpectedEOF},
		{"odd name", hdr(4, 0, 3), ErrHeader},
		{"huge name", hdr(4, 0, 1<<31), ErrHeader},
		{"size beyond int64", hdr(1, 1<<63, 0), ErrHeader},
		{"sparse block shorter than its offset", hdr(9, 7, 0), ErrHeader},
		{"truncated sparse offset", append(hdr(9, 9, 0), 1, 2), io.ErrUnexpectedEOF},
	} {
		r := NewReader(bytes.NewReader(tc.in))
		var err error
		for err == nil {
			if _, err = r.Next(); err == nil {
				_, err = io.Copy(io.Discard, r)
			}
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		// The error sticks.
		if _, again := r.Next(); again != err {
			t.Errorf("%s: then %v, want the same error", tc.name, again)
		}
	}
}

func TestWriterErrors(t *testing.T) {
	w := NewWriter(io.Discard)
	if err := w.WriteHeader(&Header{ID: Data, Size: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("abc")); err == nil {
		t.Error("writing more than the stream's size succeeded")
	}
	w = NewWriter(io.Discard)
	w.WriteHeader(&Header{ID: Data, Size: 2})
	w.Write([]byte("a"))
	if err := w.WriteHeader(&Header{ID: Data}); err == nil {
		t.Error("starting a stream before the previous one is complete succeeded")
	}
	w = NewWriter(io.Discard)
	w.WriteHeader(&Header{ID: Data, Size: 2})
	if err := w.Close(); err == nil {
		t.Error("Close of a short stream succeeded")
	}
	for _, h := range []Header{{ID: Data, Size: -1}, {ID: AlternateData, Name: strings.Repeat("x", 300)}} {
		if err := NewWriter(io.Discard).WriteHeader(&h); err == nil {
			t.Errorf("WriteHeader(%+v) succeeded", h)
		}
	}
}

func TestIDString(t *testing.T) {
	for id, want := range map[ID]string{Data: "BACKUP_DATA", TxfsData: "BACKUP_TXFS_DATA", 0: "stream 0x0", 11: "stream 0xb"} {
		if got := id.String(); got != want {
			t.Errorf("ID(%d).String() = %q, want %q", uint32(id), got, want)
		}
	}
}

// FuzzReader reads arbitrary bytes as a backup stream: no panic, an error
// or io.EOF at the end, and never more data than the input holds.
func FuzzReader(f *testing.F) {
	f.Add(encode(f))
	f.Add([]byte{})
	f.Add(make([]byte, 20))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReader(bytes.NewReader(b))
		total := 0
		for {
			h, err := r.Next()
			if err != nil {
				return
			}
			if h.Size < 0 || len(h.Name) > 3*MaxNameSize {
				t.Fatalf("header %+v", h)
			}
			n, err := io.Copy(io.Discard, r)
			total += int(n)
			if total > len(b) {
				t.Fatalf("read %d data bytes from %d bytes of input", total, len(b))
			}
			if err != nil {
				return
			}
		}
	})
}
