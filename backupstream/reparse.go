package backupstream

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode/utf16"
)

// Reparse tags of the reparse points EncodeReparsePoint writes.
const (
	TagMountPoint = 0xA0000003 // IO_REPARSE_TAG_MOUNT_POINT: a junction
	TagSymlink    = 0xA000000C // IO_REPARSE_TAG_SYMLINK
)

// symlinkRelative is SYMLINK_FLAG_RELATIVE.
const symlinkRelative = 0x1

// ReparsePoint is a symbolic link or a mount point (junction), the payload
// of a ReparseData stream.
type ReparsePoint struct {
	// Target is where the link points, as Windows prints it: an absolute
	// path such as `C:\Users`, `\\server\share` or `\\?\C:\x`, or a
	// relative one such as `..\lib`. An NT path (`\??\C:\Users`) is
	// accepted too.
	Target string
	// MountPoint makes it a junction; a junction's target is absolute.
	MountPoint bool
}

// Relative reports whether the link's target is relative to the link.
func (rp ReparsePoint) Relative() bool {
	_, rel := ntPath(rp.Target)
	return rel
}

// ntPath returns the NT form of a target, and whether it is relative.
func ntPath(target string) (string, bool) {
	switch {
	case strings.HasPrefix(target, `\??\`):
		return target, false
	case strings.HasPrefix(target, `\\?\`):
		return `\??\` + target[4:], false
	case strings.HasPrefix(target, `\\`):
		return `\??\UNC\` + target[2:], false
	case len(target) >= 2 && target[1] == ':' && ('a' <= target[0]|0x20 && target[0]|0x20 <= 'z'):
		return `\??\` + target, false
	}
	return target, true
}

// printName returns the form of an NT path people read.
func printName(nt string) string {
	switch {
	case strings.HasPrefix(nt, `\??\UNC\`):
		return `\\` + nt[len(`\??\UNC\`):]
	case strings.HasPrefix(nt, `\??\`):
		return nt[len(`\??\`):]
	}
	return nt
}

// EncodeReparsePoint returns the REPARSE_DATA_BUFFER of rp: the substitute
// name (the NT path) then the print name, each NUL-terminated. It fails for
// an empty target, a relative junction, and a target too long for the
// buffer's 16-bit lengths.
func EncodeReparsePoint(rp ReparsePoint) ([]byte, error) {
	nt, relative := ntPath(rp.Target)
	if rp.Target == "" || strings.IndexByte(rp.Target, 0) >= 0 {
		return nil, fmt.Errorf("backupstream: reparse point target %q: empty or holds a NUL", rp.Target)
	}
	if rp.MountPoint && relative {
		return nil, fmt.Errorf("backupstream: mount point target %q is relative", rp.Target)
	}
	sub := utf16.Encode([]rune(nt + "\x00"))
	print := utf16.Encode([]rune(printName(nt) + "\x00"))
	tag, fixed := uint32(TagSymlink), 12
	if rp.MountPoint {
		tag, fixed = TagMountPoint, 8
	}
	dataLen := fixed + 2*(len(sub)+len(print))
	if dataLen > math.MaxUint16 {
		return nil, fmt.Errorf("backupstream: reparse point target of %d characters is too long", len(sub)-1)
	}
	le := binary.LittleEndian
	b := make([]byte, 0, 8+dataLen)
	b = le.AppendUint32(b, tag)
	b = le.AppendUint16(b, uint16(dataLen))
	b = le.AppendUint16(b, 0)
	b = le.AppendUint16(b, 0)                        // SubstituteNameOffset
	b = le.AppendUint16(b, uint16(2*(len(sub)-1)))   // SubstituteNameLength
	b = le.AppendUint16(b, uint16(2*len(sub)))       // PrintNameOffset
	b = le.AppendUint16(b, uint16(2*(len(print)-1))) // PrintNameLength
	if !rp.MountPoint {
		flags := uint32(0)
		if relative {
			flags = symlinkRelative
		}
		b = le.AppendUint32(b, flags)
	}
	for _, c := range sub {
		b = le.AppendUint16(b, c)
	}
	for _, c := range print {
		b = le.AppendUint16(b, c)
	}
	return b, nil
}

// DecodeReparsePoint parses a REPARSE_DATA_BUFFER holding a symbolic link
// or a mount point, and returns its target as Windows prints it (the print
// name, or the substitute name without its `\??\` when the print name is
// empty). It fails for another tag, saying which, and for names that lie
// outside the buffer.
func DecodeReparsePoint(b []byte) (ReparsePoint, error) {
	le := binary.LittleEndian
	if len(b) < 8 {
		return ReparsePoint{}, fmt.Errorf("backupstream: reparse point of %d bytes, want at least 8", len(b))
	}
	tag := le.Uint32(b)
	dataLen := int(le.Uint16(b[4:]))
	if 8+dataLen > len(b) {
		return ReparsePoint{}, fmt.Errorf("backupstream: reparse point announces %d bytes of data, has %d", dataLen, len(b)-8)
	}
	data := b[8 : 8+dataLen]
	var rp ReparsePoint
	fixed := 12
	switch tag {
	case TagSymlink:
	case TagMountPoint:
		rp.MountPoint, fixed = true, 8
	default:
		return ReparsePoint{}, fmt.Errorf("backupstream: reparse point with tag %#08x: not a symbolic link or mount point", tag)
	}
	if len(data) < fixed {
		return ReparsePoint{}, fmt.Errorf("backupstream: reparse point data of %d bytes, want at least %d", len(data), fixed)
	}
	names := data[fixed:]
	str := func(off, n uint16) (string, error) {
		if n%2 != 0 || int(off)+int(n) > len(names) {
			return "", fmt.Errorf("backupstream: reparse point name at %d+%d lies outside its %d bytes", off, n, len(names))
		}
		u := make([]uint16, n/2)
		for i := range u {
			u[i] = le.Uint16(names[int(off)+2*i:])
		}
		return string(utf16.Decode(u)), nil
	}
	sub, err := str(le.Uint16(data[0:]), le.Uint16(data[2:]))
	if err != nil {
		return ReparsePoint{}, err
	}
	pr, err := str(le.Uint16(data[4:]), le.Uint16(data[6:]))
	if err != nil {
		return ReparsePoint{}, err
	}
	rp.Target = pr
	if pr == "" {
		rp.Target = printName(sub)
	}
	return rp, nil
}
