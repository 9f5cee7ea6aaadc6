//go:build windows

package layers

import (
	"fmt"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/computestorage"
	"github.com/gohcs/hcs/internal/vmcompute"
)

// localBackend returns this machine's layer surface: vmcompute.dll's layer
// exports, which mount container storage, and computestorage.dll, the
// documented layer API. It fails with an error matching hcs.ErrNotSupported
// (and errors.ErrUnsupported) when vmcompute.dll cannot be loaded from
// System32, as on a host without the Containers feature. A missing
// computestorage.dll, or a missing export of either DLL, fails only the
// calls that need it, with an error matching errors.ErrUnsupported.
func localBackend() (backend.Layers, error) {
	legacy, err := vmcompute.Backend()
	if err != nil {
		return nil, fmt.Errorf("%w: layers need vmcompute.dll, part of the Containers feature: %w", hcs.ErrNotSupported, err)
	}
	return local{legacy, computestorage.Backend()}, nil
}

// local joins the two DLLs into one backend.Layers.
type local struct {
	backend.LegacyLayers
	backend.Storage
}
