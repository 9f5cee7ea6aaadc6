package layers

// TEMPORARY, NOT THE REAL ONE: a placeholder that keeps the Windows build
// green on the w14sim branch until the FFI to vmcompute.dll and
// computestorage.dll (internal/vmcompute, internal/computestorage, branch
// w14ffi) lands; the lead replaces this file with w14ffi's at the merge.

import (
	"errors"
	"fmt"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
)

func localBackend() (backend.Layers, error) {
	return nil, fmt.Errorf("%w: %w", hcs.ErrNotSupported, errors.New("the FFI to vmcompute.dll is not built yet"))
}
