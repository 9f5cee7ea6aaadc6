package hcssim

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
)

// The vmcompute.dll layer calls: the state machine of a layer is
// inactive (no record) → Activated (ActivateLayer, counted) → Prepared
// (PrepareLayer, with a volume) and back (UnprepareLayer, DeactivateLayer).

// The layer calls, for fault injection: the vmcompute.dll exports.
const (
	CallNameToGuid          Call = "NameToGuid"
	CallCreateSandboxLayer  Call = "CreateSandboxLayer"
	CallExpandSandboxSize   Call = "ExpandSandboxSize"
	CallActivateLayer       Call = "ActivateLayer"
	CallDeactivateLayer     Call = "DeactivateLayer"
	CallPrepareLayer        Call = "PrepareLayer"
	CallUnprepareLayer      Call = "UnprepareLayer"
	CallGetLayerMountPath   Call = "GetLayerMountPath"
	CallDestroyLayer        Call = "DestroyLayer"
	CallLayerExists         Call = "LayerExists"
	CallImportLayer         Call = "ImportLayer"
	CallExportLayer         Call = "ExportLayer"
	CallProcessBaseImage    Call = "ProcessBaseImage"
	CallProcessUtilityImage Call = "ProcessUtilityImage"
	CallGetBaseImages       Call = "GetBaseImages"
)

// layerPath returns the folder of the layer id: id itself when the driver
// info has no home directory (what runtimes pass today), else
// HomeDir\id.
func layerPath(info backend.DriverInfo, id string) (string, error) {
	if id == "" {
		return "", hcs.E_INVALIDARG
	}
	if info.HomeDir == "" {
		return filepath.Clean(id), nil
	}
	return filepath.Join(info.HomeDir, id), nil
}

// onLayer is layerCall for a call on the layer id: fn gets its folder.
func (s *Sim) onLayer(call Call, info backend.DriverInfo, id string, fn func(path string) error) error {
	return s.layerCall(call, func() error {
		path, err := layerPath(info, id)
		if err != nil {
			return err
		}
		return fn(path)
	})
}

// checkParents checks the parent layers of a call and returns their
// folders, cleaned. Each must be an existing read-only layer folder
// (ERROR_PATH_NOT_FOUND) whose descriptor id is NameToGuid of its name
// (E_INVALIDARG), and they must come nearest first, base last: each one
// but the base names the ones after it, in order, in its layerchain.json,
// and only the last has none (E_INVALIDARG).
func checkParents(parents []backend.LayerDescriptor) ([]string, error) {
	paths := make([]string, len(parents))
	for i, d := range parents {
		if d.Path == "" {
			return nil, hcs.E_INVALIDARG
		}
		if !isReadOnlyLayer(d.Path) {
			return nil, hcs.ERROR_PATH_NOT_FOUND
		}
		if d.ID != nameToGUID(backend.LayerName(d.Path)) {
			return nil, hcs.E_INVALIDARG
		}
		paths[i] = filepath.Clean(d.Path)
	}
	for i, p := range paths {
		chain, has, err := readChain(p)
		switch {
		case err != nil:
			return nil, hcs.ERROR_INVALID_DATA
		case !has && i != len(paths)-1:
			return nil, hcs.E_INVALIDARG // a base layer above others
		case has && !samePaths(chain, paths[i+1:]):
			return nil, hcs.E_INVALIDARG // not the order the layer was built in
		}
	}
	return paths, nil
}

// samePaths reports whether a and b name the same folders in the same
// order.
func samePaths(a, b []string) bool {
	return slices.EqualFunc(a, b, func(x, y string) bool { return layerKey(x) == layerKey(y) })
}

// parentOfPrepared reports whether path is a parent of a prepared layer.
// s.mu is held.
func (s *Sim) parentOfPrepared(path string) bool {
	key := layerKey(path)
	for _, r := range s.layers.records {
		if slices.ContainsFunc(r.Parents, func(p string) bool { return layerKey(p) == key }) {
			return true
		}
	}
	return false
}

func (b *layerSeam) NameToGuid(name string) (backend.GUID, error) {
	s := (*Sim)(b)
	var g backend.GUID
	err := s.layerCall(CallNameToGuid, func() error {
		if name == "" {
			return hcs.E_INVALIDARG
		}
		g = nameToGUID(name)
		return nil
	})
	return g, err
}

func (b *layerSeam) CreateSandboxLayer(info backend.DriverInfo, id string, parents []backend.LayerDescriptor) error {
	s := (*Sim)(b)
	return s.onLayer(CallCreateSandboxLayer, info, id, func(path string) error {
		if len(parents) == 0 {
			return hcs.E_INVALIDARG
		}
		paths, err := checkParents(parents)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(path, 0o755); err != nil {
			return fsError(err)
		}
		err = writePlaceholder(filepath.Join(path, sandboxFile),
			placeholder{Kind: "sandbox", Parents: paths, Size: defaultSandboxSize}, true)
		if errors.Is(err, fs.ErrExist) {
			return hcs.ERROR_FILE_EXISTS
		}
		if err != nil {
			return fsError(err)
		}
		return nil
	})
}

func (b *layerSeam) ExpandSandboxSize(info backend.DriverInfo, id string, size uint64) error {
	s := (*Sim)(b)
	return s.onLayer(CallExpandSandboxSize, info, id, func(path string) error {
		file := filepath.Join(path, sandboxFile)
		p, err := readPlaceholder(file)
		if errors.Is(err, fs.ErrNotExist) {
			return hcs.ERROR_FILE_NOT_FOUND
		}
		if err != nil {
			return fsError(err)
		}
		switch {
		case size < p.Size:
			return hcs.E_INVALIDARG // a disk does not shrink
		case size == p.Size:
			return nil
		}
		p.Size = size
		if err := writePlaceholder(file, p, false); err != nil {
			return fsError(err)
		}
		return nil
	})
}

func (b *layerSeam) ActivateLayer(info backend.DriverInfo, id string) error {
	s := (*Sim)(b)
	return s.onLayer(CallActivateLayer, info, id, func(path string) error {
		if r := s.layers.record(path); r != nil {
			r.Activations++
			return nil
		}
		if !isLayer(path) {
			return hcs.ERROR_PATH_NOT_FOUND
		}
		s.layers.records[layerKey(path)] = &layerRecord{Path: path, State: layerActivated, Activations: 1}
		return nil
	})
}

func (b *layerSeam) DeactivateLayer(info backend.DriverInfo, id string) error {
	s := (*Sim)(b)
	return s.onLayer(CallDeactivateLayer, info, id, func(path string) error {
		r := s.layers.record(path)
		switch {
		case r == nil:
			return hcs.ERROR_NOT_READY // not activated
		case r.State == layerPrepared && r.Activations == 1:
			return hcs.ERROR_BUSY // the last activation holds the volume
		}
		if r.Activations--; r.Activations == 0 {
			delete(s.layers.records, layerKey(path))
		}
		return nil
	})
}

func (b *layerSeam) PrepareLayer(info backend.DriverInfo, id string, parents []backend.LayerDescriptor) error {
	s := (*Sim)(b)
	return s.onLayer(CallPrepareLayer, info, id, func(path string) error {
		if len(parents) == 0 {
			return hcs.E_INVALIDARG
		}
		paths, err := checkParents(parents)
		if err != nil {
			return err
		}
		r := s.layers.record(path)
		switch {
		case r == nil:
			return hcs.ERROR_NOT_READY // not activated
		case r.State == layerPrepared:
			return hcs.ERROR_ALREADY_EXISTS
		}
		r.State, r.Parents, r.VolumePath = layerPrepared, paths, `\\?\Volume{`+newGUID()+`}\`
		return nil
	})
}

func (b *layerSeam) UnprepareLayer(info backend.DriverInfo, id string) error {
	s := (*Sim)(b)
	return s.onLayer(CallUnprepareLayer, info, id, func(path string) error {
		r := s.layers.record(path)
		switch {
		case r == nil || r.State != layerPrepared:
			return hcs.ERROR_NOT_READY // not prepared
		case s.volumeInUse(r.VolumePath):
			return hcs.ERROR_BUSY
		}
		r.State, r.Parents, r.VolumePath = layerActivated, nil, ""
		return nil
	})
}

func (b *layerSeam) GetLayerMountPath(info backend.DriverInfo, id string) (string, error) {
	s := (*Sim)(b)
	var mount string
	err := s.onLayer(CallGetLayerMountPath, info, id, func(path string) error {
		switch r := s.layers.record(path); {
		case r == nil:
			return hcs.ERROR_NOT_READY
		case r.State == layerPrepared:
			mount = r.VolumePath
		default:
			mount = r.Path // what hcsshim observes for legacy layers
		}
		return nil
	})
	return mount, err
}

func (b *layerSeam) DestroyLayer(info backend.DriverInfo, id string) error {
	s := (*Sim)(b)
	return s.onLayer(CallDestroyLayer, info, id, func(path string) error {
		return s.destroy(path)
	})
}

// destroy removes the layer folder path, unless it is in use. A folder
// that does not exist is already destroyed. s.mu is held.
func (s *Sim) destroy(path string) error {
	if s.layers.record(path) != nil || s.parentOfPrepared(path) {
		return hcs.ERROR_BUSY
	}
	if err := removeTree(path); err != nil {
		return fsError(err)
	}
	return nil
}

func (b *layerSeam) LayerExists(info backend.DriverInfo, id string) (bool, error) {
	s := (*Sim)(b)
	var exists bool
	err := s.onLayer(CallLayerExists, info, id, func(path string) error {
		exists = isLayer(path)
		return nil
	})
	return exists, err
}

func (b *layerSeam) ImportLayer(info backend.DriverInfo, id, source string, parents []backend.LayerDescriptor) error {
	s := (*Sim)(b)
	return s.onLayer(CallImportLayer, info, id, func(path string) error {
		if _, err := checkParents(parents); err != nil {
			return err
		}
		return importLayer(path, source)
	})
}

// importLayer makes the layer folder path from the staging folder source,
// which holds the layer's Files\ (and Hives\), as Windows does from the
// backup streams of a layer tarball; source may be path itself. Writing
// layerchain.json is left to the caller, as with Windows.
func importLayer(path, source string) error {
	switch {
	case source == "":
		return hcs.E_INVALIDARG
	case !isReadOnlyLayer(source):
		return hcs.ERROR_PATH_NOT_FOUND
	case layerKey(source) == layerKey(path):
		return nil // imported in place
	case isLayer(path):
		return hcs.ERROR_ALREADY_EXISTS
	}
	if err := copyLayerFiles(path, source); err != nil {
		return fsError(err)
	}
	return nil
}

func (b *layerSeam) ExportLayer(info backend.DriverInfo, id, exportPath string, parents []backend.LayerDescriptor) error {
	s := (*Sim)(b)
	return s.onLayer(CallExportLayer, info, id, func(path string) error {
		if _, err := checkParents(parents); err != nil {
			return err
		}
		return exportLayer(path, exportPath)
	})
}

// exportLayer copies the files of the layer folder path into exportPath.
func exportLayer(path, exportPath string) error {
	switch {
	case exportPath == "":
		return hcs.E_INVALIDARG
	case !isReadOnlyLayer(path):
		return hcs.ERROR_PATH_NOT_FOUND
	}
	if err := copyLayerFiles(exportPath, path); err != nil {
		return fsError(err)
	}
	return nil
}

func (b *layerSeam) ProcessBaseImage(path string) error {
	s := (*Sim)(b)
	return s.layerCall(CallProcessBaseImage, func() error {
		switch {
		case path == "":
			return hcs.E_INVALIDARG
		case !isReadOnlyLayer(path) || !isDir(filepath.Join(path, hivesDir)):
			return hcs.ERROR_PATH_NOT_FOUND
		}
		return writeDisks(path, "blank.vhdx", "blank-base.vhdx")
	})
}

func (b *layerSeam) ProcessUtilityImage(path string) error {
	s := (*Sim)(b)
	return s.layerCall(CallProcessUtilityImage, func() error {
		switch {
		case path == "":
			return hcs.E_INVALIDARG
		case !isReadOnlyLayer(path):
			return hcs.ERROR_PATH_NOT_FOUND
		}
		return writeDisks(path, "SystemTemplate.vhdx", "SystemTemplateBase.vhdx")
	})
}

// writeDisks writes placeholder disks of the given names into folder.
func writeDisks(folder string, names ...string) error {
	for _, name := range names {
		if err := writePlaceholder(filepath.Join(folder, name), placeholder{Kind: name}, false); err != nil {
			return fsError(err)
		}
	}
	return nil
}

// GetBaseImages reports no image: the simulator has no central image
// store (the one of Windows Server 2016, which runtimes no longer use).
func (b *layerSeam) GetBaseImages() (string, error) {
	s := (*Sim)(b)
	err := s.layerCall(CallGetBaseImages, func() error { return nil })
	if err != nil {
		return "", err
	}
	return `{"Images":[]}`, nil
}
