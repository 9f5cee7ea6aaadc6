package images

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Platform is what an image runs on, from its index entry or its config.
type Platform struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	// OSVersion is the Windows version the image was built for, such as
	// "10.0.20348.2582"; "" when the image does not say.
	OSVersion string `json:"os.version,omitempty"`
}

// String returns "windows/amd64 10.0.20348.2582".
func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.OSVersion != "" {
		s += " " + p.OSVersion
	}
	return s
}

// ErrNoMatch is wrapped by Pull's error when no image of the reference can
// run on the host: another OS or architecture, or a Windows build the
// host cannot run with process isolation.
var ErrNoMatch = errors.New("no image for this host")

// candidate is one manifest a reference offers.
type candidate struct {
	index    int // position in the index, for ties
	digest   Digest
	platform Platform
}

// choose picks the manifest a host of version host and architecture arch
// runs: Windows, arch, and an os.version the host can run (CanRun). Among
// those it prefers the host's own build, then the newest build, then the
// newest revision, then the first listed. An entry without os.version
// comes last: the image's config is checked once fetched. When nothing
// fits, the error wraps ErrNoMatch and says what the reference offers.
func choose(host OSVersion, arch string, cands []candidate) (candidate, error) {
	var fit []candidate
	var offered []string
	for _, c := range cands {
		p := c.platform
		if p.OS != "windows" || p.Architecture != arch {
			offered = append(offered, p.OS+"/"+p.Architecture)
			continue
		}
		if p.OSVersion == "" {
			fit = append(fit, c)
			continue
		}
		v, err := ParseOSVersion(p.OSVersion)
		if err != nil {
			offered = append(offered, fmt.Sprintf("%s (unparsable)", p.OSVersion))
			continue
		}
		if host.CanRun(v) {
			fit = append(fit, c)
			continue
		}
		offered = append(offered, offer(v))
	}
	if len(fit) == 0 {
		offered = dedupe(offered)
		return candidate{}, fmt.Errorf("%w: host %s, windows/%s; %s; the reference offers %s",
			ErrNoMatch, host.describe(), arch, host.needs(), strings.Join(offered, ", "))
	}
	slices.SortStableFunc(fit, func(a, b candidate) int {
		va, ea := ParseOSVersion(a.platform.OSVersion)
		vb, eb := ParseOSVersion(b.platform.OSVersion)
		switch {
		case ea != nil || eb != nil: // no os.version: last
			return cmp.Compare(boolInt(ea != nil), boolInt(eb != nil))
		case (va.Build == host.Build) != (vb.Build == host.Build):
			return cmp.Compare(boolInt(va.Build != host.Build), boolInt(vb.Build != host.Build))
		case va.Build != vb.Build:
			return cmp.Compare(vb.Build, va.Build)
		}
		return cmp.Compare(vb.Revision, va.Revision)
	})
	return fit[0], nil
}

// offer describes an image build for errors: "10.0.17763.x (ltsc2019)".
func offer(v OSVersion) string {
	s := fmt.Sprintf("%d.%d.%d.x", v.Major, v.Minor, v.Build)
	if r := v.Release(); r != "" {
		s += " (" + r + ")"
	}
	return "windows " + s
}

func dedupe(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
