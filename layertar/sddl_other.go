//go:build !windows

package layertar

import (
	"errors"
	"fmt"
)

// sddlToSecurityDescriptor fails off Windows: converting SDDL needs
// Windows' own parser. Layers carry SDDL (MSWINDOWS.sd) only when exported
// before 2017, for Windows Server 2016 (build 14393), whose images current
// hosts cannot run with process isolation.
func sddlToSecurityDescriptor(string) ([]byte, error) {
	return nil, fmt.Errorf("an SDDL security descriptor can only be converted on Windows: %w", errors.ErrUnsupported)
}
