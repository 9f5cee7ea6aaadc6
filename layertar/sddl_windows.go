package layertar

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// sddlToSecurityDescriptor converts the SDDL of an old layer's
// MSWINDOWS.sd record to a self-relative security descriptor, with
// ConvertStringSecurityDescriptorToSecurityDescriptor.
func sddlToSecurityDescriptor(sddl string) ([]byte, error) {
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return nil, err
	}
	// SAFETY: x/sys copies the descriptor into Go memory of sd.Length()
	// bytes (it frees the LocalAlloc'd one), and a self-relative
	// descriptor is one contiguous block; the bytes are copied out.
	b := unsafe.Slice((*byte)(unsafe.Pointer(sd)), sd.Length())
	return append([]byte(nil), b...), nil
}
