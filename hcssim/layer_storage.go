package hcssim

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
)

// The computestorage.dll calls (computestorage.h), the documented layer
// API. They share the layer store with the vmcompute.dll calls: a filter
// attached with HcsAttachLayerStorageFilter makes its layer Prepared, with
// the attach path as its volume. VHD handles are those AttachVHD hands
// out.

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
// Each layer is checked as a parent of the vmcompute calls. An empty
// document stands for none.
func parseLayerData(doc string) ([]string, error) {
	if doc == "" {
		return nil, nil
	}
	var data struct {
		Layers []struct {
			ID   string `json:"Id"`
			Path string
		}
	}
	if err := json.Unmarshal([]byte(doc), &data); err != nil {
		return nil, hcs.HCS_E_INVALID_JSON
	}
	descs := make([]backend.LayerDescriptor, len(data.Layers))
	for i, l := range data.Layers {
		id, ok := backend.ParseGUID(l.ID)
		if !ok {
			return nil, hcs.E_INVALIDARG
		}
		descs[i] = backend.LayerDescriptor{ID: id, Path: l.Path}
	}
	return checkParents(descs)
}

// checkOptions checks an options document: empty, or a JSON object.
func checkOptions(doc string) error {
	if doc == "" {
		return nil
	}
	var v map[string]json.RawMessage
	if json.Unmarshal([]byte(doc), &v) != nil {
		return hcs.HCS_E_INVALID_JSON
	}
	return nil
}

// lookupVHD returns the disk behind a handle. s.mu is held.
func (s *Sim) lookupVHD(h uintptr) (*vhd, error) {
	d := s.layers.vhds[h]
	if d == nil {
		return nil, hcs.E_HANDLE
	}
	return d, nil
}

func (b *layerSeam) HcsImportLayer(layerPath, sourceFolderPath, layerData string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsImportLayer, func() error {
		if layerPath == "" {
			return hcs.E_INVALIDARG
		}
		if _, err := parseLayerData(layerData); err != nil {
			return err
		}
		return importLayer(layerPath, sourceFolderPath)
	})
}

func (b *layerSeam) HcsExportLayer(layerPath, exportFolderPath, layerData, options string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsExportLayer, func() error {
		if layerPath == "" {
			return hcs.E_INVALIDARG
		}
		if _, err := parseLayerData(layerData); err != nil {
			return err
		}
		if err := checkOptions(options); err != nil {
			return err
		}
		return exportLayer(layerPath, exportFolderPath)
	})
}

// HcsExportLegacyWritableLayer checks that the scratch folder is mounted
// at the mount path and exports an empty layer: the simulator keeps no
// files in a scratch layer.
func (b *layerSeam) HcsExportLegacyWritableLayer(mountPath, folderPath, exportFolderPath, layerData string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsExportLegacyWritableLayer, func() error {
		if mountPath == "" || folderPath == "" || exportFolderPath == "" {
			return hcs.E_INVALIDARG
		}
		if _, err := parseLayerData(layerData); err != nil {
			return err
		}
		r := s.layers.record(folderPath)
		if !isScratch(folderPath) || r == nil || r.State != layerPrepared || !sameVolume(r.VolumePath, mountPath) {
			return hcs.ERROR_PATH_NOT_FOUND
		}
		if err := os.MkdirAll(filepath.Join(exportFolderPath, filesDir), 0o755); err != nil {
			return fsError(err)
		}
		return nil
	})
}

func (b *layerSeam) HcsDestroyLayer(layerPath string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsDestroyLayer, func() error {
		if layerPath == "" {
			return hcs.E_INVALIDARG
		}
		return s.destroy(layerPath)
	})
}

func (b *layerSeam) HcsSetupBaseOSLayer(layerPath string, h uintptr, options string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsSetupBaseOSLayer, func() error {
		if layerPath == "" {
			return hcs.E_INVALIDARG
		}
		if _, err := s.lookupVHD(h); err != nil {
			return err
		}
		if err := checkOptions(options); err != nil {
			return err
		}
		if !isReadOnlyLayer(layerPath) {
			return hcs.ERROR_PATH_NOT_FOUND
		}
		return nil
	})
}

func (b *layerSeam) HcsSetupBaseOSVolume(layerPath, volumePath, options string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsSetupBaseOSVolume, func() error {
		if layerPath == "" || volumePath == "" {
			return hcs.E_INVALIDARG
		}
		if err := checkOptions(options); err != nil {
			return err
		}
		if !isReadOnlyLayer(layerPath) {
			return hcs.ERROR_PATH_NOT_FOUND
		}
		return nil
	})
}

// HcsInitializeWritableLayer checks its arguments and creates the writable
// layer's folder.
func (b *layerSeam) HcsInitializeWritableLayer(writableLayerPath, layerData, options string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsInitializeWritableLayer, func() error {
		if writableLayerPath == "" {
			return hcs.E_INVALIDARG
		}
		if _, err := parseLayerData(layerData); err != nil {
			return err
		}
		if err := checkOptions(options); err != nil {
			return err
		}
		if err := os.MkdirAll(writableLayerPath, 0o755); err != nil {
			return fsError(err)
		}
		return nil
	})
}

// HcsInitializeLegacyWritableLayer checks its arguments: the scratch
// folder must exist.
func (b *layerSeam) HcsInitializeLegacyWritableLayer(mountPath, folderPath, layerData, options string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsInitializeLegacyWritableLayer, func() error {
		if mountPath == "" || folderPath == "" {
			return hcs.E_INVALIDARG
		}
		if _, err := parseLayerData(layerData); err != nil {
			return err
		}
		if err := checkOptions(options); err != nil {
			return err
		}
		if !isDir(folderPath) {
			return hcs.ERROR_PATH_NOT_FOUND
		}
		return nil
	})
}

func (b *layerSeam) HcsAttachLayerStorageFilter(layerPath, layerData string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsAttachLayerStorageFilter, func() error {
		if layerPath == "" {
			return hcs.E_INVALIDARG
		}
		parents, err := parseLayerData(layerData)
		if err != nil {
			return err
		}
		if len(parents) == 0 {
			return hcs.E_INVALIDARG
		}
		if !isDir(layerPath) && !s.vhdVolume(layerPath) {
			return hcs.ERROR_PATH_NOT_FOUND
		}
		if s.layers.record(layerPath) != nil {
			return hcs.ERROR_BUSY
		}
		s.layers.records[layerKey(layerPath)] = &layerRecord{
			Path: layerPath, State: layerPrepared, Activations: 1, Parents: parents, VolumePath: layerPath,
		}
		return nil
	})
}

// vhdVolume reports whether path is the mount path of a VHD handle. s.mu
// is held.
func (s *Sim) vhdVolume(path string) bool {
	for _, d := range s.layers.vhds {
		if d.volume != "" && sameVolume(d.volume, path) {
			return true
		}
	}
	return false
}

func (b *layerSeam) HcsDetachLayerStorageFilter(layerPath string) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsDetachLayerStorageFilter, func() error {
		if layerPath == "" {
			return hcs.E_INVALIDARG
		}
		r := s.layers.record(layerPath)
		switch {
		case r == nil || r.State != layerPrepared:
			return hcs.ERROR_NOT_READY // no filter attached
		case s.volumeInUse(r.VolumePath):
			return hcs.ERROR_BUSY
		}
		delete(s.layers.records, layerKey(layerPath))
		return nil
	})
}

func (b *layerSeam) HcsFormatWritableLayerVhd(h uintptr) error {
	s := (*Sim)(b)
	return s.layerCall(CallHcsFormatWritableLayerVhd, func() error {
		d, err := s.lookupVHD(h)
		if err != nil {
			return err
		}
		d.formatted = true
		return nil
	})
}

// HcsGetLayerVhdMountPath gives a formatted disk a volume path, the same
// on every call; an unformatted one has none (ERROR_NOT_READY).
func (b *layerSeam) HcsGetLayerVhdMountPath(h uintptr) (string, error) {
	s := (*Sim)(b)
	var mount string
	err := s.layerCall(CallHcsGetLayerVhdMountPath, func() error {
		d, err := s.lookupVHD(h)
		if err != nil {
			return err
		}
		if !d.formatted {
			return hcs.ERROR_NOT_READY
		}
		if d.volume == "" {
			d.volume = `\\?\Volume{` + newGUID() + `}\`
		}
		mount = d.volume
		return nil
	})
	return mount, err
}
