package layers

import (
	"context"
	"path/filepath"

	"github.com/gohcs/hcs/internal/backend"
)

// GUID is a layer id: a Windows GUID, in its in-memory layout. Its fields
// are those of go-winio's guid.GUID, so guid.GUID(id) converts it.
type GUID struct {
	Data1 uint32
	Data2 uint16
	Data3 uint16
	Data4 [8]byte
}

// String returns g as HCS documents want it: lower-case hexadecimal in
// the 8-4-4-4-12 groups, without braces.
func (g GUID) String() string { return backend.GUID(g).String() }

// LayerID returns the id of the layer in folder dir: what the layer
// service's NameToGuid gives for the folder's name (its last element),
// which HCS expects in Storage.Layers and in every call given the layer as
// a parent. Runtimes agree on that rule; the way Windows turns a name into a
// GUID is not published, so only a Host can compute it. (The simulator's
// ids are not those of Windows.)
//
// LayerID fails with an *Error when the layer service does, or with ctx's
// error when ctx ends first.
func (h *Host) LayerID(ctx context.Context, dir string) (GUID, error) {
	const op = "layer id"
	if err := h.available(op, dir); err != nil {
		return GUID{}, err
	}
	var id GUID
	err := h.run(ctx, func(<-chan struct{}) (func(), error) {
		g, err := h.b.NameToGuid(backend.LayerName(dir))
		if err != nil {
			return nil, fail(op, dir, "NameToGuid", err)
		}
		id = GUID(g)
		return nil, nil
	})
	if err != nil {
		return GUID{}, wrap(op, dir, err)
	}
	return id, nil
}

// descriptors returns the descriptors of the parent layers, for the calls
// that take them, with the ids of the layer service. It runs on the
// goroutine of a call. The paths are those abs gave.
func (h *Host) descriptors(op, path string, parents []string) ([]backend.LayerDescriptor, error) {
	descs := make([]backend.LayerDescriptor, len(parents))
	for i, p := range parents {
		g, err := h.b.NameToGuid(backend.LayerName(p))
		if err != nil {
			e := fail(op, path, "NameToGuid", err)
			e.Err = &parentError{p, e.Err}
			return nil, e
		}
		descs[i] = backend.LayerDescriptor{ID: g, Path: p}
	}
	return descs, nil
}

// parentError is a failure concerning a parent layer.
type parentError struct {
	path string
	err  error
}

func (e *parentError) Error() string { return "parent layer " + e.path + ": " + e.err.Error() }
func (e *parentError) Unwrap() error { return e.err }

// abs returns path made absolute: the layer service runs in another
// process, with another working directory.
func abs(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}
