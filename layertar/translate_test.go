package layertar

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gohcs/hcs/backupstream"
	"github.com/gohcs/hcs/internal/layertartest"
)

func TestTranslateRecorded(t *testing.T) {
	var r Recorder
	sum, err := Translate(context.Background(), bytes.NewReader(layertartest.Base()), &r)
	if err != nil {
		t.Fatal(err)
	}
	want := Summary{Files: 6, Directories: 10, Symlinks: 2, Links: 1, DataBytes: 93, TarBytes: int64(len(layertartest.Base())), UtilityVM: true}
	if sum != want {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	ops := r.Ops()
	if len(ops) != 19 {
		t.Fatalf("%d calls, want 19", len(ops))
	}
	if r.Closed() {
		t.Error("Translate closed the writer")
	}
	byName := map[string]Op{}
	for _, op := range ops {
		byName[op.Name] = op
	}

	// A file: times from the tar's records, its streams in go-winio's order.
	readme := byName["Files/Windows/readme.txt"]
	if !readme.Info.LastWriteTime.Equal(layertartest.T0) || !readme.Info.LastAccessTime.Equal(layertartest.T0.Add(time.Hour)) ||
		!readme.Info.ChangeTime.Equal(layertartest.T0.Add(2*time.Hour)) || !readme.Info.CreationTime.Equal(layertartest.T0.Add(-24*time.Hour)) {
		t.Errorf("readme.txt times %+v", readme.Info)
	}
	if got := streamIDs(t, readme.Stream); got != "BACKUP_SECURITY_DATA BACKUP_EA_DATA BACKUP_DATA BACKUP_ALTERNATE_DATA" {
		t.Errorf("readme.txt streams: %s", got)
	}
	// A junction: attributes kept, a mount point reparse stream, no data.
	das := byName["Files/Documents and Settings"]
	if das.Info.Attributes != 0x2416 || streamIDs(t, das.Stream) != "BACKUP_SECURITY_DATA BACKUP_REPARSE_DATA" {
		t.Errorf("junction: %#x %s", das.Info.Attributes, streamIDs(t, das.Stream))
	}
	if link := byName["Files/Windows/System32/command.com"]; link.Kind != OpLink || link.Target != "Files/Windows/System32/cmd.exe" {
		t.Errorf("hard link: %+v", link)
	}
}

// streamIDs lists the streams of a backup stream.
func streamIDs(t *testing.T, b []byte) string {
	t.Helper()
	r := backupstream.NewReader(bytes.NewReader(b))
	var ids []string
	for {
		h, err := r.Next()
		if err == io.EOF {
			return strings.Join(ids, " ")
		}
		if err != nil {
			t.Fatalf("backup stream: %v", err)
		}
		ids = append(ids, h.ID.String())
	}
}

// TestTranslateErrors feeds malformed layers: each fails, naming the
// entry, before the writer sees the bad entry.
func TestTranslateErrors(t *testing.T) {
	dir := layertartest.Entry{Name: "Files", Type: tar.TypeDir, Attrs: layertartest.AttrDirectory}
	file := func(name string) layertartest.Entry { return layertartest.Entry{Name: name, Data: "x"} }
	for _, tc := range []struct {
		name    string
		entries []layertartest.Entry
		want    string
	}{
		{"absolute", []layertartest.Entry{file("/Files/a")}, `entry "/Files/a": absolute name`},
		{"climbing", []layertartest.Entry{file("Files/../../etc/passwd")}, `path element ".."`},
		{"backslash", []layertartest.Entry{dir, file(`Files/..\..\x`)}, `which Windows file names cannot`},
		{"outside", []layertartest.Entry{file("etc/passwd")}, "outside Files/, Hives/ and UtilityVM/"},
		{"utility VM", []layertartest.Entry{file("UtilityVM/boot.wim")}, "UtilityVM holds only Files"},
		{"twice", []layertartest.Entry{dir, file("Files/a"), file("Files/A")}, "Files/A: a file of a name that was already a file"},
		{"stray stream", []layertartest.Entry{dir, file("Files/a"), file("Files/b:ads")}, `alternate data stream "ads" does not follow its file`},
		{"opaque", []layertartest.Entry{dir, file("Files/d/.wh..wh..opq")}, "opaque whiteout"},
		{"hive whiteout", []layertartest.Entry{file("Hives/.wh.System_Delta")}, "whiteout outside Files/"},
		{"whiteout dir", []layertartest.Entry{dir, file("Files/.wh.d/x")}, "can only be the last element"},
		{"link outside", []layertartest.Entry{dir, file("Files/a"), {Name: "Hives/x", Type: tar.TypeLink, Link: "Files/a"}}, "both must lie in Files/"},
		{"link escape", []layertartest.Entry{dir, {Name: "Files/x", Type: tar.TypeLink, Link: "../../etc/passwd"}}, "hard link target"},
		{"link to dir", []layertartest.Entry{dir, {Name: "Files/d", Type: tar.TypeDir}, {Name: "Files/x", Type: tar.TypeLink, Link: "Files/d"}}, "which is a directory"},
		{"fifo", []layertartest.Entry{dir, {Name: "Files/p", Type: tar.TypeFifo}}, "not a file, directory or link"},
		{"bad attributes", []layertartest.Entry{{Name: "Files", Type: tar.TypeDir, Records: map[string]string{"MSWINDOWS.fileattr": "0x10"}}}, "not a 32-bit decimal number"},
		{"contradicting attributes", []layertartest.Entry{{Name: "Files", Type: tar.TypeDir, Attrs: layertartest.AttrArchive}}, "contradicts the entry's type"},
		{"bad sd", []layertartest.Entry{{Name: "Files", Type: tar.TypeDir, SD: []byte{1, 0, 0, 0x80}}}, "security descriptor of 4 bytes"},
		{"sd base64", []layertartest.Entry{{Name: "Files", Type: tar.TypeDir, Records: map[string]string{"MSWINDOWS.rawsd": "!!"}}}, "MSWINDOWS.rawsd"},
		{"unknown record", []layertartest.Entry{{Name: "Files", Type: tar.TypeDir, Records: map[string]string{"MSWINDOWS.future": "1"}}}, "unknown Windows metadata"},
		{"creation time", []layertartest.Entry{{Name: "Files", Type: tar.TypeDir, Records: map[string]string{"LIBARCHIVE.creationtime": "yesterday"}}}, "not a PAX time"},
		{"ancient", []layertartest.Entry{{Name: "Files", Type: tar.TypeDir, Records: map[string]string{"LIBARCHIVE.creationtime": "-20000000000"}}}, "outside what a Windows FILETIME holds"},
		{"junction on a file", []layertartest.Entry{dir, {Name: "Files/a", Junction: true}}, "not a link"},
		{"relative junction", []layertartest.Entry{dir, {Name: "Files/j", Type: tar.TypeSymlink, Link: "rel", Junction: true}}, "is relative"},
		{"root not a dir", []layertartest.Entry{file("Files")}, "Files: not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r Recorder
			_, err := Translate(context.Background(), bytes.NewReader(layertartest.Tar(tc.entries)), &r)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "layertar: ") {
				t.Errorf("error %q does not say where it comes from", err)
			}
			for _, op := range r.Ops() {
				if strings.Contains(tc.want, op.Name) && op.Name != "Files" {
					t.Errorf("the writer got the bad entry: %+v", op)
				}
			}
		})
	}
	if _, err := Translate(context.Background(), bytes.NewReader(layertartest.Tar([]layertartest.Entry{dir, file("Files/d/.wh..wh..opq")})), &Recorder{}); !errors.Is(err, ErrOpaqueDirectory) {
		t.Errorf("opaque whiteout: %v, want ErrOpaqueDirectory", err)
	}
}

// TestTranslateTruncated cuts a layer at every 512-byte block: each cut
// fails with io.ErrUnexpectedEOF (or a tar error), never succeeds short.
func TestTranslateTruncated(t *testing.T) {
	full := layertartest.App()
	// The last 1024 bytes (or more: tar pads to 10 KiB records) are the
	// end-of-archive marker and padding.
	end := len(full)
	for end > 0 && allZero(full[end-512:end]) {
		end -= 512
	}
	for cut := 512; cut < end; cut += 512 {
		_, err := Translate(context.Background(), bytes.NewReader(full[:cut]), &Recorder{})
		if err == nil {
			t.Fatalf("cut at %d of %d: no error", cut, len(full))
		}
	}
	// Cut inside a file's contents: the writer's Add fails with the
	// stream's error and Translate reports the input's error.
	cut := bytes.Index(full, []byte("MZ server")) + 100
	_, err := Translate(context.Background(), bytes.NewReader(full[:cut]), &Recorder{})
	if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "Files/app/server.exe: reading its contents") {
		t.Errorf("cut inside server.exe: %v", err)
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// TestTranslateCancel cancels the context from inside the writer, at the
// third call: Translate stops there with the context's error.
func TestTranslateCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	r := &Recorder{Fail: func(Op) error {
		calls++
		if calls == 3 {
			cancel()
		}
		return nil
	}}
	_, err := Translate(ctx, bytes.NewReader(layertartest.Base()), r)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if n := len(r.Ops()); n != 3 {
		t.Errorf("%d calls recorded, want 3", n)
	}

	// Cancelled while the writer reads a file's contents.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	w := &cancellingWriter{cancel: cancel}
	_, err = Translate(ctx, bytes.NewReader(layertartest.Bench(1, 1<<20)), w)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "f0.dll") {
		t.Errorf("cancelled in a file's contents: %v", err)
	}
}

// cancellingWriter cancels after reading some of the first file's
// contents.
type cancellingWriter struct {
	Recorder
	cancel context.CancelFunc
}

func (w *cancellingWriter) Add(name string, info BasicInfo, stream io.Reader) error {
	if info.IsDir() {
		_, err := io.Copy(io.Discard, stream)
		return err
	}
	if _, err := io.CopyN(io.Discard, stream, 1000); err != nil {
		return err
	}
	w.cancel()
	_, err := io.Copy(io.Discard, stream)
	return err
}

// TestTranslateWriterFails checks that a writer's error is reported with
// the entry, and stops the translation.
func TestTranslateWriterFails(t *testing.T) {
	boom := errors.New("disk full")
	r := &Recorder{Fail: func(op Op) error {
		if op.Name == "Files/Windows/System32/cmd.exe" {
			return boom
		}
		return nil
	}}
	_, err := Translate(context.Background(), bytes.NewReader(layertartest.Base()), r)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "writing Files/Windows/System32/cmd.exe") {
		t.Errorf("error %v", err)
	}
}

// lazyWriter reads nothing of the streams it gets.
type lazyWriter struct{ Recorder }

func (w *lazyWriter) Add(name string, info BasicInfo, stream io.Reader) error {
	return w.record(Op{Kind: OpAdd, Name: name, Info: info})
}

// TestTranslateUnreadStream checks that a writer that does not read a
// stream does not throw the translation off: the alternate data stream
// after a file is still consumed, the next entry still found.
func TestTranslateUnreadStream(t *testing.T) {
	var w lazyWriter
	sum, err := Translate(context.Background(), bytes.NewReader(layertartest.Base()), &w)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Ops()) != 19 || sum.DataBytes != 93 {
		t.Errorf("%d calls, %d data bytes; want 19, 93", len(w.Ops()), sum.DataBytes)
	}
}

// TestTranslateTrailingData checks that Translate reads its input to the
// end, past the tar's end: a digest verified at EOF covers it all.
func TestTranslateTrailingData(t *testing.T) {
	in := append(layertartest.Tar([]layertartest.Entry{{Name: "Files", Type: tar.TypeDir}}), make([]byte, 4096)...)
	sum, err := Translate(context.Background(), bytes.NewReader(in), &Recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.TarBytes != int64(len(in)) {
		t.Errorf("read %d bytes of %d", sum.TarBytes, len(in))
	}
}

// TestTranslateOtherRecords checks that PAX records of other vendors are
// ignored, that a missing fileattr gives a directory its attribute, and
// that libarchive's symlink type marks a directory link.
func TestTranslateOtherRecords(t *testing.T) {
	var r Recorder
	_, err := Translate(context.Background(), bytes.NewReader(layertartest.Tar([]layertartest.Entry{
		{Name: "Files", Type: tar.TypeDir, Records: map[string]string{"SCHILY.xattr.user.x": "1", "LIBARCHIVE.xattr.y": "2"}},
		{Name: "Files/dirlink", Type: tar.TypeSymlink, Link: "../x", Records: map[string]string{"LIBARCHIVE.symlinktype": "dir"}},
	})), &r)
	if err != nil {
		t.Fatal(err)
	}
	ops := r.Ops()
	if ops[0].Info.Attributes != AttributeDirectory || ops[1].Info.Attributes != AttributeDirectory|AttributeReparsePoint {
		t.Errorf("attributes %#x, %#x", ops[0].Info.Attributes, ops[1].Info.Attributes)
	}
}

// TestHostileHeaders checks that headers announcing huge sizes cost no
// memory: archive/tar caps PAX headers and long names at 1 MiB, and
// contents are streamed.
func TestHostileHeaders(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"huge PAX header", append(rawHeader("PaxHeaders/x", 'x', 1<<40), make([]byte, 2<<20)...)},
		{"huge long name", append(rawHeader("././@LongLink", 'L', 1<<40), make([]byte, 2<<20)...)},
		{"huge file", append(layertartest.Tar([]layertartest.Entry{{Name: "Files", Type: tar.TypeDir}})[:1536], rawHeader("Files/big", '0', 1<<60)...)},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Translate(context.Background(), bytes.NewReader(tc.in), &lazyWriter{})
		runtime.ReadMemStats(&after)
		if err == nil || strings.Contains(err.Error(), "invalid tar header") {
			t.Errorf("%s: error %v, want one about the size", tc.name, err)
		}
		t.Logf("%s: %v", tc.name, err)
		if n := after.TotalAlloc - before.TotalAlloc; n > 8<<20 {
			t.Errorf("%s: allocated %d bytes", tc.name, n)
		}
	}
}

// rawHeader returns a ustar header block with the size field set as
// given (base-256 when it does not fit octal), and no data.
func rawHeader(name string, typ byte, size int64) []byte {
	b := make([]byte, 512)
	copy(b, name)
	copy(b[100:], "0000644\x00")
	copy(b[257:], "ustar\x0000")
	b[156] = typ
	b[124] = 0x80
	for i := 0; i < 8; i++ {
		b[135-i] = byte(size >> (8 * i))
	}
	copy(b[148:], "        ")
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:], append(octal(sum), 0, ' '))
	return append(b, make([]byte, 1024)...)
}

func octal(n int) []byte {
	s := []byte("000000")
	for i := 5; i >= 0; i-- {
		s[i] = byte('0' + n%8)
		n /= 8
	}
	return s
}
