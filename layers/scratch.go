package layers

import (
	"context"
	"os"
	"path/filepath"

	"github.com/gohcs/hcs/internal/backend"
)

// sandboxFile is the virtual disk of a scratch layer.
const sandboxFile = "sandbox.vhdx"

// CreateScratch makes folder dir a scratch (sandbox) layer over its parent
// layers, listed nearest first, base last: the writable layer a container
// runs on, once mounted (see Mount). The folder is created if missing; it
// must not be a scratch layer already. size is the size of the scratch's
// disk in bytes; 0 keeps the default of Windows (20 GB); Windows refuses a
// size smaller than the default.
//
// CreateScratch checks the order of the parents against their
// layerchain.json files first. It needs an elevated process on Windows.
// It fails with an *Error naming the step that failed; a failed or
// abandoned CreateScratch leaves nothing behind: it removes the folder if
// it created it, or else the disk it made there. When ctx ends first,
// CreateScratch returns ctx's error at once and the layer service's work is
// finished and undone in the background (see Drain).
func (h *Host) CreateScratch(ctx context.Context, dir string, parents []string, size uint64) error {
	const op = "create scratch"
	dir = abs(dir)
	if err := h.available(op, dir); err != nil {
		return err
	}
	parents, err := checkParents(op, dir, parents)
	if err != nil {
		return err
	}
	_, statErr := os.Stat(dir)
	existed := statErr == nil
	undo := func() {
		if existed {
			_ = os.Remove(filepath.Join(dir, sandboxFile))
			return
		}
		_ = h.b.DestroyLayer(backend.DriverInfo{}, dir)
	}
	err = h.run(ctx, func(stop <-chan struct{}) (func(), error) {
		descs, err := h.descriptors(op, dir, parents)
		if err != nil {
			return nil, err
		}
		if err := h.b.CreateSandboxLayer(backend.DriverInfo{}, dir, descs); err != nil {
			return nil, fail(op, dir, "CreateSandboxLayer", err)
		}
		if size != 0 {
			if gaveUp(stop) {
				undo()
				return nil, errGaveUp
			}
			if err := h.b.ExpandSandboxSize(backend.DriverInfo{}, dir, size); err != nil {
				undo()
				return nil, fail(op, dir, "ExpandSandboxSize", err)
			}
		}
		return undo, nil
	})
	return wrap(op, dir, err)
}

// Destroy removes the layer in folder dir, of either kind, with
// everything in it. A folder that does not exist is already destroyed. A
// layer that is mounted, or that a mounted layer has as parent, cannot be
// destroyed: the layer service refuses with ERROR_BUSY (matching
// hcs.ErrInvalidState) while it is. When ctx ends first, Destroy returns
// ctx's error at once and the removal finishes in the background (see
// Drain).
func (h *Host) Destroy(ctx context.Context, dir string) error {
	const op = "destroy"
	dir = abs(dir)
	if err := h.available(op, dir); err != nil {
		return err
	}
	err := h.run(ctx, func(<-chan struct{}) (func(), error) {
		if err := h.b.DestroyLayer(backend.DriverInfo{}, dir); err != nil {
			return nil, fail(op, dir, "DestroyLayer", err)
		}
		return nil, nil
	})
	return wrap(op, dir, err)
}

// LayerExists reports whether folder dir is a layer the layer service
// recognises. It fails with an *Error when the layer service does, or
// with ctx's error when ctx ends first.
func (h *Host) LayerExists(ctx context.Context, dir string) (bool, error) {
	const op = "layer exists"
	dir = abs(dir)
	if err := h.available(op, dir); err != nil {
		return false, err
	}
	var exists bool
	err := h.run(ctx, func(<-chan struct{}) (func(), error) {
		var err error
		if exists, err = h.b.LayerExists(backend.DriverInfo{}, dir); err != nil {
			return nil, fail(op, dir, "LayerExists", err)
		}
		return nil, nil
	})
	return exists, wrap(op, dir, err)
}
