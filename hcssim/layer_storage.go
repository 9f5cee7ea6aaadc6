package hcssim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
)

// The computestorage.dll calls (computestorage.h), the documented layer
// API. They share the layer store with the vmcompute.dll calls: a filter
// attached with HcsAttachLayerStorageFilter makes its layer Prepared, with
// the attach path as its volume. VHD handles are those OpenVHD hands out
// (layer_vhd.go).

// The layer calls, for fault injection: the computestorage.dll functions.
const (
	CallHcsImportLayer                   Call = "HcsImportLayer"
	CallHcsExportLayer                   Call = "HcsExportLayer"
	CallHcsExportLegacyWritableLayer     Call = "HcsExportLegacyWritableLayer"
	CallHcsDestroyLayer                  Call = "HcsDestroyLayer"
	CallHcsSetupBaseOSLayer              Call = "HcsSetupBaseOSLayer"
	CallHcsSetupBaseOSVolume             Call = "HcsSetupBaseOSVolume"
	CallHcsInitializeWritableLayer       Call = "HcsInitializeWritableLayer"
	CallHcsInitializeLegacyWritableLayer Call = "HcsInitializeLegacyWritableLayer"
	CallHcsAttachLayerStorageFilter      Call = "HcsAttachLayerStorageFilter"
	CallHcsDetachLayerStorageFilter      Call = "HcsDetachLayerStorageFilter"
	CallHcsFormatWritableLayerVhd        Call = "HcsFormatWritableLayerVhd"
	CallHcsGetLayerVhdMountPath          Call = "HcsGetLayerVhdMountPath"
)

// parseLayerData checks a LayerData document, {"SchemaVersion":{…},
// "Layers":[{"Id","Path","PathType"}]}, and returns its layers' folders.
// The document is required (E_INVALIDARG when empty) and must be a JSON
// object whose members have the schema's types (HCS_E_INVALID_JSON). Each
// layer needs an Id in the schema's GUID form (8-4-4-4-12 hex digits, no
// braces) and a Path, and a PathType, when given, of AbsolutePath, the
// only kind a host path can be (E_INVALIDARG); the layers are then checked
// as the parents of the vmcompute calls.
func parseLayerData(doc string) ([]string, error) {
	if doc == "" {
		return nil, hcs.E_INVALIDARG
	}
	var data struct {
		Layers []struct {
			ID       *string `json:"Id"`
			Path     *string
			PathType *string
		}
	}
	if err := json.Unmarshal([]byte(doc), &data); err != nil || !isJSONObject(doc) {
		return nil, hcs.HCS_E_INVALID_JSON
	}
	descs := make([]backend.LayerDescriptor, len(data.Layers))
	for i, l := range data.Layers {
		if l.ID == nil || l.Path == nil || l.PathType != nil && *l.PathType != "AbsolutePath" {
			return nil, hcs.E_INVALIDARG
		}
		id, ok := schemaGUID(*l.ID)
		if !ok {
			return nil, hcs.E_INVALIDARG
		}
		descs[i] = backend.LayerDescriptor{ID: id, Path: *l.Path}
	}
	return checkParents(descs)
}

// schemaGUID parses a GUID in the form the HCS schema gives for its Guid
// strings: 8-4-4-4-12 hexadecimal digits, either case, no braces.
func schemaGUID(s string) (backend.GUID, bool) {
	if strings.HasPrefix(s, "{") {
		return backend.GUID{}, false
	}
	return backend.ParseGUID(s)
}

// isJSONObject reports whether doc, valid JSON, is an object.
func isJSONObject(doc string) bool {
	return strings.HasPrefix(strings.TrimLeft(doc, " \t\r\n"), "{")
}

// checkOptions checks an optional options document: empty, or a JSON
// object (HCS_E_INVALID_JSON).
func checkOptions(doc string) error {
	if doc == "" {
		return nil
	}
	var v map[string]json.RawMessage
	if json.Unmarshal([]byte(doc), &v) != nil || v == nil {
		return hcs.HCS_E_INVALID_JSON
	}
	return nil
}

func (b *layerSeam) HcsImportLayer(layerPath, sourceFolderPath, layerData string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsImportLayer, func() error {
		paths, err := checkPaths(layerPath, sourceFolderPath)
		if err != nil {
			return err
		}
		parents, err := parseLayerData(layerData)
		if err != nil {
			return err
		}
		return importLayer(paths[0], paths[1], parents)
	})
}

// checkPaths checks the path arguments of a call (checkPath) and returns
// them cleaned.
func checkPaths(paths ...string) ([]string, error) {
	out := make([]string, len(paths))
	for i, p := range paths {
		var err error
		if out[i], err = checkPath(p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// HcsExportLayer exports a read-only layer or, with the options'
// IsWritableLayer, a writable one. Its options (ExportLayerOptions) are
// required: Microsoft's reference does not mark them optional.
func (b *layerSeam) HcsExportLayer(layerPath, exportFolderPath, layerData, options string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsExportLayer, func() error {
		paths, err := checkPaths(layerPath, exportFolderPath)
		if err != nil {
			return err
		}
		parents, err := parseLayerData(layerData)
		if err != nil {
			return err
		}
		if options == "" {
			return hcs.E_INVALIDARG
		}
		var opts struct{ IsWritableLayer *bool }
		if checkOptions(options) != nil || json.Unmarshal([]byte(options), &opts) != nil {
			return hcs.HCS_E_INVALID_JSON
		}
		writable := opts.IsWritableLayer != nil && *opts.IsWritableLayer
		return s.exportLayer(paths[0], paths[1], parents, writable)
	})
}

// legacyWritable checks the scratch folder of the legacy writable layer
// calls: prepared with PrepareLayer (ERROR_NOT_READY), mounted at
// mountPath, and prepared over parents (E_INVALIDARG). s.mu is held.
func (s *Sim) legacyWritable(mountPath, folder string, parents []string) error {
	r := s.layers.record(folder)
	switch {
	case r == nil || r.State != LayerPrepared || r.Filter:
		return hcs.ERROR_NOT_READY
	case mountPath == "" || !sameVolume(r.VolumePath, mountPath):
		return hcs.E_INVALIDARG // not the volume it was prepared on
	case !samePaths(parents, r.Parents):
		return hcs.E_INVALIDARG
	}
	return nil
}

// HcsExportLegacyWritableLayer exports the changes of a scratch folder
// mounted at the mount path: an empty layer, as the simulator keeps no
// files in a scratch layer.
func (b *layerSeam) HcsExportLegacyWritableLayer(mountPath, folderPath, exportFolderPath, layerData string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsExportLegacyWritableLayer, func() error {
		paths, err := checkPaths(folderPath, exportFolderPath)
		if err != nil {
			return err
		}
		parents, err := parseLayerData(layerData)
		if err != nil {
			return err
		}
		if err := s.legacyWritable(mountPath, paths[0], parents); err != nil {
			return err
		}
		return s.exportLayer(paths[0], paths[1], parents, true)
	})
}

func (b *layerSeam) HcsDestroyLayer(layerPath string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsDestroyLayer, func() error {
		path, err := checkPath(layerPath)
		if err != nil {
			return err
		}
		return s.destroy(path)
	})
}

// osLayerType reads the Type of an OsLayerOptions document (optional):
// "Container", the default, or "Vm" (E_INVALIDARG otherwise).
func osLayerType(options string) (vm bool, err error) {
	if err := checkOptions(options); err != nil {
		return false, err
	}
	var opts struct{ Type *string }
	if options != "" && json.Unmarshal([]byte(options), &opts) != nil {
		return false, hcs.HCS_E_INVALID_JSON
	}
	switch {
	case opts.Type == nil || *opts.Type == "Container":
		return false, nil
	case *opts.Type == "Vm":
		return true, nil
	}
	return false, hcs.E_INVALIDARG
}

// setupBase sets up the base OS layer at path, as hcsshim reports
// HcsSetupBaseOSLayer to do (computestorage/helpers.go): for a container,
// the base layer's Files\ (ERROR_PATH_NOT_FOUND) get the Hives\ folder and
// the Layout file, which must not exist yet (ERROR_ALREADY_EXISTS); for a
// utility VM, path is the layer's UtilityVM folder, with its Files\.
func setupBase(path string, vm bool) error {
	if vm {
		if !isReadOnlyLayer(path) {
			return hcs.ERROR_PATH_NOT_FOUND
		}
		return nil
	}
	if err := checkBaseLayer(path); err != nil {
		return err
	}
	if isDir(filepath.Join(path, hivesDir)) || isFile(filepath.Join(path, layoutFile)) {
		return hcs.ERROR_ALREADY_EXISTS
	}
	if err := os.Mkdir(filepath.Join(path, hivesDir), 0o755); err != nil {
		return fsError(err)
	}
	if err := os.WriteFile(filepath.Join(path, layoutFile), []byte(`{"Fake":"hcssim","Kind":"Layout"}`+"\n"), 0o644); err != nil {
		_ = removeTree(filepath.Join(path, hivesDir))
		return fsError(err)
	}
	return nil
}

// HcsSetupBaseOSLayer takes no disk for a container layer (hcsshim: it
// "expects an empty vhd handle for a container layer and will error out
// otherwise") and an attached one for a utility VM ("the base vhdx must be
// attached"), which it leaves formatted.
func (b *layerSeam) HcsSetupBaseOSLayer(layerPath string, h uintptr, options string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsSetupBaseOSLayer, func() error {
		path, err := checkPath(layerPath)
		if err != nil {
			return err
		}
		vm, err := osLayerType(options)
		if err != nil {
			return err
		}
		if !vm {
			if h != 0 {
				return hcs.E_INVALIDARG
			}
			return setupBase(path, false)
		}
		d, err := s.lookupVHD(h)
		if err != nil {
			return err
		}
		if !d.attached {
			return hcs.ERROR_NOT_READY
		}
		if err := setupBase(path, true); err != nil {
			return err
		}
		d.formatted = true
		return nil
	})
}

// HcsSetupBaseOSVolume is HcsSetupBaseOSLayer with the volume of an
// attached, formatted disk instead of its handle.
func (b *layerSeam) HcsSetupBaseOSVolume(layerPath, volumePath, options string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsSetupBaseOSVolume, func() error {
		path, err := checkPath(layerPath)
		if err != nil {
			return err
		}
		if err := s.volumeVHD(volumePath); err != nil {
			return err
		}
		vm, err := osLayerType(options)
		if err != nil {
			return err
		}
		return setupBase(path, vm)
	})
}

// HcsInitializeWritableLayer marks a folder, or the volume of an attached
// and formatted disk, a writable layer over the layerData's parents. Its
// options are reserved: Microsoft's reference says they must be NULL.
func (b *layerSeam) HcsInitializeWritableLayer(writableLayerPath, layerData, options string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsInitializeWritableLayer, func() error {
		if options != "" {
			return hcs.E_INVALIDARG
		}
		path, err := checkPath(writableLayerPath)
		if err != nil {
			return err
		}
		parents, err := parseLayerData(layerData)
		if err != nil {
			return err
		}
		if len(parents) == 0 {
			return hcs.E_INVALIDARG
		}
		if !isDir(path) {
			if err := s.volumeVHD(path); err != nil {
				return err
			}
		}
		switch {
		case s.layers.record(path) != nil:
			return hcs.ERROR_BUSY
		case s.layers.writable[layerKey(path)] != nil:
			return hcs.ERROR_ALREADY_EXISTS
		}
		s.layers.writable[layerKey(path)] = &writableLayer{Path: path, Parents: parents}
		return nil
	})
}

// HcsInitializeLegacyWritableLayer marks the scratch folder prepared at
// the mount path a writable layer.
func (b *layerSeam) HcsInitializeLegacyWritableLayer(mountPath, folderPath, layerData, options string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsInitializeLegacyWritableLayer, func() error {
		if err := checkOptions(options); err != nil {
			return err
		}
		path, err := checkPath(folderPath)
		if err != nil {
			return err
		}
		parents, err := parseLayerData(layerData)
		if err != nil {
			return err
		}
		if err := s.legacyWritable(mountPath, path, parents); err != nil {
			return err
		}
		s.layers.writable[layerKey(path)] = &writableLayer{Path: path, Parents: parents}
		return nil
	})
}

// HcsAttachLayerStorageFilter activates and prepares a layer at once; the
// layer's own path stands for its volume. The layer must be inactive, a
// layer folder or an initialized writable layer, attached over the parents
// it was initialized with.
func (b *layerSeam) HcsAttachLayerStorageFilter(layerPath, layerData string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsAttachLayerStorageFilter, func() error {
		path, err := checkPath(layerPath)
		if err != nil {
			return err
		}
		parents, err := parseLayerData(layerData)
		if err != nil {
			return err
		}
		r, w := s.layers.record(path), s.layers.writable[layerKey(path)]
		switch {
		case len(parents) == 0:
			return hcs.E_INVALIDARG
		case r != nil && r.State == LayerPrepared:
			return hcs.ERROR_ALREADY_EXISTS
		case r != nil:
			return hcs.ERROR_BUSY // activated with ActivateLayer
		case !isLayer(path) && w == nil:
			return hcs.ERROR_PATH_NOT_FOUND
		case w != nil && !samePaths(parents, w.Parents):
			return hcs.E_INVALIDARG
		}
		s.layers.records[layerKey(path)] = &layerRecord{
			Path: path, State: LayerPrepared, Activations: 1, Parents: parents, VolumePath: path, Filter: true,
		}
		return nil
	})
}

func (b *layerSeam) HcsDetachLayerStorageFilter(layerPath string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsDetachLayerStorageFilter, func() error {
		path, err := checkPath(layerPath)
		if err != nil {
			return err
		}
		return s.unprepare(path, true)
	})
}

// HcsFormatWritableLayerVhd formats a disk that is not attached: Microsoft's
// reference wants "an unmounted virtual hard disk" (ERROR_BUSY otherwise).
func (b *layerSeam) HcsFormatWritableLayerVhd(h uintptr) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsFormatWritableLayerVhd, func() error {
		d, err := s.lookupVHD(h)
		switch {
		case err != nil:
			return err
		case d.attached:
			return hcs.ERROR_BUSY
		}
		d.formatted = true
		return nil
	})
}

// HcsGetLayerVhdMountPath gives the volume of an attached disk
// (ERROR_NOT_READY when it is not attached) that is formatted
// (ERROR_UNRECOGNIZED_VOLUME).
func (b *layerSeam) HcsGetLayerVhdMountPath(h uintptr) (string, error) {
	s := (*Sim)(b)
	var mount string
	err := s.layerCall(CallHcsGetLayerVhdMountPath, func() error {
		d, err := s.lookupVHD(h)
		switch {
		case err != nil:
			return err
		case !d.attached:
			return hcs.ERROR_NOT_READY
		case !d.formatted:
			return hcs.ERROR_UNRECOGNIZED_VOLUME
		}
		mount = d.volume
		return nil
	})
	return mount, err
}
