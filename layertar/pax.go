package layertar

import (
	"archive/tar"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gohcs/hcs/backupstream"
)

// The PAX records that carry Windows metadata. go-winio's backuptar writes
// them (containerd, moby and hcsshim export layers with it); libarchive
// (bsdtar, Windows' tar.exe) writes the LIBARCHIVE ones.
const (
	paxFileAttributes = "MSWINDOWS.fileattr"      // FILE_ATTRIBUTE_* in decimal
	paxRawSD          = "MSWINDOWS.rawsd"         // self-relative security descriptor, base64
	paxSDDL           = "MSWINDOWS.sd"            // security descriptor as SDDL (before 2017)
	paxMountPoint     = "MSWINDOWS.mountpoint"    // a symlink entry that is a junction
	paxEAPrefix       = "MSWINDOWS.xattr."        // an extended attribute, base64
	paxCreationTime   = "LIBARCHIVE.creationtime" // PAX time
	paxSymlinkType    = "LIBARCHIVE.symlinktype"  // "file" or "dir"
	paxWindowsPrefix  = "MSWINDOWS."
)

// meta is what the Windows PAX records and the tar header say about an
// entry, besides its contents.
type meta struct {
	info    BasicInfo
	sd      []byte // self-relative security descriptor, or nil
	eas     []byte // FILE_FULL_EA_INFORMATION list, or nil
	reparse []byte // REPARSE_DATA_BUFFER, or nil
}

// readMeta reads an entry's metadata. It fails for a record it cannot
// parse, a Windows record it does not know (its meaning would be lost),
// and attributes that contradict the entry's type.
func readMeta(hdr *tar.Header) (meta, error) {
	var m meta
	recs := hdr.PAXRecords
	for k := range recs {
		if strings.HasPrefix(k, paxWindowsPrefix) && !strings.HasPrefix(k, paxEAPrefix) &&
			k != paxFileAttributes && k != paxRawSD && k != paxSDDL && k != paxMountPoint {
			return m, fmt.Errorf("PAX record %s: unknown Windows metadata", k)
		}
	}

	// Times: FILE_BASIC_INFO has four; a tar header three, and
	// LIBARCHIVE.creationtime the fourth. Missing ones default to the
	// modification time, as go-winio does for the creation time.
	m.info.LastWriteTime = hdr.ModTime
	m.info.LastAccessTime = orTime(hdr.AccessTime, hdr.ModTime)
	m.info.ChangeTime = orTime(hdr.ChangeTime, hdr.ModTime)
	m.info.CreationTime = hdr.ModTime
	if s, ok := recs[paxCreationTime]; ok {
		t, err := parsePAXTime(s)
		if err != nil {
			return m, fmt.Errorf("PAX record %s=%q: %v", paxCreationTime, s, err)
		}
		m.info.CreationTime = t
	}
	if err := m.info.checkTimes(); err != nil {
		return m, err
	}

	isDir := hdr.Typeflag == tar.TypeDir
	if s, ok := recs[paxFileAttributes]; ok {
		a, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return m, fmt.Errorf("PAX record %s=%q: not a 32-bit decimal number", paxFileAttributes, s)
		}
		m.info.Attributes = uint32(a)
		if isDir != m.info.IsDir() && hdr.Typeflag != tar.TypeSymlink {
			return m, fmt.Errorf("PAX record %s=%d contradicts the entry's type %q", paxFileAttributes, a, hdr.Typeflag)
		}
	} else if isDir || (hdr.Typeflag == tar.TypeSymlink && recs[paxSymlinkType] == "dir") {
		m.info.Attributes = AttributeDirectory
	}

	var err error
	if m.sd, err = securityDescriptor(recs); err != nil {
		return m, err
	}
	if m.eas, err = extendedAttributes(recs); err != nil {
		return m, err
	}
	_, junction := recs[paxMountPoint]
	switch {
	case hdr.Typeflag == tar.TypeSymlink:
		m.info.Attributes |= AttributeReparsePoint
		target := strings.ReplaceAll(hdr.Linkname, "/", `\`)
		if m.reparse, err = backupstream.EncodeReparsePoint(backupstream.ReparsePoint{Target: target, MountPoint: junction}); err != nil {
			return m, fmt.Errorf("symbolic link: %w", err)
		}
	case junction:
		return m, fmt.Errorf("PAX record %s on an entry that is not a link", paxMountPoint)
	}
	return m, nil
}

func orTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

// securityDescriptor returns the entry's security descriptor: the raw one,
// or the SDDL one converted (on Windows only), or nil.
func securityDescriptor(recs map[string]string) ([]byte, error) {
	if s, ok := recs[paxRawSD]; ok {
		sd, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("PAX record %s: %v", paxRawSD, err)
		}
		if err := checkSecurityDescriptor(sd); err != nil {
			return nil, fmt.Errorf("PAX record %s: %w", paxRawSD, err)
		}
		return sd, nil
	}
	if s, ok := recs[paxSDDL]; ok {
		sd, err := sddlToSecurityDescriptor(s)
		if err != nil {
			return nil, fmt.Errorf("PAX record %s=%q: %w", paxSDDL, s, err)
		}
		return sd, nil
	}
	return nil, nil
}

// extendedAttributes returns the entry's extended attributes as an EA
// list, ordered by name, or nil.
func extendedAttributes(recs map[string]string) ([]byte, error) {
	var eas []backupstream.EA
	for k, v := range recs {
		name, ok := strings.CutPrefix(k, paxEAPrefix)
		if !ok {
			continue
		}
		value, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("PAX record %s: %v", k, err)
		}
		eas = append(eas, backupstream.EA{Name: name, Value: value})
	}
	if len(eas) == 0 {
		return nil, nil
	}
	slices.SortFunc(eas, func(a, b backupstream.EA) int { return strings.Compare(a.Name, b.Name) })
	b, err := backupstream.EncodeEAs(eas)
	if err != nil {
		return nil, fmt.Errorf("PAX records %s*: %w", paxEAPrefix, err)
	}
	return b, nil
}

// parsePAXTime parses a PAX time, "seconds[.fraction]", seconds possibly
// negative, the fraction's digits beyond nanoseconds ignored.
func parsePAXTime(s string) (time.Time, error) {
	secs, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || secs == "" || secs[0] == '+' {
		return time.Time{}, fmt.Errorf("not a PAX time")
	}
	if frac == "" {
		if strings.HasSuffix(s, ".") {
			return time.Time{}, fmt.Errorf("not a PAX time")
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	if strings.Trim(frac, "0123456789") != "" {
		return time.Time{}, fmt.Errorf("not a PAX time")
	}
	frac = (frac + "000000000")[:9]
	nsec, _ := strconv.ParseInt(frac, 10, 64)
	if secs[0] == '-' {
		nsec = -nsec
	}
	return time.Unix(sec, nsec).UTC(), nil
}
