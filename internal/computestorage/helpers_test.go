//go:build windows

package computestorage

import (
	"testing"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/layertest"
	"github.com/gohcs/hcs/internal/vmcompute"
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
