package layertar

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/gohcs/hcs/backupstream"
)

// ErrOpaqueDirectory is wrapped by Translate's error for a tar with an
// opaque whiteout (".wh..wh..opq"): Windows layers record deletions file
// by file, and ImportLayer has no way to hide all of a parent's directory.
var ErrOpaqueDirectory = errors.New("opaque whiteout: Windows layers cannot hide a whole directory of their parents")

// Summary counts what Translate passed to the writer.
type Summary struct {
	Files       int   // regular files, Add
	Directories int   // directories, Add
	Symlinks    int   // symbolic links and junctions, Add
	Links       int   // hard links, AddLink
	Removed     int   // whiteouts, Remove
	DataBytes   int64 // bytes of file contents and alternate data streams
	TarBytes    int64 // bytes read from the tar, to its end
	// UtilityVM reports whether the layer has a UtilityVM folder (the
	// utility VM image that Hyper-V isolation boots; base layers only).
	UtilityVM bool
}

// Translate reads the Windows layer tarball r (uncompressed) and drives w
// with its entries, translated into Win32 backup streams.
//
// A Windows layer tar holds Files/ (the container's C:\), Hives/ (registry
// hive deltas) and, in base layers, UtilityVM/Files/. Windows metadata is
// in PAX records: MSWINDOWS.fileattr (attributes), MSWINDOWS.rawsd (the
// security descriptor; MSWINDOWS.sd, its older SDDL form, converts only
// on Windows), MSWINDOWS.xattr.NAME (extended attributes),
// MSWINDOWS.mountpoint (a symbolic link entry that is a junction) and
// LIBARCHIVE.creationtime. An entry "Files/a.txt:NAME" right after
// "Files/a.txt" is its alternate data stream NAME. A ".wh.NAME" entry
// deletes NAME (Remove); a hard link entry is AddLink. PAX records of
// other vendors (Unix metadata) are ignored; an unknown MSWINDOWS record
// is an error, since its meaning would be lost.
//
// Translate checks every entry before w sees it, and fails, naming the
// entry, for: a name that is absolute, climbs with "..", holds characters
// Windows names cannot, or lies outside the three folders; the same name
// twice (Windows compares names case-insensitively); a whiteout or hard
// link outside Files/ and UtilityVM/Files/; an alternate data stream that
// does not follow its file; an opaque whiteout (ErrOpaqueDirectory);
// device, FIFO, sparse and other entry types; metadata it cannot parse. Memory use
// is bounded per entry (archive/tar caps PAX headers at 1 MiB) and grows
// with the number of entries only by a set of their names.
//
// A tar that ends without its end-of-archive marker is an error: archive/tar
// takes a tar cut at an entry's boundary for a complete one. (A cut right
// after contents that end with 1024 zero bytes still passes: verify the
// layer's digest, as package images does, to catch every truncation.)
// Translate reads r to its end, also past the tar's end-of-archive marker,
// so that a reader that verifies a digest at EOF sees all of it. It checks
// ctx between entries and while copying contents, and returns ctx's error
// when it ends. It does not close w. The Summary counts what was
// translated, also when Translate fails.
func Translate(ctx context.Context, r io.Reader, w Writer) (Summary, error) {
	in := &countingReader{r: r}
	t := &translator{ctx: ctx, w: w, in: in, tr: tar.NewReader(in), seen: make(map[string]string)}
	err := t.run()
	if err == nil {
		_, err = io.Copy(io.Discard, &ctxReader{ctx: ctx, r: in})
		if err != nil {
			err = fmt.Errorf("layertar: reading past the end of the tar: %w", err)
		}
	}
	t.sum.TarBytes = in.n
	return t.sum, err
}

// translator is one run of Translate.
type translator struct {
	ctx  context.Context
	w    Writer
	in   *countingReader
	tr   *tar.Reader
	sum  Summary
	last string // the last entry's name, for errors between entries
	// pending is the header read ahead while looking for alternate data
	// streams; eof is set when that look-ahead found the tar's end.
	pending *tar.Header
	eof     bool
	// seen maps the folded name of every entry so far to what it was.
	seen map[string]string
}

func (t *translator) run() error {
	for {
		if err := t.ctx.Err(); err != nil {
			return err
		}
		hdr, err := t.next()
		if err == io.EOF {
			// archive/tar also reports a clean io.EOF for a tar cut at a
			// header, or after one block of the two-block marker.
			if t.in.zeros < endMarker {
				return t.readError(errors.New("the tar ends without its end-of-archive marker"))
			}
			return nil
		}
		if err != nil {
			return t.readError(err)
		}
		if err := t.entry(hdr); err != nil {
			return err
		}
	}
}

// next returns the next header, the look-ahead one first.
func (t *translator) next() (*tar.Header, error) {
	if hdr := t.pending; hdr != nil {
		t.pending = nil
		return hdr, nil
	}
	if t.eof {
		return nil, io.EOF
	}
	return t.tr.Next()
}

func (t *translator) readError(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	if t.last == "" {
		return fmt.Errorf("layertar: reading the tar: %w", err)
	}
	return fmt.Errorf("layertar: reading the tar after %s: %w", t.last, err)
}

// entry translates one entry (and the alternate data streams after it).
func (t *translator) entry(hdr *tar.Header) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		for k := range hdr.PAXRecords {
			if k != "comment" {
				return fmt.Errorf("layertar: global PAX header after %q with record %s: not supported", t.last, k)
			}
		}
		return nil
	}
	name, stream, err := cleanName(hdr.Name)
	if err != nil {
		return fmt.Errorf("layertar: entry %q: %v", hdr.Name, err)
	}
	t.last = name
	fail := func(format string, args ...any) error {
		return fmt.Errorf("layertar: %s: %s", name, fmt.Sprintf(format, args...))
	}
	if stream != "" {
		return fail("alternate data stream %q does not follow its file", stream)
	}
	if err := checkRoot(name); err != nil {
		return fail("%v", err)
	}
	if base := path.Base(name); strings.HasPrefix(base, whiteoutPrefix) {
		return t.whiteout(name, base)
	}
	if strings.Contains("/"+name, "/"+whiteoutPrefix) {
		return fail("a whiteout (%s) can only be the last element of a name", whiteoutPrefix)
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			// A sparse file's holes cost no input: a tiny tar could
			// make Translate write without end.
			return fail("a sparse file (PAX record %s): Windows layers have none", k)
		}
	}
	switch hdr.Typeflag {
	case tar.TypeLink:
		return t.link(name, hdr)
	case tar.TypeReg, tar.TypeDir, tar.TypeSymlink:
		return t.add(name, hdr)
	}
	return fail("entry type %q: not a file, directory or link", hdr.Typeflag)
}

// claim records name as taken by an entry of kind, failing if it was
// taken already.
func (t *translator) claim(name, kind string) error {
	k := fold(name)
	if prev, ok := t.seen[k]; ok {
		return fmt.Errorf("layertar: %s: %s of a name that was already %s (Windows names are case-insensitive)", name, kind, prev)
	}
	t.seen[k] = kind
	return nil
}

func (t *translator) whiteout(name, base string) error {
	dir := path.Dir(name)
	if base == opaqueWhiteout {
		return fmt.Errorf("layertar: %s: %w", dir, ErrOpaqueDirectory)
	}
	target := path.Join(dir, strings.TrimPrefix(base, whiteoutPrefix))
	if target == dir {
		return fmt.Errorf("layertar: %s: whiteout of no name", name)
	}
	if !below(target, filesDir) && !below(target, uvmFilesDir) {
		return fmt.Errorf("layertar: %s: whiteout outside Files/ and UtilityVM/Files/", name)
	}
	if err := t.claim(target, "removed"); err != nil {
		return err
	}
	if err := t.w.Remove(target); err != nil {
		return writerError("removing", target, err)
	}
	t.sum.Removed++
	return nil
}

func (t *translator) link(name string, hdr *tar.Header) error {
	target, stream, err := cleanName(hdr.Linkname)
	if err == nil && stream != "" {
		err = errors.New("names an alternate data stream")
	}
	if err != nil {
		return fmt.Errorf("layertar: %s: hard link target %q: %v", name, hdr.Linkname, err)
	}
	inFiles := func(n string) bool { return below(n, filesDir) || below(n, uvmFilesDir) }
	if !inFiles(name) || !inFiles(target) {
		return fmt.Errorf("layertar: %s: hard link to %s: both must lie in Files/ or UtilityVM/Files/", name, target)
	}
	switch kind := t.seen[fold(target)]; kind {
	case "a directory", "removed":
		return fmt.Errorf("layertar: %s: hard link to %s, which is %s", name, target, kind)
	}
	if err := t.claim(name, "a hard link"); err != nil {
		return err
	}
	if err := t.w.AddLink(name, target); err != nil {
		return writerError("linking", name, err)
	}
	t.sum.Links++
	return nil
}

func (t *translator) add(name string, hdr *tar.Header) error {
	m, err := readMeta(hdr)
	if err != nil {
		return fmt.Errorf("layertar: %s: %w", name, err)
	}
	if under(name, utilityVMDir) {
		t.sum.UtilityVM = true
	}
	if name == filesDir || name == hivesDir || name == utilityVMDir || name == uvmFilesDir {
		if hdr.Typeflag != tar.TypeDir {
			return fmt.Errorf("layertar: %s: not a directory", name)
		}
	}
	kind := "a file"
	switch hdr.Typeflag {
	case tar.TypeDir:
		kind = "a directory"
	case tar.TypeSymlink:
		kind = "a symbolic link"
	}
	if err := t.claim(name, kind); err != nil {
		return err
	}

	// The streams before the contents, in the order go-winio writes them.
	var prefix bytes.Buffer
	bw := backupstream.NewWriter(&prefix)
	for _, s := range []struct {
		id   backupstream.ID
		data []byte
	}{{backupstream.SecurityData, m.sd}, {backupstream.EAData, m.eas}, {backupstream.ReparseData, m.reparse}} {
		if s.data == nil {
			continue
		}
		if err := bw.WriteHeader(&backupstream.Header{ID: s.id, Size: int64(len(s.data))}); err != nil {
			return fmt.Errorf("layertar: %s: %w", name, err)
		}
		bw.Write(s.data)
	}
	s := &stream{t: t, name: name}
	if hdr.Typeflag == tar.TypeReg {
		if err := bw.WriteHeader(&backupstream.Header{ID: backupstream.Data, Size: hdr.Size}); err != nil {
			return fmt.Errorf("layertar: %s: %w", name, err)
		}
		s.left = hdr.Size
	}
	s.buf = prefix.Bytes()

	err = t.w.Add(name, m.info, s)
	if err == nil && !s.done {
		// A writer that stopped reading early: the look-ahead for
		// alternate data streams still has to happen.
		_, err = io.Copy(io.Discard, s)
	}
	if s.err != nil {
		// The input failed (or ctx ended), whatever the writer made of it.
		return s.err
	}
	if err != nil {
		return writerError("writing", name, err)
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		t.sum.Directories++
	case tar.TypeSymlink:
		t.sum.Symlinks++
	default:
		t.sum.Files++
	}
	return nil
}

// writerError returns a writer's error, naming the entry unless the error
// does already (the writers of this package do).
func writerError(op, name string, err error) error {
	if strings.Contains(err.Error(), name) {
		return err
	}
	return fmt.Errorf("layertar: %s %s: %w", op, name, err)
}

// stream is the backup stream of one entry, produced as the writer reads
// it: the buffered headers and metadata, the contents straight from the
// tar, then each alternate data stream found by reading ahead.
type stream struct {
	t    *translator
	name string
	buf  []byte // header bytes not yet read
	left int64  // contents not yet read
	done bool   // the look-ahead found no further stream
	err  error  // the input's error, sticky
}

func (s *stream) Read(p []byte) (int, error) {
	for {
		switch {
		case s.err != nil:
			return 0, s.err
		case len(p) == 0:
			return 0, nil
		case len(s.buf) > 0:
			n := copy(p, s.buf)
			s.buf = s.buf[n:]
			return n, nil
		case s.left > 0:
			if err := s.t.ctx.Err(); err != nil {
				return 0, s.fail(fmt.Errorf("layertar: %s: %w", s.name, err))
			}
			if int64(len(p)) > s.left {
				p = p[:s.left]
			}
			n, err := s.t.tr.Read(p)
			s.left -= int64(n)
			s.t.sum.DataBytes += int64(n)
			if err == io.EOF && s.left > 0 || err != nil && err != io.EOF {
				return n, s.fail(fmt.Errorf("layertar: %s: reading its contents: %w", s.name, unexpected(err)))
			}
			return n, nil
		case s.done:
			return 0, io.EOF
		}
		if err := s.lookAhead(); err != nil {
			return 0, s.fail(err)
		}
	}
}

// lookAhead reads the next header: an alternate data stream of this entry
// continues the stream, anything else is left for the translator.
func (s *stream) lookAhead() error {
	t := s.t
	hdr, err := t.tr.Next()
	if err == io.EOF {
		t.eof, s.done = true, true
		return nil
	}
	if err != nil {
		return t.readError(err)
	}
	name, ads, err := cleanName(hdr.Name)
	if err != nil || ads == "" || name != s.name || hdr.Typeflag != tar.TypeReg {
		t.pending, s.done = hdr, true
		return nil
	}
	var b bytes.Buffer
	h := &backupstream.Header{ID: backupstream.AlternateData, Size: hdr.Size, Name: ":" + ads + ":$DATA"}
	if err := backupstream.NewWriter(&b).WriteHeader(h); err != nil {
		return fmt.Errorf("layertar: %s:%s: %w", s.name, ads, err)
	}
	if err := t.claim(s.name+":"+ads, "an alternate data stream"); err != nil {
		return err
	}
	s.buf, s.left = b.Bytes(), hdr.Size
	return nil
}

func (s *stream) fail(err error) error {
	s.err = err
	return err
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// endMarker is the size of a tar's end-of-archive marker: two zero blocks.
const endMarker = 1024

// countingReader counts the bytes read through it, and how many zero bytes
// the bytes read so far end with.
type countingReader struct {
	r     io.Reader
	n     int64
	zeros int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	i := n
	for i > 0 && p[i-1] == 0 {
		i--
	}
	if i == 0 {
		c.zeros += int64(n)
	} else {
		c.zeros = int64(n - i)
	}
	return n, err
}

// ctxReader reads r until ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
