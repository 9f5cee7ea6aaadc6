//go:build windows

package images

import (
	"testing"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/layertest"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
	"github.com/gohcs/hcs/layers"
)

// platformLayerServices: on Windows, layers.Local() through the FFI, over
// the mock layer DLLs the Wine harness installs (which take BaseStaged's
// base layers, as the simulator does). On a real layer service these
// tests skip, saying so: they inject faults, and real ProcessBaseImage
// needs BackupWrite's base layers.
var platformLayerServices = []layerService{{"mock layer DLLs", openMock}}

func openMock(t *testing.T) (*layers.Host, func(string, hcs.HRESULT)) {
	layertest.Mock(t)
	return layers.Local(), func(call string, hr hcs.HRESULT) { mockctl.LayersFailNext(call, uint32(hr), 1) }
}
