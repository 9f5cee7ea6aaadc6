//go:build !windows

package images

import (
	"errors"
	"fmt"
)

// hostOSVersion is HostOSVersion elsewhere than on Windows: it fails.
func hostOSVersion() (OSVersion, error) {
	return OSVersion{}, fmt.Errorf("images: the host's Windows version: not on Windows: %w", errors.ErrUnsupported)
}
