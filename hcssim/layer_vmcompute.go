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
// The path must be absolute and not a root (checkPath).
func layerPath(info backend.DriverInfo, id string) (string, error) {
	if id == "" {
		return "", hcs.E_INVALIDARG
	}
	if info.HomeDir != "" {
		id = filepath.Join(info.HomeDir, id)
	}
	return checkPath(id)
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
// folders, cleaned. Arguments first: each path must be absolute (checkPath),
// its descriptor id NameToGuid of the folder's name, and no folder may be
// listed twice (E_INVALIDARG). Then the folders: each must be a read-only
// layer folder (ERROR_PATH_NOT_FOUND). Then their order: nearest first,
// base last — each one but the base names the ones after it, in order, in
// its layerchain.json, and only the last has none (E_INVALIDARG); a
// layerchain.json that is not a JSON array of strings is
// ERROR_INVALID_DATA.
func checkParents(parents []backend.LayerDescriptor) ([]string, error) {
	paths := make([]string, len(parents))
	for i, d := range parents {
		p, err := checkPath(d.Path)
		if err != nil {
			return nil, err
		}
		if d.ID != nameToGUID(backend.LayerName(p)) {
			return nil, hcs.E_INVALIDARG
		}
		if slices.ContainsFunc(paths[:i], func(q string) bool { return layerKey(q) == layerKey(p) }) {
			return nil, hcs.E_INVALIDARG // listed twice
		}
		paths[i] = p
	}
	for _, p := range paths {
		if !isReadOnlyLayer(p) {
			return nil, hcs.ERROR_PATH_NOT_FOUND
		}
	}
	for i, p := range paths {
		if err := checkChain(p, paths[i+1:]); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// checkChain checks the layerchain.json of the layer folder path against
// the parents that follow it in a list: a layer without one is a base
// layer, which must come last.
func checkChain(path string, below []string) error {
	chain, has, err := readChain(path)
	switch {
	case err != nil:
		return fsError(err)
	case !has && len(below) != 0:
		return hcs.E_INVALIDARG // a base layer above others
	case has && !samePaths(chain, below):
		return hcs.E_INVALIDARG // not the order the layer was built in
	}
	return nil
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
		if r.State == LayerPrepared && slices.ContainsFunc(r.Parents, func(p string) bool { return layerKey(p) == key }) {
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
		paths, err := checkParents(parents)
		switch {
		case err != nil:
			return err
		case len(paths) == 0:
			return hcs.E_INVALIDARG // a scratch layer needs its parents, at least the base layer
		case isFile(filepath.Join(path, sandboxFile)):
			return hcs.ERROR_FILE_EXISTS
		}
		made := !isDir(path)
		if err := os.MkdirAll(path, 0o755); err != nil {
			return fsError(err)
		}
		err = writePlaceholder(filepath.Join(path, sandboxFile),
			placeholder{Kind: "sandbox", Parents: paths, Size: defaultSandboxSize}, true)
		if err != nil {
			if made {
				_ = removeTree(path)
			}
			if errors.Is(err, fs.ErrExist) {
				return hcs.ERROR_FILE_EXISTS
			}
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
		r := s.layers.record(path)
		switch {
		case !isLayer(path):
			return hcs.ERROR_PATH_NOT_FOUND
		case r != nil && r.Filter:
			return hcs.ERROR_BUSY // its storage filter holds it
		case r != nil:
			r.Activations++
			return nil
		}
		s.layers.records[layerKey(path)] = &layerRecord{Path: path, State: LayerActivated, Activations: 1}
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
		case r.State == LayerPrepared && r.Activations == 1:
			return hcs.ERROR_BUSY // the last activation holds the volume
		}
		if r.Activations--; r.Activations == 0 {
			delete(s.layers.records, layerKey(path))
		}
		return nil
	})
}

// PrepareLayer mounts an activated scratch layer over its parents. Only a
// scratch is prepared (hcsshim's PrepareLayer "finds a mounted read-write
// layer"), and over the parents CreateSandboxLayer was given when its
// sandbox.vhdx records them.
func (b *layerSeam) PrepareLayer(info backend.DriverInfo, id string, parents []backend.LayerDescriptor) error {
	s := (*Sim)(b)
	return s.onLayer(CallPrepareLayer, info, id, func(path string) error {
		paths, err := checkParents(parents)
		if err != nil {
			return err
		}
		r := s.layers.record(path)
		switch {
		case len(paths) == 0:
			return hcs.E_INVALIDARG
		case r != nil && r.State == LayerPrepared:
			return hcs.ERROR_ALREADY_EXISTS
		case r == nil:
			return hcs.ERROR_NOT_READY // not activated
		case !isScratch(path):
			return hcs.ERROR_FILE_NOT_FOUND // no sandbox.vhdx
		}
		if p, err := readPlaceholder(filepath.Join(path, sandboxFile)); err == nil && len(p.Parents) > 0 && !samePaths(p.Parents, paths) {
			return hcs.E_INVALIDARG // not the parents the scratch was created over
		}
		r.State, r.Parents, r.VolumePath = LayerPrepared, paths, `\\?\Volume{`+newGUID()+`}\`
		return nil
	})
}

func (b *layerSeam) UnprepareLayer(info backend.DriverInfo, id string) error {
	s := (*Sim)(b)
	return s.onLayer(CallUnprepareLayer, info, id, func(path string) error {
		return s.unprepare(path, false)
	})
}

// unprepare undoes PrepareLayer or, with filter, HcsAttachLayerStorageFilter
// on the layer at path. s.mu is held.
func (s *Sim) unprepare(path string, filter bool) error {
	r := s.layers.record(path)
	switch {
	case r == nil || r.State != LayerPrepared:
		return hcs.ERROR_NOT_READY // not prepared, or no filter attached
	case r.Filter != filter:
		return hcs.E_INVALIDARG // undone with the other API
	case s.volumeInUse(r.VolumePath):
		return hcs.ERROR_BUSY
	}
	if filter {
		delete(s.layers.records, layerKey(path))
		return nil
	}
	r.State, r.Parents, r.VolumePath = LayerActivated, nil, ""
	return nil
}

// GetLayerMountPath gives a prepared layer's volume, and the folder of a
// layer that is activated, or read-only (hcsshim: "otherwise it is
// expected to be the folder path at which the layer is stored"; moby's
// windowsfilter driver asks it of parent layers it never activated). An
// inactive scratch has none: ERROR_NOT_READY.
func (b *layerSeam) GetLayerMountPath(info backend.DriverInfo, id string) (string, error) {
	s := (*Sim)(b)
	var mount string
	err := s.onLayer(CallGetLayerMountPath, info, id, func(path string) error {
		switch r := s.layers.record(path); {
		case r != nil && r.State == LayerPrepared:
			mount = r.VolumePath
		case r != nil:
			mount = r.Path
		case isReadOnlyLayer(path):
			mount = path
		default:
			return hcs.ERROR_NOT_READY
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

// destroy removes the layer folder path, unless it is in use or holds
// what no layer holds (safeToDestroy). A folder that does not exist is
// already destroyed. s.mu is held.
func (s *Sim) destroy(path string) error {
	if s.layers.record(path) != nil || s.parentOfPrepared(path) {
		return hcs.ERROR_BUSY
	}
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		delete(s.layers.writable, layerKey(path))
		return nil
	}
	if err := safeToDestroy(path); err != nil {
		return err
	}
	if err := removeTree(path); err != nil {
		return fsError(err)
	}
	delete(s.layers.writable, layerKey(path))
	return nil
}

func (b *layerSeam) LayerExists(info backend.DriverInfo, id string) (bool, error) {
	s := (*Sim)(b)
	var exists bool
	err := s.onLayer(CallLayerExists, info, id, func(path string) error {
		exists = isLayer(path) || s.layers.writable[layerKey(path)] != nil
		return nil
	})
	return exists, err
}

func (b *layerSeam) ImportLayer(info backend.DriverInfo, id, source string, parents []backend.LayerDescriptor) error {
	s := (*Sim)(b)
	return s.onLayer(CallImportLayer, info, id, func(path string) error {
		source, err := checkPath(source)
		if err != nil {
			return err
		}
		paths, err := checkParents(parents)
		if err != nil {
			return err
		}
		return importLayer(path, source, paths)
	})
}

// importLayer makes the layer folder path from the staging folder source,
// which holds the layer's Files\ (Hives\, UtilityVM\), as Windows does from
// the backup streams of a layer tarball; source may be path itself.
// Base layers are not imported (hcsshim writes them with BackupWrite, then
// ProcessBaseImage), so a layer needs parents. The folder may exist and
// hold a UtilityVM\, which is kept (hcsshim writes a layer's utility VM
// files there before the import), but not a layer. Writing
// layerchain.json is left to the caller, as with Windows. A failed import
// removes what it wrote.
func importLayer(path, source string, parents []string) error {
	switch {
	case len(parents) == 0:
		return hcs.E_INVALIDARG
	case !isReadOnlyLayer(source):
		return hcs.ERROR_PATH_NOT_FOUND
	case layerKey(source) == layerKey(path):
		return nil // imported in place
	case isLayer(path) || isDir(filepath.Join(path, hivesDir)):
		return hcs.ERROR_ALREADY_EXISTS
	}
	made := !isDir(path)
	if err := os.MkdirAll(path, 0o755); err != nil {
		return fsError(err)
	}
	dirs := []string{filesDir, hivesDir, utilityVMDir}
	if isDir(filepath.Join(path, utilityVMDir)) {
		dirs = dirs[:2]
	}
	if err := copyLayerDirs(path, source, dirs...); err != nil {
		undoWrite(path, made, dirs...)
		return fsError(err)
	}
	return nil
}

// undoWrite removes what an import or export wrote into path: the folder
// when it made it, else the entries it wrote.
func undoWrite(path string, made bool, names ...string) {
	if made {
		_ = removeTree(path)
		return
	}
	removeEntries(path, names...)
}

func (b *layerSeam) ExportLayer(info backend.DriverInfo, id, exportPath string, parents []backend.LayerDescriptor) error {
	s := (*Sim)(b)
	return s.onLayer(CallExportLayer, info, id, func(path string) error {
		exportPath, err := checkPath(exportPath)
		if err != nil {
			return err
		}
		paths, err := checkParents(parents)
		if err != nil {
			return err
		}
		return s.exportLayer(path, exportPath, paths, isScratch(path))
	})
}

// exportLayer copies the files of the layer folder path (Files\, Hives\,
// UtilityVM\) into exportPath, which must be missing or empty
// (ERROR_DIR_NOT_EMPTY). A read-only layer's layerchain.json must name
// parents. A writable layer (a scratch: moby's windowsfilter driver
// exports a container's scratch layer this way) exports its changes: empty
// Files\ and Hives\, since nothing in the simulator writes into a mounted
// scratch. s.mu is held.
func (s *Sim) exportLayer(path, exportPath string, parents []string, writable bool) error {
	switch {
	case writable && !isScratch(path) && s.layers.writable[layerKey(path)] == nil:
		return hcs.ERROR_PATH_NOT_FOUND // not a writable layer
	case !writable && !isReadOnlyLayer(path):
		return hcs.ERROR_PATH_NOT_FOUND
	}
	if !writable {
		if err := checkChain(path, parents); err != nil {
			return err
		}
	}
	made := !isDir(exportPath)
	if !made && !isEmptyDir(exportPath) {
		return hcs.ERROR_DIR_NOT_EMPTY
	}
	if err := os.MkdirAll(exportPath, 0o755); err != nil {
		return fsError(err)
	}
	var err error
	if writable {
		err = errors.Join(os.Mkdir(filepath.Join(exportPath, filesDir), 0o755), os.Mkdir(filepath.Join(exportPath, hivesDir), 0o755))
	} else {
		err = copyLayerDirs(exportPath, path, filesDir, hivesDir, utilityVMDir)
	}
	if err != nil {
		undoWrite(exportPath, made, filesDir, hivesDir, utilityVMDir)
		return fsError(err)
	}
	return nil
}

// ProcessBaseImage needs a base layer folder: Files\ (ERROR_PATH_NOT_FOUND),
// no layerchain.json (E_INVALIDARG), Hives\ (ERROR_PATH_NOT_FOUND).
func (b *layerSeam) ProcessBaseImage(path string) error {
	s := (*Sim)(b)
	return s.layerCall(CallProcessBaseImage, func() error {
		path, err := checkPath(path)
		if err != nil {
			return err
		}
		if err := checkBaseLayer(path); err != nil {
			return err
		}
		if !isDir(filepath.Join(path, hivesDir)) {
			return hcs.ERROR_PATH_NOT_FOUND
		}
		return writeDisks(path, "blank-base.vhdx", "blank.vhdx")
	})
}

// checkBaseLayer checks that path is a read-only layer folder
// (ERROR_PATH_NOT_FOUND) without a layerchain.json (E_INVALIDARG).
func checkBaseLayer(path string) error {
	switch {
	case !isReadOnlyLayer(path):
		return hcs.ERROR_PATH_NOT_FOUND
	case isFile(filepath.Join(path, chainFile)):
		return hcs.E_INVALIDARG // a layer with parents
	}
	return nil
}

func (b *layerSeam) ProcessUtilityImage(path string) error {
	s := (*Sim)(b)
	return s.layerCall(CallProcessUtilityImage, func() error {
		path, err := checkPath(path)
		if err != nil {
			return err
		}
		if !isReadOnlyLayer(path) {
			return hcs.ERROR_PATH_NOT_FOUND
		}
		return writeDisks(path, "SystemTemplateBase.vhdx", "SystemTemplate.vhdx")
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
