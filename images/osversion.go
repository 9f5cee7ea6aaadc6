package images

import (
	"fmt"
	"strconv"
	"strings"
)

// OSVersion is a Windows version: major, minor, build and revision (the
// update build revision, UBR), as in an image's os.version, "10.0.20348.2582".
type OSVersion struct {
	Major, Minor, Build, Revision uint32
}

// HostOSVersion returns this machine's Windows version: major, minor and
// build from RtlGetVersion (which, unlike GetVersionEx, does not depend on
// the program's manifest), and the revision (UBR) from the registry's
// HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion. A missing UBR value
// leaves the revision 0; another registry error fails, with the version
// read so far.
//
// Elsewhere than on Windows it fails with an error wrapping
// errors.ErrUnsupported: only Windows has a Windows version. Programs that
// pull images for the simulator choose a version (the hcs command's
// default is 10.0.20348).
func HostOSVersion() (OSVersion, error) { return hostOSVersion() }

// ParseOSVersion parses "10.0.20348" or "10.0.20348.2582".
func ParseOSVersion(s string) (OSVersion, error) {
	parts := strings.Split(s, ".")
	if len(parts) < 3 || len(parts) > 4 {
		return OSVersion{}, fmt.Errorf("images: Windows version %q: want MAJOR.MINOR.BUILD[.REVISION]", s)
	}
	var n [4]uint32
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return OSVersion{}, fmt.Errorf("images: Windows version %q: want MAJOR.MINOR.BUILD[.REVISION]", s)
		}
		n[i] = uint32(v)
	}
	return OSVersion{n[0], n[1], n[2], n[3]}, nil
}

// String returns "10.0.20348.2582", or "10.0.20348" when the revision is 0.
func (v OSVersion) String() string {
	if v.Revision == 0 {
		return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Build)
	}
	return fmt.Sprintf("%d.%d.%d.%d", v.Major, v.Minor, v.Build, v.Revision)
}

// IsZero reports whether v is the zero version.
func (v OSVersion) IsZero() bool { return v == OSVersion{} }

// Builds of Windows releases that matter to containers.
const (
	buildLTSC2016 = 14393
	buildLTSC2019 = 17763
	buildLTSC2022 = 20348
	buildLTSC2025 = 26100
)

// ltscBuilds are the long-term releases since Windows Server 2022, from
// which on Windows keeps a stable ABI for containers, in ascending order.
var ltscBuilds = []uint32{buildLTSC2022, buildLTSC2025}

// releases names the Windows releases by build: the tags Microsoft's base
// images use for server builds, the client release for the others.
var releases = map[uint32]string{
	buildLTSC2016: "ltsc2016",
	16299:         "1709",
	17134:         "1803",
	buildLTSC2019: "ltsc2019",
	18362:         "1903",
	18363:         "1909",
	19041:         "2004",
	19042:         "20H2",
	19043:         "Windows 10 21H1",
	19044:         "Windows 10 21H2",
	19045:         "Windows 10 22H2",
	buildLTSC2022: "ltsc2022",
	22000:         "Windows 11 21H2",
	22621:         "Windows 11 22H2",
	22631:         "Windows 11 23H2",
	25398:         "Windows Server 23H2",
	buildLTSC2025: "ltsc2025",
	26200:         "Windows 11 25H2",
}

// Release returns the name of v's release, such as "ltsc2022", or "" for
// a build this package does not know.
func (v OSVersion) Release() string {
	if v.Major != 10 || v.Minor != 0 {
		return ""
	}
	return releases[v.Build]
}

// CanRun reports whether a host of version v runs containers of an image
// built for image with process isolation. The rule is hcsshim's
// (osversion.CheckHostAndContainerCompat), after Microsoft's version
// compatibility page: major and minor must match; a host before Windows
// Server 2022 (build 20348) needs an image of its own build; from 20348
// on, Windows keeps a stable container ABI, and a host runs images from
// the last long-term release before its own build (20348 for a 20348
// host) up to its own build. The revision never matters. Hyper-V
// isolation runs other images too; this package does not consider it.
func (v OSVersion) CanRun(image OSVersion) bool {
	if v.Major != image.Major || v.Minor != image.Minor {
		return false
	}
	if v.Build < buildLTSC2022 {
		return v.Build == image.Build
	}
	lo, _ := v.runnable()
	return lo <= image.Build && image.Build <= v.Build
}

// runnable returns the range of image builds a host of build v.Build
// (20348 or later) runs.
func (v OSVersion) runnable() (lo, hi uint32) {
	lo = buildLTSC2022
	for i := len(ltscBuilds) - 1; i >= 0; i-- {
		if v.Build > ltscBuilds[i] {
			lo = ltscBuilds[i]
			break
		}
	}
	return lo, v.Build
}

// needs says which images a host of version v runs, for errors.
func (v OSVersion) needs() string {
	if v.Build < buildLTSC2022 {
		return fmt.Sprintf("process isolation needs an image of the host's build, %d.%d.%d", v.Major, v.Minor, v.Build)
	}
	lo, hi := v.runnable()
	if lo == hi {
		return fmt.Sprintf("process isolation needs an image of build %d (%s)", lo, releases[lo])
	}
	return fmt.Sprintf("process isolation needs an image of build %d (%s) to %d", lo, releases[lo], hi)
}

// describe returns "10.0.20348 (ltsc2022)", or the version alone for a
// release this package does not know.
func (v OSVersion) describe() string {
	if r := v.Release(); r != "" {
		return fmt.Sprintf("%s (%s)", v, r)
	}
	return v.String()
}
