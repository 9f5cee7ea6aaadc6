package schema

import "fmt"

// SchemaVersion is a schema version number, comparable with ==. The
// schema's own Version type (with pointer fields, as every schema object)
// is what documents carry; convert with Version and Of.
type SchemaVersion struct {
	Major, Minor uint32
}

// The schema versions the published sources know. V2_1 is the first that
// Windows Server 2019 / Windows 10 1809 accepts for HcsCreateComputeSystem
// documents and is what most clients send.
var (
	V2_0 = SchemaVersion{2, 0} // Windows 10 SDK 1809
	V2_1 = SchemaVersion{2, 1} // Windows 10 SDK 1809 (Windows Server 2019)
	V2_2 = SchemaVersion{2, 2} // Windows 10 SDK 1903
	V2_3 = SchemaVersion{2, 3} // Windows 10 SDK 2004
	V2_4 = SchemaVersion{2, 4} // Windows Server 2022
	V2_5 = SchemaVersion{2, 5} // Windows Server 2022
	V2_6 = SchemaVersion{2, 6} // Windows 11 SDK 21H2
)

// KnownVersions lists the schema versions the sources know, oldest first.
func KnownVersions() []SchemaVersion {
	return []SchemaVersion{V2_0, V2_1, V2_2, V2_3, V2_4, V2_5, V2_6}
}

// Version returns v as a new schema Version document fragment.
func (v SchemaVersion) Version() *Version {
	return &Version{Major: Ptr(v.Major), Minor: Ptr(v.Minor)}
}

// String formats v as "2.1".
func (v SchemaVersion) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Less reports whether v is older than w.
func (v SchemaVersion) Less(w SchemaVersion) bool {
	return v.Major < w.Major || v.Major == w.Major && v.Minor < w.Minor
}

// Of returns the version a schema Version holds; ok is false when v is nil
// or a member is absent.
func Of(v *Version) (sv SchemaVersion, ok bool) {
	if v == nil || v.Major == nil || v.Minor == nil {
		return SchemaVersion{}, false
	}
	return SchemaVersion{*v.Major, *v.Minor}, true
}
