//go:build windows

package computestorage

import (
	"fmt"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/winstr"
)

// Backend returns the [backend.Storage] over computestorage.dll. It does not
// load the DLL: each call loads it from System32 on first use, and fails
// with an error wrapping errors.ErrUnsupported when the DLL or the call's
// export is missing.
func Backend() backend.Storage { return ffi{} }

// ffi implements backend.Storage with computestorage.dll. It holds no
// state: the layers' state lives in the compute service.
type ffi struct{}

var _ backend.Storage = ffi{}

// strs converts the string arguments of entry point fn ("" is NULL). The
// copies are heap memory that the native call only reads while it runs.
func strs(fn string, ss ...string) ([]*uint16, error) {
	out := make([]*uint16, len(ss))
	for i, s := range ss {
		p, err := winstr.Ptr(s)
		if err != nil {
			return nil, fmt.Errorf("computestorage: %s: argument %d: %w", fn, i+1, err)
		}
		out[i] = p
	}
	return out, nil
}

// result classifies the error of a call through p: a missing export or
// DLL becomes errors.ErrUnsupported; the errors of the call itself are
// returned as they are.
func result(p *windows.LazyProc, err error) error {
	return winstr.Optional("computestorage.dll", p, err)
}

func (ffi) HcsImportLayer(layerPath, sourceFolderPath, layerData string) error {
	p, err := strs("HcsImportLayer", layerPath, sourceFolderPath, layerData)
	if err != nil {
		return err
	}
	return result(procHcsImportLayer, hcsImportLayer(p[0], p[1], p[2]))
}

func (ffi) HcsExportLayer(layerPath, exportFolderPath, layerData, options string) error {
	p, err := strs("HcsExportLayer", layerPath, exportFolderPath, layerData, options)
	if err != nil {
		return err
	}
	return result(procHcsExportLayer, hcsExportLayer(p[0], p[1], p[2], p[3]))
}

func (ffi) HcsExportLegacyWritableLayer(writableLayerMountPath, writableLayerFolderPath, exportFolderPath, layerData string) error {
	p, err := strs("HcsExportLegacyWritableLayer", writableLayerMountPath, writableLayerFolderPath, exportFolderPath, layerData)
	if err != nil {
		return err
	}
	return result(procHcsExportLegacyWritableLayer, hcsExportLegacyWritableLayer(p[0], p[1], p[2], p[3]))
}

func (ffi) HcsDestroyLayer(layerPath string) error {
	p, err := strs("HcsDestroyLayer", layerPath)
	if err != nil {
		return err
	}
	return result(procHcsDestroyLayer, hcsDestroyLayer(p[0]))
}

func (ffi) HcsSetupBaseOSLayer(layerPath string, vhd uintptr, options string) error {
	p, err := strs("HcsSetupBaseOSLayer", layerPath, options)
	if err != nil {
		return err
	}
	return result(procHcsSetupBaseOSLayer, hcsSetupBaseOSLayer(p[0], vhd, p[1]))
}

func (ffi) HcsSetupBaseOSVolume(layerPath, volumePath, options string) error {
	p, err := strs("HcsSetupBaseOSVolume", layerPath, volumePath, options)
	if err != nil {
		return err
	}
	return result(procHcsSetupBaseOSVolume, hcsSetupBaseOSVolume(p[0], p[1], p[2]))
}

func (ffi) HcsInitializeWritableLayer(writableLayerPath, layerData, options string) error {
	p, err := strs("HcsInitializeWritableLayer", writableLayerPath, layerData, options)
	if err != nil {
		return err
	}
	return result(procHcsInitializeWritableLayer, hcsInitializeWritableLayer(p[0], p[1], p[2]))
}

func (ffi) HcsInitializeLegacyWritableLayer(writableLayerMountPath, writableLayerFolderPath, layerData, options string) error {
	p, err := strs("HcsInitializeLegacyWritableLayer", writableLayerMountPath, writableLayerFolderPath, layerData, options)
	if err != nil {
		return err
	}
	return result(procHcsInitializeLegacyWritableLayer, hcsInitializeLegacyWritableLayer(p[0], p[1], p[2], p[3]))
}

func (ffi) HcsAttachLayerStorageFilter(layerPath, layerData string) error {
	p, err := strs("HcsAttachLayerStorageFilter", layerPath, layerData)
	if err != nil {
		return err
	}
	return result(procHcsAttachLayerStorageFilter, hcsAttachLayerStorageFilter(p[0], p[1]))
}

func (ffi) HcsDetachLayerStorageFilter(layerPath string) error {
	p, err := strs("HcsDetachLayerStorageFilter", layerPath)
	if err != nil {
		return err
	}
	return result(procHcsDetachLayerStorageFilter, hcsDetachLayerStorageFilter(p[0]))
}

func (ffi) HcsFormatWritableLayerVhd(vhd uintptr) error {
	return result(procHcsFormatWritableLayerVhd, hcsFormatWritableLayerVhd(vhd))
}

func (ffi) HcsGetLayerVhdMountPath(vhd uintptr) (string, error) {
	var p *uint16
	err := hcsGetLayerVhdMountPath(vhd, &p)
	// Freed whatever the result: a failing call may have set it.
	path := winstr.Take(p)
	if err := result(procHcsGetLayerVhdMountPath, err); err != nil {
		return "", err
	}
	return path, nil
}
