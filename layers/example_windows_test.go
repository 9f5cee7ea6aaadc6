//go:build windows

package layers_test

import (
	"path/filepath"
	"testing"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/layertest"
	"github.com/gohcs/hcs/internal/winetest"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
	"github.com/gohcs/hcs/layers"
)

// The Example's program, unchanged, on layers.Local() and hcs.Local(): under
// Wine, through the FFI, on the mock layer DLLs and the mock
// computecore.dll. From layer folders to a process's output, and nothing
// left behind.
func TestExampleLocal(t *testing.T) {
	layertest.Mock(t)
	if why := mockctl.Why(); why != "" {
		t.Fatalf("the Wine harness installs the mock computecore.dll beside the mock layer DLLs: %s", why)
	}
	mockctl.Reset()
	dir := winetest.TempDir(t)
	base := layertest.Folder(t, dir, "nanoserver")
	scratch := filepath.Join(dir, "scratch")
	lh := layers.Local()
	out, err := runInContainer(t.Context(), lh, hcs.Local(), []string{base}, scratch,
		"cmd", "/c", "echo", "hello", "from", "a", "container")
	if err != nil || out != "hello from a container" {
		t.Fatalf("runInContainer = %q, %v; want %q", out, err, "hello from a container")
	}
	if layertest.Exists(scratch) {
		t.Errorf("the scratch layer %s is left", scratch)
	}
	if n := mockctl.LiveHandles(); n != 0 {
		t.Errorf("%d HCS handles left open", n)
	}
	if err := lh.Drain(t.Context()); err != nil {
		t.Fatalf("Drain: %v", err)
	}
}
