// Package layertartest builds synthetic Windows container layer tarballs for
// tests: the entries and PAX records that go-winio's backuptar writes when
// containerd, moby or hcsshim export a layer, with the cases an importer
// must get right: attributes, security descriptors, extended attributes,
// alternate data streams, junctions and symbolic links, hard links (within
// a layer and to a parent layer), whiteouts, registry hives, a utility VM
// and paths longer than Windows' old 260-character limit.
//
// Base, App and Patch are one image's three layers, bottom to top. Their
// bytes are deterministic: tests compare what they translate to with
// golden files.
package layertartest

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Entry is one entry of a synthetic layer.
type Entry struct {
	Name     string
	Type     byte   // tar.TypeReg (default), TypeDir, TypeSymlink, TypeLink
	Data     string // TypeReg
	Link     string // TypeSymlink and TypeLink target
	Attrs    uint32 // MSWINDOWS.fileattr; 0 leaves the record out
	SD       []byte // MSWINDOWS.rawsd; nil leaves it out
	EAs      map[string]string
	Junction bool      // MSWINDOWS.mountpoint
	Time     time.Time // modification time; zero: a fixed time
	// NoCreationTime leaves LIBARCHIVE.creationtime out.
	NoCreationTime bool
	// Records are extra PAX records, written as given.
	Records map[string]string
}

// Attributes used by the synthetic layers.
const (
	AttrReadOnly          = 0x1
	AttrHidden            = 0x2
	AttrSystem            = 0x4
	AttrDirectory         = 0x10
	AttrArchive           = 0x20
	AttrReparsePoint      = 0x400
	AttrNotContentIndexed = 0x2000
)

// T0 is the time the synthetic layers' files were written.
var T0 = time.Date(2024, 5, 14, 9, 30, 15, 123456700, time.UTC)

// Tar writes entries as a PAX tar, as go-winio's backuptar does: each
// entry with mtime, atime and ctime, LIBARCHIVE.creationtime and the
// MSWINDOWS records it has.
func Tar(entries []Entry) []byte {
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, e := range entries {
		mtime := e.Time
		if mtime.IsZero() {
			mtime = T0
		}
		hdr := &tar.Header{
			Name:       e.Name,
			Typeflag:   e.Type,
			ModTime:    mtime,
			AccessTime: mtime.Add(time.Hour),
			ChangeTime: mtime.Add(2 * time.Hour),
			Format:     tar.FormatPAX,
			PAXRecords: map[string]string{},
		}
		switch e.Type {
		case 0, tar.TypeReg:
			hdr.Typeflag, hdr.Size, hdr.Mode = tar.TypeReg, int64(len(e.Data)), 0o100644
		case tar.TypeDir:
			hdr.Mode = 0o40755
		case tar.TypeSymlink:
			hdr.Linkname, hdr.Mode = e.Link, 0o120777
		case tar.TypeLink:
			hdr.Linkname = e.Link
		}
		if e.Type != tar.TypeLink {
			if e.Attrs != 0 {
				hdr.PAXRecords["MSWINDOWS.fileattr"] = strconv.FormatUint(uint64(e.Attrs), 10)
			}
			if e.SD != nil {
				hdr.PAXRecords["MSWINDOWS.rawsd"] = base64.StdEncoding.EncodeToString(e.SD)
			}
			for k, v := range e.EAs {
				hdr.PAXRecords["MSWINDOWS.xattr."+k] = base64.StdEncoding.EncodeToString([]byte(v))
			}
			if e.Junction {
				hdr.PAXRecords["MSWINDOWS.mountpoint"] = "1"
			}
			if !e.NoCreationTime {
				created := mtime.Add(-24 * time.Hour)
				hdr.PAXRecords["LIBARCHIVE.creationtime"] = fmt.Sprintf("%d.%09d", created.Unix(), created.Nanosecond())
			}
		}
		for k, v := range e.Records {
			hdr.PAXRecords[k] = v
		}
		if err := w.WriteHeader(hdr); err != nil {
			panic(fmt.Sprintf("layertartest: %s: %v", e.Name, err))
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := w.Write([]byte(e.Data)); err != nil {
				panic(fmt.Sprintf("layertartest: %s: %v", e.Name, err))
			}
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Well-known SIDs, as "S-1-IA-SUB..." strings.
const (
	Administrators   = "S-1-5-32-544"
	System           = "S-1-5-18"
	Users            = "S-1-5-32-545"
	TrustedInstaller = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"
	Everyone         = "S-1-1-0"
)

// SD returns a self-relative security descriptor with the owner and group
// SIDs and a DACL granting each of allow (SID, access mask) pairs.
func SD(owner, group string, allow ...any) []byte {
	var dacl []byte
	for i := 0; i+1 < len(allow); i += 2 {
		sid := sidBytes(allow[i].(string))
		ace := []byte{0, 0x3} // ACCESS_ALLOWED_ACE_TYPE, OBJECT_INHERIT|CONTAINER_INHERIT
		ace = binary.LittleEndian.AppendUint16(ace, uint16(8+len(sid)))
		ace = binary.LittleEndian.AppendUint32(ace, allow[i+1].(uint32))
		dacl = append(dacl, append(ace, sid...)...)
	}
	acl := []byte{2, 0}
	acl = binary.LittleEndian.AppendUint16(acl, uint16(8+len(dacl)))
	acl = binary.LittleEndian.AppendUint16(acl, uint16(len(allow)/2))
	acl = append(acl, 0, 0)
	acl = append(acl, dacl...)
	o, g := sidBytes(owner), sidBytes(group)
	sd := []byte{1, 0}
	sd = binary.LittleEndian.AppendUint16(sd, 0x8000|0x0004) // self-relative, DACL present
	off := uint32(20)
	sd = binary.LittleEndian.AppendUint32(sd, off)                       // owner
	sd = binary.LittleEndian.AppendUint32(sd, off+uint32(len(o)))        // group
	sd = binary.LittleEndian.AppendUint32(sd, 0)                         // SACL
	sd = binary.LittleEndian.AppendUint32(sd, off+uint32(len(o)+len(g))) // DACL
	return append(append(append(sd, o...), g...), acl...)
}

// sidBytes encodes "S-1-5-32-544" as a SID.
func sidBytes(s string) []byte {
	parts := strings.Split(s, "-")
	auth, _ := strconv.ParseUint(parts[2], 10, 48)
	b := []byte{1, byte(len(parts) - 3), 0, 0, byte(auth >> 24), byte(auth >> 16), byte(auth >> 8), byte(auth)}
	for _, p := range parts[3:] {
		v, _ := strconv.ParseUint(p, 10, 32)
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	return b
}

// Access masks.
const (
	GenericAll  uint32 = 0x10000000
	GenericRead uint32 = 0x80000000
	ReadExecute uint32 = 0x001200a9
)

var (
	sdSystem = SD(TrustedInstaller, TrustedInstaller, System, GenericAll, Administrators, GenericAll, Users, ReadExecute)
	sdApp    = SD(Administrators, System, Administrators, GenericAll, Everyone, GenericRead)
)

// LongDir is a directory path that makes the names below it longer than
// 260 characters (MAX_PATH), with non-ASCII characters in it.
var LongDir = "Files/Program Files/" + strings.Repeat("Ünïcødé-vendor-", 6) + "/" +
	strings.Repeat("deeply-nested-product-folder-", 4) + "/" + strings.Repeat("version-1.2.3-", 5)

// Base is a base layer: a small Windows, with a utility VM.
func Base() []byte {
	dir := func(name string, attrs uint32) Entry {
		return Entry{Name: name, Type: tar.TypeDir, Attrs: attrs, SD: sdSystem}
	}
	return Tar([]Entry{
		dir("Files", AttrDirectory),
		dir("Files/Windows", AttrDirectory),
		dir("Files/Windows/System32", AttrDirectory|AttrNotContentIndexed),
		{Name: "Files/Windows/System32/cmd.exe", Data: "MZ cmd.exe", Attrs: AttrArchive, SD: sdSystem},
		{Name: "Files/Windows/System32/kernel32.dll", Data: "MZ kernel32.dll", Attrs: AttrArchive | AttrSystem, SD: sdSystem},
		{Name: "Files/Windows/System32/command.com", Type: tar.TypeLink, Link: "Files/Windows/System32/cmd.exe"},
		dir("Files/Windows/System32/config", AttrDirectory),
		{Name: "Files/Windows/readme.txt", Data: "Read me.\r\n", Attrs: AttrArchive, SD: sdSystem,
			EAs: map[string]string{"$KERNEL.PURGE.APPXFICACHE": "\x01\x02", "NOTE": "base"}},
		{Name: "Files/Windows/readme.txt:Zone.Identifier", Data: "[ZoneTransfer]\r\nZoneId=3\r\n"},
		dir("Files/Users", AttrDirectory),
		dir("Files/ProgramData", AttrDirectory|AttrHidden),
		{Name: "Files/Documents and Settings", Type: tar.TypeSymlink, Link: `C:\Users`, Junction: true,
			Attrs: AttrDirectory | AttrHidden | AttrSystem | AttrReparsePoint | AttrNotContentIndexed, SD: sdSystem},
		{Name: "Files/Users/All Users", Type: tar.TypeSymlink, Link: `C:\ProgramData`,
			Attrs: AttrDirectory | AttrHidden | AttrSystem | AttrReparsePoint | AttrNotContentIndexed, SD: sdSystem},
		dir("Hives", AttrDirectory),
		{Name: "Hives/System_Delta", Data: "regf system", Attrs: AttrArchive},
		{Name: "Hives/Software_Delta", Data: "regf software", Attrs: AttrArchive},
		dir("UtilityVM", AttrDirectory),
		dir("UtilityVM/Files", AttrDirectory),
		dir("UtilityVM/Files/EFI", AttrDirectory),
		{Name: "UtilityVM/Files/EFI/bootmgfw.efi", Data: "EFI boot", Attrs: AttrArchive, SD: sdSystem},
	})
}

// App is a layer on Base: an application with a read-only file, a hard
// link within the layer and one to a file of Base, a deleted file of
// Base, and names longer than 260 characters.
func App() []byte {
	long := longDirs()
	return Tar(append([]Entry{
		{Name: "Files", Type: tar.TypeDir, Attrs: AttrDirectory, SD: sdSystem},
		{Name: "Files/app", Type: tar.TypeDir, Attrs: AttrDirectory, SD: sdApp},
		{Name: "Files/app/server.exe", Data: strings.Repeat("MZ server ", 1000), Attrs: AttrArchive | AttrReadOnly, SD: sdApp},
		{Name: "Files/app/config.json", Data: `{"port": 8080}`, Attrs: AttrArchive, SD: sdApp, Time: T0.Add(time.Minute)},
		{Name: "Files/app/server-copy.exe", Type: tar.TypeLink, Link: "Files/app/server.exe"},
		{Name: "Files/Windows", Type: tar.TypeDir, Attrs: AttrDirectory, SD: sdSystem},
		{Name: "Files/Windows/System32", Type: tar.TypeDir, Attrs: AttrDirectory | AttrNotContentIndexed, SD: sdSystem},
		{Name: "Files/Windows/System32/kernel32-link.dll", Type: tar.TypeLink, Link: "Files/Windows/System32/kernel32.dll"},
		{Name: "Files/Windows/.wh.readme.txt", Type: tar.TypeReg, NoCreationTime: true},
	}, append(long,
		Entry{Name: LongDir + "/product.dll", Data: "MZ product", Attrs: AttrArchive, SD: sdApp},
		Entry{Name: "Hives", Type: tar.TypeDir, Attrs: AttrDirectory},
		Entry{Name: "Hives/Software_Delta", Data: "regf software app", Attrs: AttrArchive},
	)...))
}

// Patch is a layer on App: a changed file, a deleted hard link and a
// deleted directory of App, and a new file under the long path.
func Patch() []byte {
	long := longDirs()
	return Tar(append([]Entry{
		{Name: "Files", Type: tar.TypeDir, Attrs: AttrDirectory, SD: sdSystem},
		{Name: "Files/app", Type: tar.TypeDir, Attrs: AttrDirectory, SD: sdApp},
		{Name: "Files/app/config.json", Data: `{"port": 9090}`, Attrs: AttrArchive, SD: sdApp, Time: T0.Add(time.Hour)},
		{Name: "Files/app/.wh.server-copy.exe", NoCreationTime: true},
		{Name: "Files/.wh.ProgramData", NoCreationTime: true},
	}, append(long,
		Entry{Name: LongDir + "/patch.txt", Data: "patched", Attrs: AttrArchive | AttrHidden, SD: sdApp},
		Entry{Name: "Hives", Type: tar.TypeDir, Attrs: AttrDirectory},
		Entry{Name: "Hives/Software_Delta", Data: "regf software patch", Attrs: AttrArchive},
	)...))
}

// UtilityVMUpdate is a layer on Base that changes a file of the utility
// VM, as the update layers of Windows Server 2016 images did.
func UtilityVMUpdate() []byte {
	return Tar([]Entry{
		{Name: "Files", Type: tar.TypeDir, Attrs: AttrDirectory, SD: sdSystem},
		{Name: "UtilityVM", Type: tar.TypeDir, Attrs: AttrDirectory},
		{Name: "UtilityVM/Files", Type: tar.TypeDir, Attrs: AttrDirectory},
		{Name: "UtilityVM/Files/EFI", Type: tar.TypeDir, Attrs: AttrDirectory},
		{Name: "UtilityVM/Files/EFI/bootmgfw.efi", Data: "EFI boot, updated", Attrs: AttrArchive, SD: sdSystem},
	})
}

// longDirs returns the directory entries down to LongDir, below Files.
func longDirs() []Entry {
	elems := strings.Split(LongDir, "/")
	var dirs []Entry
	for i := 2; i <= len(elems); i++ {
		dirs = append(dirs, Entry{Name: strings.Join(elems[:i], "/"), Type: tar.TypeDir, Attrs: AttrDirectory, SD: sdApp})
	}
	return dirs
}

// Bench is a layer of n files of size bytes each, in directories of 100,
// with the metadata of a real base layer's files: what the translation
// benchmark reads.
func Bench(n, size int) []byte {
	data := strings.Repeat("x", size)
	entries := []Entry{{Name: "Files", Type: tar.TypeDir, Attrs: AttrDirectory, SD: sdSystem}}
	for i := range n {
		if i%100 == 0 {
			entries = append(entries, Entry{Name: fmt.Sprintf("Files/d%d", i/100), Type: tar.TypeDir, Attrs: AttrDirectory, SD: sdSystem})
		}
		entries = append(entries, Entry{Name: fmt.Sprintf("Files/d%d/f%d.dll", i/100, i), Data: data, Attrs: AttrArchive, SD: sdSystem})
	}
	return Tar(entries)
}
