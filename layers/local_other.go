//go:build !windows

package layers

import (
	"fmt"
	"runtime"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
)

func localBackend() (backend.Layers, error) {
	return nil, fmt.Errorf("%w: Windows container layers exist only on Windows, not %s", hcs.ErrNotSupported, runtime.GOOS)
}
