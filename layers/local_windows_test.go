//go:build windows

package layers

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/layertest"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

// localBackend joins both DLLs: the legacy calls reach vmcompute.dll, the
// documented ones computestorage.dll (the mocks under Wine).
func TestLocalBackend(t *testing.T) {
	layertest.Mock(t)
	b, err := localBackend()
	if err != nil {
		t.Fatalf("localBackend: %v", err)
	}
	if id, err := b.NameToGuid("base"); err != nil || id != layertest.NameToGUID("base") {
		t.Errorf("NameToGuid through vmcompute.dll = %v, %v", id, err)
	}
	f := layertest.NewFixture(t)
	if err := b.HcsDestroyLayer(filepath.Join(f.Dir, "gone")); err != nil {
		t.Errorf("HcsDestroyLayer through computestorage.dll: %v", err)
	}
	if n := mockctl.LayersCalls("HcsDestroyLayer"); n != 1 {
		t.Errorf("computestorage.dll's HcsDestroyLayer was called %d times, want 1", n)
	}
	mockctl.LayersSetElevated(false)
	err = b.ActivateLayer(backend.DriverInfo{}, f.Base)
	mockctl.LayersSetElevated(true)
	if !errors.Is(err, layertest.ErrPrivilegeNotHeld) {
		t.Errorf("ActivateLayer without elevation: %v, want ERROR_PRIVILEGE_NOT_HELD", err)
	}
}
