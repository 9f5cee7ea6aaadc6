//go:build !windows

package hcs

import (
	"fmt"
	"runtime"

	"github.com/gohcs/hcs/internal/backend"
)

func localBackend() (backend.Backend, error) {
	return nil, fmt.Errorf("%w: the Host Compute Service exists only on Windows, not %s", ErrNotSupported, runtime.GOOS)
}
