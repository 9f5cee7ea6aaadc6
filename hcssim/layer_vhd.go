package hcssim

import (
	"errors"
	"io/fs"

	"github.com/gohcs/hcs"
)

// Virtual disks for the computestorage calls that take a VHD handle
// (HcsFormatWritableLayerVhd, HcsGetLayerVhdMountPath,
// HcsSetupBaseOSLayer) or the volume of one. On Windows such a handle
// comes from virtdisk.dll (OpenVirtualDisk, AttachVirtualDisk), which the
// simulator does not model: OpenVHD, AttachVHD, DetachVHD and CloseVHD
// stand for those calls, as the mock vmcompute.dll's test-only exports do
// under Wine, with the same results. The disk files are placeholders.

// vhd is a virtual disk OpenVHD opened.
type vhd struct {
	path      string
	formatted bool   // HcsFormatWritableLayerVhd ran on it
	attached  bool   // AttachVHD
	volume    string // while attached
}

// OpenVHD opens the virtual disk at path and returns its handle. With
// create, it first writes a placeholder disk there, which must not exist
// (ERROR_FILE_EXISTS); without, the file must exist (ERROR_FILE_NOT_FOUND).
// A path that is not absolute is E_INVALIDARG. A new handle's disk is
// neither formatted nor attached. Errors are hcs.HRESULT values.
func (s *Sim) OpenVHD(path string, create bool) (uintptr, error) {
	path, err := checkPath(path)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case create:
		err := writePlaceholder(path, placeholder{Kind: "vhd"}, true)
		if errors.Is(err, fs.ErrExist) {
			return 0, hcs.ERROR_FILE_EXISTS
		}
		if err != nil {
			return 0, fsError(err)
		}
	case !isFile(path):
		return 0, hcs.ERROR_FILE_NOT_FOUND
	}
	s.layers.lastVHD += 4
	s.layers.vhds[s.layers.lastVHD] = &vhd{path: path}
	return s.layers.lastVHD, nil
}

// AttachVHD attaches the disk of handle h to the host: it gets a new
// volume, which HcsGetLayerVhdMountPath returns once the disk is
// formatted. It fails with E_HANDLE for a handle OpenVHD did not return
// or that was closed, and ERROR_ALREADY_EXISTS for an attached disk.
func (s *Sim) AttachVHD(h uintptr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.lookupVHD(h)
	switch {
	case err != nil:
		return err
	case d.attached:
		return hcs.ERROR_ALREADY_EXISTS
	}
	d.attached, d.volume = true, `\\?\Volume{`+newGUID()+`}\`
	return nil
}

// DetachVHD detaches the disk of handle h. It fails with E_HANDLE for a
// bad handle, ERROR_NOT_READY when the disk is not attached, and
// ERROR_BUSY while a writable layer on its volume is mounted.
func (s *Sim) DetachVHD(h uintptr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.lookupVHD(h)
	switch {
	case err != nil:
		return err
	case !d.attached:
		return hcs.ERROR_NOT_READY
	case s.layers.record(d.volume) != nil:
		return hcs.ERROR_BUSY
	}
	d.attached, d.volume = false, ""
	return nil
}

// CloseVHD closes handle h; calls given it afterwards fail with E_HANDLE.
// An attached disk is detached first, unless a writable layer on its
// volume is mounted (ERROR_BUSY). The file stays.
func (s *Sim) CloseVHD(h uintptr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.lookupVHD(h)
	switch {
	case err != nil:
		return err
	case d.attached && s.layers.record(d.volume) != nil:
		return hcs.ERROR_BUSY
	}
	delete(s.layers.vhds, h)
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

// volumeVHD checks that path is the volume of an attached disk
// (ERROR_PATH_NOT_FOUND) that is formatted (ERROR_UNRECOGNIZED_VOLUME).
// s.mu is held.
func (s *Sim) volumeVHD(path string) error {
	for _, d := range s.layers.vhds {
		if d.attached && sameVolume(d.volume, path) {
			if !d.formatted {
				return hcs.ERROR_UNRECOGNIZED_VOLUME
			}
			return nil
		}
	}
	return hcs.ERROR_PATH_NOT_FOUND
}
