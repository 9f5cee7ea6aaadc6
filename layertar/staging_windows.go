package layertar

import (
	"os"
	"time"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// setTimes sets the four times of the staged file f, and no attributes:
// the attributes are in the file's first four bytes (hcsshim does the
// same).
func setTimes(_ *os.Root, _ string, f *os.File, info BasicInfo) error {
	return winio.SetFileBasicInfo(f, &winio.FileBasicInfo{
		CreationTime:   filetime(info.CreationTime),
		LastAccessTime: filetime(info.LastAccessTime),
		LastWriteTime:  filetime(info.LastWriteTime),
		ChangeTime:     filetime(info.ChangeTime),
	})
}

// filetime converts t to 100-nanosecond intervals since 1601 (not through
// UnixNano, which overflows before 1678); Translate has checked that a
// FILETIME holds it.
func filetime(t time.Time) windows.Filetime {
	ticks := uint64(t.Unix()-filetimeEpoch.Unix())*1e7 + uint64(t.Nanosecond()/100)
	return windows.Filetime{LowDateTime: uint32(ticks), HighDateTime: uint32(ticks >> 32)}
}
