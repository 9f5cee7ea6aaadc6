//go:build windows

package vmcompute

// This file holds the mirrors of vmcompute's structures and builds the
// native arguments of a call. With the generated zsyscall_windows.go it is
// the package's whole native surface.

import (
	"fmt"
	"runtime"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/winstr"
)

// guid is a GUID in its in-memory layout (16 bytes).
type guid = backend.GUID

// filterDriver is the GraphDriverType every runtime passes as Flavour.
const filterDriver = 1

// driverInfo mirrors DriverInfo: {GraphDriverType Flavour; LPCWSTR HomeDir}.
// The enum is 32 bits, followed by padding before the pointer.
type driverInfo struct {
	Flavour uint32
	HomeDir *uint16
}

// layerDescriptor mirrors WC_LAYER_DESCRIPTOR:
// {GUID LayerId; ULONG Flags; PCWSTR Path}.
type layerDescriptor struct {
	LayerID guid
	Flags   uint32
	Path    *uint16
}

// Sizes of the mirrors on 64-bit Windows (amd64 and arm64), checked by the
// tests.
const (
	sizeofDriverInfo      = 16
	sizeofLayerDescriptor = 32
)

// args builds the native arguments of one call. Everything they point to
// is Go memory pinned until done: native code reads the DriverInfo, the
// descriptor array and the strings these point to during the call, and
// vmcompute.dll keeps no pointer to any of them once it returns.
type args struct {
	pin runtime.Pinner
}

// done unpins the call's arguments. Call it once the native call returned.
func (a *args) done() { a.pin.Unpin() }

// str converts s for a PCWSTR argument ("" is NULL) and pins it.
func (a *args) str(s string) (*uint16, error) {
	p, err := winstr.Ptr(s)
	if err != nil {
		return nil, err
	}
	if p != nil {
		// SAFETY: p is the first element of a fresh Go slice; pinning it
		// keeps the slice in place and alive until done.
		a.pin.Pin(p)
	}
	return p, nil
}

// info builds the DriverInfo of a call: Flavour 1 and HomeDir, passed as
// an empty string, never NULL, when it is "".
func (a *args) info(info backend.DriverInfo) (*driverInfo, error) {
	home, err := winstr.NonNull(info.HomeDir)
	if err != nil {
		return nil, fmt.Errorf("DriverInfo.HomeDir: %w", err)
	}
	di := &driverInfo{Flavour: filterDriver, HomeDir: home}
	// SAFETY: the DriverInfo points to home; both are pinned until done
	// so that what native code reads through them stays valid.
	a.pin.Pin(home)
	a.pin.Pin(di)
	return di, nil
}

// descriptors builds the WC_LAYER_DESCRIPTOR array of parents, in the
// caller's order (nearest first), and returns its first element and
// length; nil and 0 for no parents.
func (a *args) descriptors(parents []backend.LayerDescriptor) (*layerDescriptor, uint32, error) {
	if len(parents) == 0 {
		return nil, 0, nil
	}
	arr := make([]layerDescriptor, len(parents))
	for i, p := range parents {
		path, err := a.str(p.Path)
		if err != nil {
			return nil, 0, fmt.Errorf("layer descriptor %d: %w", i, err)
		}
		arr[i] = layerDescriptor{LayerID: p.ID, Flags: p.Flags, Path: path}
	}
	// SAFETY: the array holds pointers to the pinned path strings; it is
	// pinned itself so that it and they stay valid while native code
	// walks it.
	a.pin.Pin(&arr[0])
	return &arr[0], uint32(len(arr)), nil
}
