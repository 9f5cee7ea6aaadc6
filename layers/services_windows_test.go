//go:build windows

package layers_test

import (
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/layertest"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
	"github.com/gohcs/hcs/layers"
)

// platformServices: on Windows, layers.Local() through the FFI, over the
// mock layer DLLs the Wine harness installs. On a real layer service the
// tests skip, saying so: they inject faults.
var platformServices = []service{{"mock layer DLLs", openMock}}

func openMock(t *testing.T) (*layers.Host, faults) {
	layertest.Mock(t)
	return layers.Local(), mockFaults{}
}

// mockFaults are the mock layer DLLs' faults.
type mockFaults struct{}

func (mockFaults) FailNext(fn string, hr hcs.HRESULT)   { mockctl.LayersFailNext(fn, uint32(hr), 1) }
func (mockFaults) DelayNext(fn string, d time.Duration) { mockctl.LayersDelayNext(fn, d) }
func (mockFaults) SetElevated(elevated bool)            { mockctl.LayersSetElevated(elevated) }
func (mockFaults) Mounted() (activated, prepared int)   { return mockctl.LayersMounted() }
