package layertar

import (
	"fmt"
	"time"
)

// BasicInfo is a file's FILE_BASIC_INFO: its times and attributes, what
// SetFileInformationByHandle(FileBasicInfo) sets.
type BasicInfo struct {
	CreationTime   time.Time
	LastAccessTime time.Time
	LastWriteTime  time.Time
	ChangeTime     time.Time
	// Attributes are FILE_ATTRIBUTE_* flags, such as AttributeDirectory.
	Attributes uint32
}

// File attributes this package looks at (winnt.h).
const (
	AttributeReadOnly     = 0x1
	AttributeHidden       = 0x2
	AttributeSystem       = 0x4
	AttributeDirectory    = 0x10
	AttributeArchive      = 0x20
	AttributeReparsePoint = 0x400
)

// IsDir reports whether the attributes are those of a directory.
func (bi BasicInfo) IsDir() bool { return bi.Attributes&AttributeDirectory != 0 }

// filetimeEpoch is the earliest time a FILETIME holds; filetimeEnd is past
// the latest one Windows accepts (SYSTEMTIME's year 30827).
var (
	filetimeEpoch = time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)
	filetimeEnd   = time.Date(30828, 1, 1, 0, 0, 0, 0, time.UTC)
)

// checkTimes fails for a time a Windows FILETIME cannot hold.
func (bi BasicInfo) checkTimes() error {
	for _, t := range []time.Time{bi.CreationTime, bi.LastAccessTime, bi.LastWriteTime, bi.ChangeTime} {
		if t.Before(filetimeEpoch) || !t.Before(filetimeEnd) {
			return fmt.Errorf("time %v: outside what a Windows FILETIME holds", t.UTC())
		}
	}
	return nil
}
