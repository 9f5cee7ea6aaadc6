package images

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// hostOSVersion is HostOSVersion on Windows.
func hostOSVersion() (OSVersion, error) {
	info := windows.RtlGetVersion()
	v := OSVersion{Major: info.MajorVersion, Minor: info.MinorVersion, Build: info.BuildNumber}
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SOFTWARE\Microsoft\Windows NT\CurrentVersion`, registry.QUERY_VALUE)
	if err != nil {
		return v, fmt.Errorf("images: reading the Windows revision: %w", err)
	}
	defer k.Close()
	ubr, _, err := k.GetIntegerValue("UBR")
	switch {
	case errors.Is(err, registry.ErrNotExist):
	case err != nil:
		return v, fmt.Errorf("images: reading the Windows revision (UBR): %w", err)
	default:
		v.Revision = uint32(ubr)
	}
	return v, nil
}
