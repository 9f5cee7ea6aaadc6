//go:build !windows

package layertar

import "os"

// setTimes sets the times of the staged file name (open as f): the last
// access and write times, the only ones other systems let a program set.
func setTimes(root *os.Root, name string, _ *os.File, info BasicInfo) error {
	return root.Chtimes(name, info.LastAccessTime, info.LastWriteTime)
}
