package layers

import (
	"context"
	"path/filepath"

	"github.com/gohcs/hcs/internal/backend"
)

// The entry points that make read-only layers from unpacked image layers.
// Package layers does not read image tarballs: a caller unpacks a layer's
// Files\ and Hives\ (with their Windows metadata, through backup streams)
// into a folder, then calls these.

// Import makes folder dir a read-only layer over its parent layers, listed
// nearest first, base last, from the folder staging, which holds the
// unpacked layer (Files\, Hives\); staging may be dir itself. It then
// writes dir's layerchain.json, naming the parents, as Docker and
// containerd do. The base layer of an image is not imported this way: it
// is unpacked in place and processed with ProcessBaseImage.
//
// Import checks the order of the parents against their layerchain.json
// files first. It needs an elevated process on Windows. It fails with an
// *Error naming the step that failed. An Import that fails once the layer
// service has imported the layer, or that is abandoned, removes dir,
// unless dir is staging. When ctx ends first, Import returns ctx's
// error at once and the layer service's work is finished and undone in
// the background (see Drain).
func (h *Host) Import(ctx context.Context, dir, staging string, parents []string) error {
	const op = "import"
	dir, staging = abs(dir), abs(staging)
	if err := h.available(op, dir); err != nil {
		return err
	}
	parents, err := checkParents(op, dir, parents)
	if err != nil {
		return err
	}
	undo := func() {
		if !samePaths([]string{dir}, []string{staging}) {
			_ = h.b.DestroyLayer(backend.DriverInfo{}, dir)
		}
	}
	err = h.run(ctx, func(stop <-chan struct{}) (func(), error) {
		descs, err := h.descriptors(op, dir, parents)
		if err != nil {
			return nil, err
		}
		if err := h.b.ImportLayer(backend.DriverInfo{}, dir, staging, descs); err != nil {
			return nil, fail(op, dir, "ImportLayer", err)
		}
		if err := writeChain(dir, parents); err != nil {
			undo()
			return nil, &Error{Op: op, Path: dir, Err: err}
		}
		return undo, nil
	})
	return wrap(op, dir, err)
}

// ProcessBaseImage prepares the base layer unpacked in folder dir (Files\,
// Hives\) for use: Windows sets up its registry hives and writes the
// blank.vhdx and blank-base.vhdx disks scratch layers start from. It fails
// with an *Error when the layer service does. When ctx ends first, it
// returns ctx's error at once and the processing finishes in the
// background (see Drain); it cannot be undone.
func (h *Host) ProcessBaseImage(ctx context.Context, dir string) error {
	const op = "process base image"
	dir = abs(dir)
	return h.process(ctx, op, dir, dir, "ProcessBaseImage", func(p string) error { return h.b.ProcessBaseImage(p) })
}

// ProcessUtilityImage prepares the utility VM image of the base layer in
// folder dir, unpacked in dir\UtilityVM, for Hyper-V isolated containers.
// It fails and is cancelled as ProcessBaseImage.
func (h *Host) ProcessUtilityImage(ctx context.Context, dir string) error {
	const op = "process utility image"
	dir = abs(dir)
	return h.process(ctx, op, dir, filepath.Join(dir, "UtilityVM"), "ProcessUtilityImage",
		func(p string) error { return h.b.ProcessUtilityImage(p) })
}

// process runs one of the image processing calls on path.
func (h *Host) process(ctx context.Context, op, dir, path, call string, fn func(string) error) error {
	if err := h.available(op, dir); err != nil {
		return err
	}
	err := h.run(ctx, func(<-chan struct{}) (func(), error) {
		if err := fn(path); err != nil {
			return nil, fail(op, dir, call, err)
		}
		return nil, nil
	})
	return wrap(op, dir, err)
}
