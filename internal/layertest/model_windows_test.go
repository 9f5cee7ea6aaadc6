package layertest_test

import (
	"testing"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/computestorage"
	"github.com/gohcs/hcs/internal/layertest"
	"github.com/gohcs/hcs/internal/vmcompute"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

// TestModel runs the shared layer model's checks on the FFI over the mock
// vmcompute.dll and computestorage.dll; hcssim runs the same.
func TestModel(t *testing.T) {
	layertest.Model(t, func(t *testing.T) layertest.Fake {
		layertest.Mock(t)
		if !mockctl.Available() {
			t.Fatal("the mock layer DLLs are installed but the mock computecore.dll is not")
		}
		mockctl.Reset()
		t.Cleanup(mockctl.Reconnect)
		legacy, err := vmcompute.Backend()
		if err != nil {
			t.Fatalf("vmcompute.Backend: %v", err)
		}
		return layertest.Fake{
			Layers: struct {
				backend.LegacyLayers
				backend.Storage
			}{legacy, computestorage.Backend()},
			OpenVHD:     mockctl.OpenVHD,
			AttachVHD:   mockctl.AttachVHD,
			DetachVHD:   mockctl.DetachVHD,
			CloseVHD:    mockctl.CloseVHD,
			FailNext:    func(fn string, hr hcs.HRESULT) { mockctl.LayersFailNext(fn, uint32(hr), 1) },
			SetElevated: mockctl.LayersSetElevated,
			Disconnect:  mockctl.Disconnect,
			Reconnect:   mockctl.Reconnect,
			Mounted:     mockctl.LayersMounted,
			LiveVHDs:    mockctl.LayersLiveVHDs,
		}
	})
}
