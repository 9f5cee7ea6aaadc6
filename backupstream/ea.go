package backupstream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
)

// EA is one extended attribute of a file: an entry of the
// FILE_FULL_EA_INFORMATION list that an EAData stream holds.
type EA struct {
	// Name is 1 to 255 bytes, without NUL. NTFS stores names upper-cased.
	Name string
	// Value is at most 65535 bytes.
	Value []byte
	// Flags is 0 or FILE_NEED_EA (0x80).
	Flags uint8
}

// eaHeaderSize is FILE_FULL_EA_INFORMATION up to its name: NextEntryOffset
// (4), Flags (1), EaNameLength (1), EaValueLength (2).
const eaHeaderSize = 8

// EncodeEAs returns the FILE_FULL_EA_INFORMATION list of eas, as an EAData
// stream holds it: each entry padded to 4 bytes, the last one's
// NextEntryOffset 0. It fails for an empty list, a name that is empty,
// longer than 255 bytes or holds a NUL, and a value longer than 65535
// bytes.
func EncodeEAs(eas []EA) ([]byte, error) {
	if len(eas) == 0 {
		return nil, errors.New("backupstream: no extended attributes to encode")
	}
	var b []byte
	for i, ea := range eas {
		if ea.Name == "" || len(ea.Name) > math.MaxUint8 || strings.IndexByte(ea.Name, 0) >= 0 {
			return nil, fmt.Errorf("backupstream: extended attribute name %q: want 1 to 255 bytes, no NUL", ea.Name)
		}
		if len(ea.Value) > math.MaxUint16 {
			return nil, fmt.Errorf("backupstream: extended attribute %s: value of %d bytes, more than 65535", ea.Name, len(ea.Value))
		}
		size := eaHeaderSize + len(ea.Name) + 1 + len(ea.Value)
		padded := (size + 3) &^ 3
		next := 0
		if i < len(eas)-1 {
			next = padded
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(next))
		b = append(b, ea.Flags, uint8(len(ea.Name)))
		b = binary.LittleEndian.AppendUint16(b, uint16(len(ea.Value)))
		b = append(b, ea.Name...)
		b = append(b, 0)
		b = append(b, ea.Value...)
		b = append(b, make([]byte, padded-size)...)
	}
	return b, nil
}

// DecodeEAs parses a FILE_FULL_EA_INFORMATION list. It fails, saying where,
// for an entry that runs past b, a name without its NUL, and an offset
// that does not move forward.
func DecodeEAs(b []byte) ([]EA, error) {
	var eas []EA
	for off := 0; ; {
		rest := b[off:]
		if len(rest) < eaHeaderSize {
			return nil, fmt.Errorf("backupstream: extended attribute at offset %d: %d bytes, want at least %d", off, len(rest), eaHeaderSize)
		}
		next := int(binary.LittleEndian.Uint32(rest))
		nameLen := int(rest[5])
		valueLen := int(binary.LittleEndian.Uint16(rest[6:]))
		size := eaHeaderSize + nameLen + 1 + valueLen
		if size > len(rest) || (next != 0 && next < size) {
			return nil, fmt.Errorf("backupstream: extended attribute at offset %d runs past its entry", off)
		}
		name := rest[eaHeaderSize : eaHeaderSize+nameLen]
		if nameLen == 0 || rest[eaHeaderSize+nameLen] != 0 {
			return nil, fmt.Errorf("backupstream: extended attribute at offset %d: name is empty or not NUL-terminated", off)
		}
		value := rest[eaHeaderSize+nameLen+1 : size]
		eas = append(eas, EA{Name: string(name), Value: append([]byte(nil), value...), Flags: rest[4]})
		if next == 0 {
			return eas, nil
		}
		if next > len(rest) {
			return nil, fmt.Errorf("backupstream: extended attribute at offset %d points past the list", off)
		}
		off += next
	}
}
