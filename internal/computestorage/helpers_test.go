//go:build windows

package computestorage

import (
	"testing"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/layertest"
	"github.com/gohcs/hcs/internal/vmcompute"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

var (
	wantErr = layertest.WantErr
	must    = layertest.Must
)

// mock returns the backend over the mock computestorage.dll and the mock
// vmcompute.dll that holds the layer state both share, reset (see
// layertest.Mock). It skips the test when they are not the mocks.
func mock(t *testing.T) (backend.Storage, backend.LegacyLayers) {
	t.Helper()
	layertest.Mock(t)
	legacy, err := vmcompute.Backend()
	if err != nil {
		t.Fatalf("vmcompute.Backend: %v", err)
	}
	return Backend(), legacy
}

// vhd is a formatted, attached virtual disk of the mock and its volume;
// the test's cleanup detaches and closes it.
func vhd(t *testing.T, b backend.Storage, path string) (uintptr, string) {
	t.Helper()
	h, err := mockctl.OpenVHD(path, true)
	must(t, "OpenVHD", err)
	t.Cleanup(func() {
		_ = mockctl.DetachVHD(h)
		if err := mockctl.CloseVHD(h); err != nil {
			t.Errorf("CloseVHD: %v", err)
		}
	})
	must(t, "HcsFormatWritableLayerVhd", b.HcsFormatWritableLayerVhd(h))
	must(t, "AttachVHD", mockctl.AttachVHD(h))
	vol, err := b.HcsGetLayerVhdMountPath(h)
	must(t, "HcsGetLayerVhdMountPath", err)
	return h, vol
}
