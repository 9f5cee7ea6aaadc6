package schema

import "fmt"

// VersionNumber is a schema version as a comparable value, such as
// VersionNumber{2, 1} for schema 2.1. Documents carry versions as [Version],
// the schema's own type, whose members are pointers like every schema
// object's; [VersionNumber.Version] and [Version.Number] convert between the
// two.
type VersionNumber struct {
	Major, Minor uint32
}

// The schema versions the published sources know. V2_1 is the first that
// Windows Server 2019 / Windows 10 1809 accepts for HcsCreateComputeSystem
// documents and is what most clients send.
var (
	V2_0 = VersionNumber{2, 0} // Windows 10 SDK 1809
	V2_1 = VersionNumber{2, 1} // Windows 10 SDK 1809 (Windows Server 2019)
	V2_2 = VersionNumber{2, 2} // Windows 10 SDK 1903
	V2_3 = VersionNumber{2, 3} // Windows 10 SDK 2004
	V2_4 = VersionNumber{2, 4} // Windows Server 2022
	V2_5 = VersionNumber{2, 5} // Windows Server 2022
	V2_6 = VersionNumber{2, 6} // Windows 11 SDK 21H2
)

// KnownVersions lists the schema versions the sources know, oldest first.
func KnownVersions() []VersionNumber {
	return []VersionNumber{V2_0, V2_1, V2_2, V2_3, V2_4, V2_5, V2_6}
}

// Version returns v as a new [Version], the form documents carry, as in
// ComputeSystem.SchemaVersion.
func (v VersionNumber) Version() *Version {
	return &Version{Major: Ptr(v.Major), Minor: Ptr(v.Minor)}
}

// String formats v as "2.1".
func (v VersionNumber) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Less reports whether v is older than w.
func (v VersionNumber) Less(w VersionNumber) bool {
	return v.Major < w.Major || v.Major == w.Major && v.Minor < w.Minor
}

// Number returns the version v holds as a comparable [VersionNumber]; ok is
// false when v is nil or lacks Major or Minor.
func (v *Version) Number() (n VersionNumber, ok bool) {
	if v == nil || v.Major == nil || v.Minor == nil {
		return VersionNumber{}, false
	}
	return VersionNumber{*v.Major, *v.Minor}, true
}
