//go:build windows

package mockctl_test

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gohcs/hcs/internal/winetest"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

// The layer controls answer and leave the mock clean. Their effects on the
// layer calls are tested in internal/vmcompute and internal/computestorage.
func TestLayerControls(t *testing.T) {
	if why := mockctl.LayersWhy(); why != "" {
		t.Skip("needs the mock vmcompute.dll installed by the Wine harness: " + why)
	}
	mockctl.LayersReset()
	defer mockctl.LayersReset()
	activated, prepared := mockctl.LayersMounted()
	for name, n := range map[string]int{
		"LayersMounted (activated)": activated,
		"LayersMounted (prepared)":  prepared,
		"LayersPeakPrepares":        mockctl.LayersPeakPrepares(),
		"LayersOutstandingStrings":  mockctl.LayersOutstandingStrings(),
		"LayersLiveVHDs":            mockctl.LayersLiveVHDs(),
		"LayersCalls(PrepareLayer)": mockctl.LayersCalls("PrepareLayer"),
	} {
		if n != 0 {
			t.Errorf("%s after LayersReset = %d", name, n)
		}
	}
	dir := winetest.TempDir(t)
	if st := mockctl.Layer(dir); st.State != "Inactive" || st.Activations != 0 || len(st.Parents) != 0 {
		t.Errorf("an unknown layer's state = %+v", st)
	}
	mockctl.LayersFailNext("PrepareLayer", 0x80070015, 3)
	mockctl.LayersDelayNext("PrepareLayer", time.Millisecond)
	mockctl.LayersSetElevated(false)
	mockctl.LayersSetElevated(true)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("LayersFailNext with n = 0 queued nothing and did not panic")
			}
		}()
		mockctl.LayersFailNext("PrepareLayer", 0x80070015, 0)
	}()

	vhdx := filepath.Join(dir, "disk.vhdx")
	if _, err := mockctl.OpenVHD(vhdx, false); !errors.Is(err, syscall.ERROR_FILE_NOT_FOUND) {
		t.Errorf("OpenVHD of a missing file: %v", err)
	}
	h, err := mockctl.OpenVHD(vhdx, true)
	if err != nil {
		t.Fatalf("OpenVHD(create): %v", err)
	}
	if n := mockctl.LayersLiveVHDs(); n != 1 {
		t.Errorf("LayersLiveVHDs = %d, want 1", n)
	}
	if err := mockctl.AttachVHD(h); err != nil {
		t.Errorf("AttachVHD: %v", err)
	}
	if err := mockctl.DetachVHD(h); err != nil {
		t.Errorf("DetachVHD: %v", err)
	}
	if err := mockctl.CloseVHD(h); err != nil {
		t.Errorf("CloseVHD: %v", err)
	}
	if err := mockctl.CloseVHD(h); !errors.Is(err, syscall.Errno(6)) { // ERROR_INVALID_HANDLE: E_HANDLE unwrapped
		t.Errorf("CloseVHD of a closed handle: %v", err)
	}
}
