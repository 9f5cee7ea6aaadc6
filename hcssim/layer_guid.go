package hcssim

import (
	"crypto/sha1"
	"encoding/binary"
	"unicode/utf16"

	"github.com/gohcs/hcs/internal/backend"
)

// nameToGUIDNamespace is the namespace of the simulator's NameToGuid,
// {5d1b2e0c-6f3a-4e8b-9c47-8a1f0e2d3b6a}, in RFC 4122 (big-endian) byte
// order. The mock vmcompute.dll uses the same, so both fakes give a layer
// the same id.
var nameToGUIDNamespace = [16]byte{
	0x5d, 0x1b, 0x2e, 0x0c, 0x6f, 0x3a, 0x4e, 0x8b,
	0x9c, 0x47, 0x8a, 0x1f, 0x0e, 0x2d, 0x3b, 0x6a,
}

// nameToGUID is the simulator's NameToGuid: the RFC 4122 version-5 (SHA-1)
// UUID of the name's UTF-16LE bytes, taken exactly as given (no case
// folding), in nameToGUIDNamespace. How real HCS derives a layer's id from
// its name is not published: ids from the simulator differ from a real
// host's.
func nameToGUID(name string) backend.GUID {
	h := sha1.New()
	h.Write(nameToGUIDNamespace[:])
	units := utf16.Encode([]rune(name))
	b := make([]byte, 2*len(units))
	for i, u := range units {
		binary.LittleEndian.PutUint16(b[2*i:], u)
	}
	h.Write(b)
	sum := h.Sum(nil)
	sum[6] = sum[6]&0x0f | 0x50 // version 5
	sum[8] = sum[8]&0x3f | 0x80 // the RFC 4122 variant
	g := backend.GUID{
		Data1: binary.BigEndian.Uint32(sum[0:4]),
		Data2: binary.BigEndian.Uint16(sum[4:6]),
		Data3: binary.BigEndian.Uint16(sum[6:8]),
	}
	copy(g.Data4[:], sum[8:16])
	return g
}
