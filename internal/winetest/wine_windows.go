package winetest

import "golang.org/x/sys/windows"

// underWine looks for the export Wine's ntdll.dll has and Windows' lacks.
func underWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}
