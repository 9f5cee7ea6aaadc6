//go:build !windows

package images

import (
	"errors"
	"fmt"
)

// HostOSVersion fails with an error wrapping errors.ErrUnsupported: only
// Windows has a Windows version. Programs that pull images for the
// simulator choose a version (the hcs command's default is 10.0.20348).
func HostOSVersion() (OSVersion, error) {
	return OSVersion{}, fmt.Errorf("images: the host's Windows version: not on Windows: %w", errors.ErrUnsupported)
}
