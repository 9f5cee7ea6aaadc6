package layertar

import (
	"encoding/binary"
	"fmt"
)

// Security descriptor layout (winnt.h): the self-relative form that
// BACKUP_SECURITY_DATA holds and BackupWrite applies.
const (
	sdHeaderSize   = 20     // Revision, Sbz1, Control, four offsets
	seSelfRelative = 0x8000 // SE_SELF_RELATIVE
	seDACLPresent  = 0x0004 // SE_DACL_PRESENT
	seSACLPresent  = 0x0010 // SE_SACL_PRESENT
	aclHeaderSize  = 8      // AclRevision, Sbz1, AclSize, AceCount, Sbz2
	aceHeaderSize  = 4      // AceType, AceFlags, AceSize
	maxSubAuths    = 15     // SID_MAX_SUB_AUTHORITIES
)

// checkSecurityDescriptor checks that sd is a self-relative security
// descriptor whose parts lie inside it: what BackupWrite would refuse on
// Windows is refused here on every OS, before anything is written.
func checkSecurityDescriptor(sd []byte) error {
	if len(sd) < sdHeaderSize {
		return fmt.Errorf("security descriptor of %d bytes, want at least %d", len(sd), sdHeaderSize)
	}
	le := binary.LittleEndian
	if sd[0] != 1 {
		return fmt.Errorf("security descriptor revision %d, want 1", sd[0])
	}
	control := le.Uint16(sd[2:])
	if control&seSelfRelative == 0 {
		return fmt.Errorf("security descriptor is not self-relative (control %#04x)", control)
	}
	owner, group, sacl, dacl := le.Uint32(sd[4:]), le.Uint32(sd[8:]), le.Uint32(sd[12:]), le.Uint32(sd[16:])
	for _, p := range []struct {
		what string
		off  uint32
		acl  bool
	}{{"owner", owner, false}, {"group", group, false}, {"SACL", sacl, true}, {"DACL", dacl, true}} {
		if p.off == 0 {
			continue
		}
		if p.off < sdHeaderSize || uint64(p.off) >= uint64(len(sd)) {
			return fmt.Errorf("security descriptor's %s at offset %d lies outside its %d bytes", p.what, p.off, len(sd))
		}
		var err error
		if p.acl {
			err = checkACL(sd[p.off:])
		} else {
			err = checkSID(sd[p.off:])
		}
		if err != nil {
			return fmt.Errorf("security descriptor's %s: %w", p.what, err)
		}
	}
	if sacl != 0 && control&seSACLPresent == 0 || dacl != 0 && control&seDACLPresent == 0 {
		return fmt.Errorf("security descriptor has an ACL its control (%#04x) does not announce", control)
	}
	return nil
}

// checkSID checks the SID at the start of b.
func checkSID(b []byte) error {
	if len(b) < 8 {
		return fmt.Errorf("SID of %d bytes", len(b))
	}
	if b[0] != 1 || b[1] > maxSubAuths {
		return fmt.Errorf("SID revision %d with %d sub-authorities", b[0], b[1])
	}
	if n := 8 + 4*int(b[1]); n > len(b) {
		return fmt.Errorf("SID of %d bytes runs past the descriptor", n)
	}
	return nil
}

// checkACL checks the ACL at the start of b and the sizes of its ACEs.
func checkACL(b []byte) error {
	if len(b) < aclHeaderSize {
		return fmt.Errorf("ACL of %d bytes", len(b))
	}
	le := binary.LittleEndian
	rev, size, count := b[0], int(le.Uint16(b[2:])), int(le.Uint16(b[4:]))
	if rev < 2 || rev > 4 {
		return fmt.Errorf("ACL revision %d, want 2 to 4", rev)
	}
	if size < aclHeaderSize || size > len(b) {
		return fmt.Errorf("ACL of %d bytes in %d", size, len(b))
	}
	off := aclHeaderSize
	for i := range count {
		if off+aceHeaderSize > size {
			return fmt.Errorf("ACE %d of %d runs past the ACL's %d bytes", i, count, size)
		}
		n := int(le.Uint16(b[off+2:]))
		if n < aceHeaderSize || n%4 != 0 || off+n > size {
			return fmt.Errorf("ACE %d of %d bytes at offset %d does not fit the ACL's %d bytes", i, n, off, size)
		}
		off += n
	}
	return nil
}
