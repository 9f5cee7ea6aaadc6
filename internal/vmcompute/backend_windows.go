//go:build windows

package vmcompute

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/winstr"
)

// Backend returns the process-wide [backend.LegacyLayers] over
// vmcompute.dll. It loads the DLL from System32 on the first call; if that
// fails (the Containers feature is not installed), it returns an error
// wrapping errors.ErrUnsupported, now and on every later call. The exports
// themselves are looked up on first use: a missing one makes its calls
// fail with an error wrapping errors.ErrUnsupported.
func Backend() (backend.LegacyLayers, error) {
	return loadBackend()
}

var loadBackend = sync.OnceValues(func() (backend.LegacyLayers, error) {
	if err := modvmcompute.Load(); err != nil {
		return nil, fmt.Errorf("vmcompute: %v: %w", err, errors.ErrUnsupported)
	}
	return ffi{}, nil
})

// ffi implements backend.LegacyLayers with vmcompute.dll. It holds no
// state: the layer state lives in the compute service.
type ffi struct{}

var _ backend.LegacyLayers = ffi{}

// result classifies the error of a call through p: a missing export or
// DLL becomes errors.ErrUnsupported; the errors of the call itself are
// returned as they are.
func result(p *windows.LazyProc, err error) error {
	return winstr.Optional("vmcompute.dll", p, err)
}

// badArg reports an argument that cannot be passed to export fn.
func badArg(fn string, err error) error {
	return fmt.Errorf("vmcompute: %s: %w", fn, err)
}

// layerCall builds the arguments every call on one layer starts with,
// DriverInfo and id, then runs call, which builds the rest and calls
// export fn. The arguments stay pinned until call returns.
func layerCall(fn string, info backend.DriverInfo, id string, call func(a *args, di *driverInfo, id16 *uint16) error) error {
	var a args
	defer a.done()
	di, err := a.info(info)
	if err != nil {
		return badArg(fn, err)
	}
	id16, err := a.str(id)
	if err != nil {
		return badArg(fn, fmt.Errorf("id: %w", err))
	}
	return call(&a, di, id16)
}

// withParents is layerCall for the exports that also take parents.
func withParents(fn string, info backend.DriverInfo, id string, parents []backend.LayerDescriptor,
	call func(a *args, di *driverInfo, id16 *uint16, d *layerDescriptor, n uint32) error) error {
	return layerCall(fn, info, id, func(a *args, di *driverInfo, id16 *uint16) error {
		d, n, err := a.descriptors(parents)
		if err != nil {
			return badArg(fn, err)
		}
		return call(a, di, id16, d, n)
	})
}

func (ffi) NameToGuid(name string) (backend.GUID, error) {
	var a args
	defer a.done()
	name16, err := a.str(name)
	if err != nil {
		return backend.GUID{}, badArg("NameToGuid", err)
	}
	var id guid
	if err := result(procNameToGuid, nameToGuid(name16, &id)); err != nil {
		return backend.GUID{}, err
	}
	return id, nil
}

func (ffi) CreateSandboxLayer(info backend.DriverInfo, id string, parents []backend.LayerDescriptor) error {
	return withParents("CreateSandboxLayer", info, id, parents,
		func(_ *args, di *driverInfo, id16 *uint16, d *layerDescriptor, n uint32) error {
			return result(procCreateSandboxLayer, createSandboxLayer(di, id16, nil, d, n))
		})
}

func (ffi) ExpandSandboxSize(info backend.DriverInfo, id string, size uint64) error {
	return layerCall("ExpandSandboxSize", info, id, func(_ *args, di *driverInfo, id16 *uint16) error {
		return result(procExpandSandboxSize, expandSandboxSize(di, id16, size))
	})
}

func (ffi) ActivateLayer(info backend.DriverInfo, id string) error {
	return layerCall("ActivateLayer", info, id, func(_ *args, di *driverInfo, id16 *uint16) error {
		return result(procActivateLayer, activateLayer(di, id16))
	})
}

func (ffi) DeactivateLayer(info backend.DriverInfo, id string) error {
	return layerCall("DeactivateLayer", info, id, func(_ *args, di *driverInfo, id16 *uint16) error {
		return result(procDeactivateLayer, deactivateLayer(di, id16))
	})
}

func (ffi) PrepareLayer(info backend.DriverInfo, id string, parents []backend.LayerDescriptor) error {
	return withParents("PrepareLayer", info, id, parents,
		func(_ *args, di *driverInfo, id16 *uint16, d *layerDescriptor, n uint32) error {
			return result(procPrepareLayer, prepareLayer(di, id16, d, n))
		})
}

func (ffi) UnprepareLayer(info backend.DriverInfo, id string) error {
	return layerCall("UnprepareLayer", info, id, func(_ *args, di *driverInfo, id16 *uint16) error {
		return result(procUnprepareLayer, unprepareLayer(di, id16))
	})
}

// maxMountPath bounds the length GetLayerMountPath may ask for, in UTF-16
// units with the NUL: the longest path Windows has.
const maxMountPath = windows.MAX_LONG_PATH

// mountPathAttempts bounds the two-call protocol's retries when the path
// grows between the calls (the layer was prepared meanwhile).
const mountPathAttempts = 4

// testHookMountPath, when set by a test, runs between the two calls of
// GetLayerMountPath's protocol.
var testHookMountPath func()

func (ffi) GetLayerMountPath(info backend.DriverInfo, id string) (string, error) {
	var path string
	err := layerCall("GetLayerMountPath", info, id, func(_ *args, di *driverInfo, id16 *uint16) error {
		// First call: the length, NUL included; 0 when the layer has no
		// mount path.
		var n uintptr
		if err := result(procGetLayerMountPath, getLayerMountPath(di, id16, &n, nil)); err != nil {
			return err
		}
		if testHookMountPath != nil {
			testHookMountPath()
		}
		for attempt := 1; n != 0; attempt++ {
			if n > maxMountPath {
				return fmt.Errorf("vmcompute: GetLayerMountPath asks for a buffer of %d characters, more than a path has: %w",
					n, windows.ERROR_INVALID_DATA)
			}
			buf := make([]uint16, n)
			err := getLayerMountPath(di, id16, &n, &buf[0])
			if errors.Is(err, windows.ERROR_INSUFFICIENT_BUFFER) && attempt < mountPathAttempts {
				continue // the path grew between the calls; n is its new length
			}
			if err != nil {
				return result(procGetLayerMountPath, err)
			}
			path = windows.UTF16ToString(buf)
			return nil
		}
		return nil
	})
	return path, err
}

func (ffi) DestroyLayer(info backend.DriverInfo, id string) error {
	return layerCall("DestroyLayer", info, id, func(_ *args, di *driverInfo, id16 *uint16) error {
		return result(procDestroyLayer, destroyLayer(di, id16))
	})
}

func (ffi) LayerExists(info backend.DriverInfo, id string) (bool, error) {
	var exists uint32
	err := layerCall("LayerExists", info, id, func(_ *args, di *driverInfo, id16 *uint16) error {
		return result(procLayerExists, layerExists(di, id16, &exists))
	})
	return err == nil && exists != 0, err
}

// transfer is ImportLayer and ExportLayer: a layer, a folder and parents.
func transfer(fn string, p *windows.LazyProc, export func(*driverInfo, *uint16, *uint16, *layerDescriptor, uint32) error,
	info backend.DriverInfo, id, path string, parents []backend.LayerDescriptor) error {
	return withParents(fn, info, id, parents,
		func(a *args, di *driverInfo, id16 *uint16, d *layerDescriptor, n uint32) error {
			path16, err := a.str(path)
			if err != nil {
				return badArg(fn, fmt.Errorf("path: %w", err))
			}
			return result(p, export(di, id16, path16, d, n))
		})
}

func (ffi) ImportLayer(info backend.DriverInfo, id, path string, parents []backend.LayerDescriptor) error {
	return transfer("ImportLayer", procImportLayer, importLayer, info, id, path, parents)
}

func (ffi) ExportLayer(info backend.DriverInfo, id, path string, parents []backend.LayerDescriptor) error {
	return transfer("ExportLayer", procExportLayer, exportLayer, info, id, path, parents)
}

// onePath is ProcessBaseImage and ProcessUtilityImage.
func onePath(fn string, p *windows.LazyProc, export func(*uint16) error, path string) error {
	var a args
	defer a.done()
	path16, err := a.str(path)
	if err != nil {
		return badArg(fn, err)
	}
	return result(p, export(path16))
}

func (ffi) ProcessBaseImage(path string) error {
	return onePath("ProcessBaseImage", procProcessBaseImage, processBaseImage, path)
}

func (ffi) ProcessUtilityImage(path string) error {
	return onePath("ProcessUtilityImage", procProcessUtilityImage, processUtilityImage, path)
}

func (ffi) GetBaseImages() (string, error) {
	var buf *uint16
	err := getBaseImages(&buf)
	// The string is freed whatever the result: a failing call may have
	// set it.
	doc := winstr.Take(buf)
	if err := result(procGetBaseImages, err); err != nil {
		return "", err
	}
	return doc, nil
}
