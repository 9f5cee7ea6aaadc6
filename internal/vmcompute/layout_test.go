//go:build windows

package vmcompute

import (
	"testing"
	"unsafe"
)

// The layouts of vmcompute's structures on 64-bit Windows (amd64 and arm64
// share them): DriverInfo is {enum (32 bits); pad; PCWSTR},
// WC_LAYER_DESCRIPTOR is {GUID; ULONG; pad; PCWSTR}. The mock vmcompute.dll
// is compiled from the same layout (layermock/vmcompute.h).
func TestLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("layout constants are those of 64-bit Windows")
	}
	checks := []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof(DriverInfo)", unsafe.Sizeof(driverInfo{}), sizeofDriverInfo},
		{"DriverInfo.Flavour", unsafe.Offsetof(driverInfo{}.Flavour), 0},
		{"DriverInfo.HomeDir", unsafe.Offsetof(driverInfo{}.HomeDir), 8},
		{"sizeof(WC_LAYER_DESCRIPTOR)", unsafe.Sizeof(layerDescriptor{}), sizeofLayerDescriptor},
		{"sizeof(GUID)", unsafe.Sizeof(guid{}), 16},
		{"WC_LAYER_DESCRIPTOR.LayerId", unsafe.Offsetof(layerDescriptor{}.LayerID), 0},
		{"WC_LAYER_DESCRIPTOR.Flags", unsafe.Offsetof(layerDescriptor{}.Flags), 16},
		{"WC_LAYER_DESCRIPTOR.Path", unsafe.Offsetof(layerDescriptor{}.Path), 24},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}
