//go:build windows

package vmcompute

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gohcs/hcs/internal/layertest"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

// Many scratches over the same parents, mounted and released at once from
// many goroutines: each gets its own volume, and nothing stays mounted.
// Run with -race (also under Wine).
func TestConcurrentMounts(t *testing.T) {
	b := mock(t)
	f := layertest.NewFixture(t)
	const n = 16
	var wg sync.WaitGroup
	volumes := make([]string, n)
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scratch := filepath.Join(f.Dir, fmt.Sprintf("scratch%d", i))
			step := func(what string, err error) bool {
				if err != nil {
					errs <- fmt.Errorf("scratch %d: %s: %w", i, what, err)
				}
				return err == nil
			}
			_ = step("CreateSandboxLayer", b.CreateSandboxLayer(full, scratch, f.Parents())) &&
				step("ActivateLayer", b.ActivateLayer(full, scratch)) &&
				step("PrepareLayer", b.PrepareLayer(full, scratch, f.Parents())) &&
				step("GetLayerMountPath", func() (err error) { volumes[i], err = b.GetLayerMountPath(full, scratch); return }()) &&
				step("UnprepareLayer", b.UnprepareLayer(full, scratch)) &&
				step("DeactivateLayer", b.DeactivateLayer(full, scratch)) &&
				step("DestroyLayer", b.DestroyLayer(full, scratch))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]bool{}
	for i, v := range volumes {
		if !strings.HasPrefix(v, `\\?\Volume{`) || seen[v] {
			t.Errorf("scratch %d: volume %q is not a fresh volume path", i, v)
		}
		seen[v] = true
	}
	if a, p := mockctl.LayersMounted(); a != 0 || p != 0 {
		t.Errorf("%d layers activated, %d prepared after every release", a, p)
	}
}
