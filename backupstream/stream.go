package backupstream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"unicode/utf16"
)

// ID identifies the kind of a stream (WIN32_STREAM_ID.dwStreamId).
type ID uint32

// Stream kinds, as winbase.h numbers them.
const (
	Data          ID = 1  // BACKUP_DATA: the file's unnamed data stream
	EAData        ID = 2  // BACKUP_EA_DATA: extended attributes (see EncodeEAs)
	SecurityData  ID = 3  // BACKUP_SECURITY_DATA: a self-relative security descriptor
	AlternateData ID = 4  // BACKUP_ALTERNATE_DATA: a named data stream
	Link          ID = 5  // BACKUP_LINK: hard link information
	PropertyData  ID = 6  // BACKUP_PROPERTY_DATA
	ObjectID      ID = 7  // BACKUP_OBJECT_ID
	ReparseData   ID = 8  // BACKUP_REPARSE_DATA: a reparse point (see EncodeReparsePoint)
	SparseBlock   ID = 9  // BACKUP_SPARSE_BLOCK: one allocated range of a sparse file
	TxfsData      ID = 10 // BACKUP_TXFS_DATA
)

var idNames = [...]string{
	Data: "BACKUP_DATA", EAData: "BACKUP_EA_DATA", SecurityData: "BACKUP_SECURITY_DATA",
	AlternateData: "BACKUP_ALTERNATE_DATA", Link: "BACKUP_LINK", PropertyData: "BACKUP_PROPERTY_DATA",
	ObjectID: "BACKUP_OBJECT_ID", ReparseData: "BACKUP_REPARSE_DATA", SparseBlock: "BACKUP_SPARSE_BLOCK",
	TxfsData: "BACKUP_TXFS_DATA",
}

// String returns the winbase.h name of id, such as "BACKUP_DATA", or
// "stream 0x2a" for an id it does not know.
func (id ID) String() string {
	if id > 0 && int(id) < len(idNames) {
		return idNames[id]
	}
	return fmt.Sprintf("stream %#x", uint32(id))
}

// Stream attributes (WIN32_STREAM_ID.dwStreamAttributes).
const (
	AttrModifiedWhenRead   = 0x1
	AttrContainsSecurity   = 0x2
	AttrContainsProperties = 0x4
	AttrSparse             = 0x8
)

// MaxNameSize is the largest stream name a Reader accepts, in bytes of
// UTF-16: an NTFS stream name has at most 255 characters, and the backup
// stream spells it ":name:$DATA".
const MaxNameSize = 2 * (1 + 255 + len(":$DATA"))

// headerSize is the size of WIN32_STREAM_ID without its name: four
// DWORDs and a LARGE_INTEGER, packed.
const headerSize = 20

// Header describes one stream of a backup stream.
type Header struct {
	ID         ID
	Attributes uint32
	// Size is the number of data bytes that follow the header. For a
	// SparseBlock it excludes the 8-byte offset that precedes the data.
	Size int64
	// Name is the stream's name, for AlternateData: ":name:$DATA".
	Name string
	// Offset is where a SparseBlock's data goes in the file.
	Offset int64
}

// ErrHeader is wrapped by the errors of a Reader for a malformed header.
var ErrHeader = errors.New("backupstream: malformed stream header")

// Reader reads the streams of a backup stream in order, like tar.Reader:
// Next moves to the next stream and Read reads its data.
type Reader struct {
	r    io.Reader
	left int64 // unread data bytes of the current stream
	err  error // sticky error
	buf  [headerSize]byte
}

// NewReader returns a Reader that reads a backup stream from r.
func NewReader(r io.Reader) *Reader { return &Reader{r: r} }

// Next skips what remains of the current stream and returns the header of
// the next one. It returns io.EOF at the end of a well-formed backup stream,
// io.ErrUnexpectedEOF when r ends inside a header or a stream, and an error
// wrapping ErrHeader for a header that cannot be right.
func (r *Reader) Next() (*Header, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.left > 0 {
		if _, err := io.CopyN(io.Discard, r.r, r.left); err != nil {
			return nil, r.fail(unexpected(err))
		}
		r.left = 0
	}
	if _, err := io.ReadFull(r.r, r.buf[:]); err != nil {
		if err != io.EOF {
			err = unexpected(err)
		}
		return nil, r.fail(err)
	}
	le := binary.LittleEndian
	h := &Header{ID: ID(le.Uint32(r.buf[0:])), Attributes: le.Uint32(r.buf[4:])}
	size := le.Uint64(r.buf[8:])
	nameSize := le.Uint32(r.buf[16:])
	if size > math.MaxInt64 {
		return nil, r.fail(fmt.Errorf("%w: %v of %d bytes", ErrHeader, h.ID, size))
	}
	h.Size = int64(size)
	if nameSize%2 != 0 || nameSize > uint32(MaxNameSize) {
		return nil, r.fail(fmt.Errorf("%w: %v with a name of %d bytes", ErrHeader, h.ID, nameSize))
	}
	if nameSize > 0 {
		name := make([]byte, nameSize)
		if _, err := io.ReadFull(r.r, name); err != nil {
			return nil, r.fail(unexpected(err))
		}
		u := make([]uint16, nameSize/2)
		for i := range u {
			u[i] = le.Uint16(name[2*i:])
		}
		h.Name = string(utf16.Decode(u))
	}
	if h.ID == SparseBlock {
		if h.Size < 8 {
			return nil, r.fail(fmt.Errorf("%w: %v of %d bytes, less than its offset", ErrHeader, h.ID, h.Size))
		}
		if _, err := io.ReadFull(r.r, r.buf[:8]); err != nil {
			return nil, r.fail(unexpected(err))
		}
		h.Offset = int64(le.Uint64(r.buf[:8]))
		h.Size -= 8
	}
	r.left = h.Size
	return h, nil
}

// Read reads the data of the current stream. It returns io.EOF at the end
// of the stream's data, and io.ErrUnexpectedEOF when the backup stream ends
// before it.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.r.Read(p)
	r.left -= int64(n)
	switch {
	case err == io.EOF && r.left > 0:
		return n, r.fail(io.ErrUnexpectedEOF)
	case err == io.EOF:
		err = nil
	case err != nil:
		return n, r.fail(err)
	}
	return n, err
}

func (r *Reader) fail(err error) error {
	r.err = err
	return err
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Writer writes a backup stream: WriteHeader starts a stream, Write writes
// its data.
type Writer struct {
	w    io.Writer
	left int64 // data bytes the current stream still needs
	err  error
}

// NewWriter returns a Writer that writes a backup stream to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// WriteHeader starts the stream h. It fails if the previous stream did not
// get all the bytes its header announced, for a negative size, and for a
// name that does not fit MaxNameSize.
func (w *Writer) WriteHeader(h *Header) error {
	if w.err != nil {
		return w.err
	}
	if w.left != 0 {
		return w.fail(fmt.Errorf("backupstream: previous stream is %d bytes short", w.left))
	}
	name := utf16.Encode([]rune(h.Name))
	if h.Size < 0 || h.Offset < 0 || 2*len(name) > MaxNameSize {
		return w.fail(fmt.Errorf("backupstream: cannot write %v of %d bytes named %q", h.ID, h.Size, h.Name))
	}
	size := uint64(h.Size)
	if h.ID == SparseBlock {
		size += 8
	}
	b := make([]byte, headerSize, headerSize+2*len(name)+8)
	le := binary.LittleEndian
	le.PutUint32(b[0:], uint32(h.ID))
	le.PutUint32(b[4:], h.Attributes)
	le.PutUint64(b[8:], size)
	le.PutUint32(b[16:], uint32(2*len(name)))
	for _, c := range name {
		b = le.AppendUint16(b, c)
	}
	if h.ID == SparseBlock {
		b = le.AppendUint64(b, uint64(h.Offset))
	}
	if _, err := w.w.Write(b); err != nil {
		return w.fail(err)
	}
	w.left = h.Size
	return nil
}

// Write writes data of the current stream; more than its header announced
// is an error.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if int64(len(p)) > w.left {
		return 0, w.fail(fmt.Errorf("backupstream: %d bytes more than the stream's size", int64(len(p))-w.left))
	}
	n, err := w.w.Write(p)
	w.left -= int64(n)
	if err != nil {
		return n, w.fail(err)
	}
	return n, nil
}

// Close reports whether the last stream got all its bytes. It does not
// close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.left != 0 {
		return w.fail(fmt.Errorf("backupstream: last stream is %d bytes short", w.left))
	}
	return nil
}

func (w *Writer) fail(err error) error {
	w.err = err
	return err
}
