package backend

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// The layer seam: the raw surface that mounts and manages container storage.
//
// Two DLLs provide it on Windows. vmcompute.dll exports the layer calls every
// runtime uses (containerd, moby, hcsshim): they are undocumented and have no
// SDK header; hcsshim's internal/wclayer declares their signatures.
// computestorage.dll is the documented layer API (computestorage.h). Both
// are synchronous: a call blocks its thread until the work is done.
//
// Implementations: internal/vmcompute and internal/computestorage (FFI,
// Windows only) and the simulator (hcssim). As with Backend, they translate
// and do not decide: the lock around PrepareLayer, retries, undoing a
// half-made mount and error wrapping live above the seam, in package layers.

// GUID is a Windows GUID in its in-memory layout.
type GUID struct {
	Data1 uint32
	Data2 uint16
	Data3 uint16
	Data4 [8]byte
}

// String returns g in the form runtimes put into documents: lower-case hex
// in the 8-4-4-4-12 groups, without braces.
func (g GUID) String() string {
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x", g.Data1, g.Data2, g.Data3, g.Data4[:2], g.Data4[2:])
}

// ParseGUID parses the text form of a GUID: 32 hexadecimal digits in the
// 8-4-4-4-12 groups, in either case, with or without braces.
func ParseGUID(s string) (GUID, bool) {
	var g GUID
	if len(s) == 38 && s[0] == '{' && s[37] == '}' {
		s = s[1:37]
	}
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return g, false
	}
	b, err := hex.DecodeString(s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36])
	if err != nil {
		return g, false
	}
	g.Data1 = binary.BigEndian.Uint32(b[0:4])
	g.Data2 = binary.BigEndian.Uint16(b[4:6])
	g.Data3 = binary.BigEndian.Uint16(b[6:8])
	copy(g.Data4[:], b[8:])
	return g, true
}

// LayerName returns the name a layer folder is known by, the one whose
// NameToGuid is the layer's id: the last element of path. Both separators
// count, so that Windows paths read the same on every system, and trailing
// ones are ignored.
func LayerName(path string) string {
	path = strings.TrimRight(path, `\/`)
	return path[strings.LastIndexAny(path, `\/`)+1:]
}

// DriverInfo mirrors vmcompute's DriverInfo. The FFI always passes Flavour
// 1 (the filter driver). Runtimes today pass an empty HomeDir (never a NULL
// one) and a layer's full path as its id; older ones passed the parent
// folder as HomeDir and the folder's base name as id.
type DriverInfo struct {
	HomeDir string
}

// LayerDescriptor mirrors WC_LAYER_DESCRIPTOR: one parent layer of a call.
type LayerDescriptor struct {
	// ID is NameToGuid of the base name of Path.
	ID GUID
	// Flags is the descriptor's flags word (bit 31: Dirty); 0 in practice.
	Flags uint32
	// Path is the layer folder.
	Path string
}

// LegacyLayers is vmcompute.dll's layer surface. Method names follow the
// exports they mirror. Parent lists are ordered as HCS wants them: the
// layer directly below first, the base layer last.
type LegacyLayers interface {
	NameToGuid(name string) (GUID, error)
	CreateSandboxLayer(info DriverInfo, id string, parents []LayerDescriptor) error
	ExpandSandboxSize(info DriverInfo, id string, size uint64) error
	ActivateLayer(info DriverInfo, id string) error
	DeactivateLayer(info DriverInfo, id string) error
	PrepareLayer(info DriverInfo, id string, parents []LayerDescriptor) error
	UnprepareLayer(info DriverInfo, id string) error
	// GetLayerMountPath runs the export's two-call buffer protocol (ask
	// the length, then fill the buffer) and returns the volume path, or ""
	// when the layer has none.
	GetLayerMountPath(info DriverInfo, id string) (string, error)
	DestroyLayer(info DriverInfo, id string) error
	LayerExists(info DriverInfo, id string) (bool, error)
	// ImportLayer turns a staging folder at path (Files\, Hives\, the
	// backup-stream output of a layer tarball) into the layer id.
	ImportLayer(info DriverInfo, id, path string, parents []LayerDescriptor) error
	ExportLayer(info DriverInfo, id, path string, parents []LayerDescriptor) error
	ProcessBaseImage(path string) error
	ProcessUtilityImage(path string) error
	// GetBaseImages returns the JSON document the export writes (a result
	// string the FFI frees with LocalFree).
	GetBaseImages() (string, error)
}

// Storage is computestorage.dll's surface; names as in computestorage.h.
// VHD handles are native HANDLE values, passed through untouched. Every
// entry point is optional: a host without the DLL or the export returns an
// error wrapping errors.ErrUnsupported.
type Storage interface {
	HcsImportLayer(layerPath, sourceFolderPath, layerData string) error
	HcsExportLayer(layerPath, exportFolderPath, layerData, options string) error
	HcsExportLegacyWritableLayer(writableLayerMountPath, writableLayerFolderPath, exportFolderPath, layerData string) error
	HcsDestroyLayer(layerPath string) error
	HcsSetupBaseOSLayer(layerPath string, vhd uintptr, options string) error
	HcsSetupBaseOSVolume(layerPath, volumePath, options string) error
	HcsInitializeWritableLayer(writableLayerPath, layerData, options string) error
	HcsInitializeLegacyWritableLayer(writableLayerMountPath, writableLayerFolderPath, layerData, options string) error
	HcsAttachLayerStorageFilter(layerPath, layerData string) error
	HcsDetachLayerStorageFilter(layerPath string) error
	HcsFormatWritableLayerVhd(vhd uintptr) error
	// HcsGetLayerVhdMountPath returns the mount path HCS allocated (freed
	// with LocalFree by the FFI).
	HcsGetLayerVhdMountPath(vhd uintptr) (string, error)
}

// Layers is the whole layer surface: both DLLs.
type Layers interface {
	LegacyLayers
	Storage
}

// NewLayers is set by package layers, at initialisation, to its Host
// constructor: it returns a *layers.Host around l. It lets hcssim hand out
// *layers.Host values without package layers exporting the seam.
var NewLayers func(l Layers) any

// ClassifyError is set by package hcs, at initialisation, to the function
// that turns an error from a backend into one the hcs error model
// classifies: an hcs.HRESULT for a syscall.Errno, an error matching
// hcs.ErrNotSupported for one wrapping errors.ErrUnsupported. Package
// layers classifies the errors of the layer calls with it.
var ClassifyError func(error) error
