package layers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/schema"
)

// Mount is a scratch layer mounted over its parent layers: the volume a
// process-isolated container runs on. Its Storage goes into the
// container's document (see package container). Release unmounts it.
//
// A Mount is safe for concurrent use. A Mount that is not released stays
// mounted, also after the program exits, as on Windows: Host.Unmount
// releases it from another program.
type Mount struct {
	h       *Host
	scratch string
	parents []string
	ids     []GUID
	volume  string

	mu sync.Mutex
	// prepared and activated say what is left to undo.
	prepared, activated bool
	// releasing is closed when the release under way ends; nil when none
	// runs.
	releasing chan struct{}
}

// Scratch returns the scratch layer's folder.
func (m *Mount) Scratch() string { return m.scratch }

// Volume returns the volume path of the mount, \\?\Volume{GUID}\, which is
// the container's Storage.Path.
func (m *Mount) Volume() string { return m.volume }

// Parents returns the parent layer folders, nearest first, base last.
func (m *Mount) Parents() []string { return slices.Clone(m.parents) }

// Storage returns the Storage of a container document that runs on the
// mount: the volume as Path, and each parent layer, nearest first, with
// its id. Each call returns a new value, which the caller may modify.
func (m *Mount) Storage() *schema.Storage {
	st := &schema.Storage{Path: m.volume, Layers: make([]schema.Layer, len(m.parents))}
	for i, p := range m.parents {
		st.Layers[i] = schema.Layer{ID: m.ids[i].String(), Path: p}
	}
	return st
}

// prepareLock serialises PrepareLayer calls across the process, as
// hcsshim does: concurrent calls make Windows time out. A channel, so
// that a call whose caller gave up stops waiting for it.
var prepareLock = make(chan struct{}, 1)

// Retries of the activation and preparation of a scratch layer: Windows
// reports ERROR_NOT_READY or ERROR_DEVICE_NOT_CONNECTED when the disk is
// not mounted yet, notably under load (hcsshim's experience); a new try
// after a pause usually succeeds.
const (
	mountAttempts   = 5
	mountRetryPause = 100 * time.Millisecond
)

// errGaveUp ends the work of a call whose caller gave up.
var errGaveUp = errors.New("the caller gave up")

// Mount mounts the scratch layer in folder scratch over its parent layers,
// listed nearest first, base last (the scratch must have been made with
// CreateScratch). It activates the scratch layer, prepares it with its
// parents — one PrepareLayer at a time in the process, retrying when
// Windows reports the disk not ready — and reads its volume path.
//
// Mount checks the order of the parents against their layerchain.json
// files first. It needs an elevated process on Windows. When a step
// fails, Mount undoes the steps before it and returns an *Error naming the
// step; nothing stays mounted. When ctx ends first, Mount returns ctx's
// error at once, and the layer service's work is finished and undone in
// the background (see Drain).
func (h *Host) Mount(ctx context.Context, scratch string, parents []string) (*Mount, error) {
	const op = "mount"
	scratch = abs(scratch)
	if err := h.available(op, scratch); err != nil {
		return nil, err
	}
	parents, err := checkParents(op, scratch, parents)
	if err != nil {
		return nil, err
	}
	m := &Mount{h: h, scratch: scratch, parents: parents}
	err = h.run(ctx, func(stop <-chan struct{}) (func(), error) {
		if err := m.mount(stop); err != nil {
			return nil, err
		}
		return func() { _ = m.release(op) }, nil
	})
	if err != nil {
		return nil, wrap(op, scratch, err)
	}
	return m, nil
}

// mount does the work of Mount, undoing what it did when it fails or stop
// is closed.
func (m *Mount) mount(stop <-chan struct{}) (err error) {
	const op = "mount"
	h := m.h
	info := backend.DriverInfo{}
	descs, err := h.descriptors(op, m.scratch, m.parents)
	if err != nil {
		return err
	}
	for _, d := range descs {
		m.ids = append(m.ids, GUID(d.ID))
	}
	defer func() {
		if err == nil {
			return
		}
		if uerr := m.release(op); uerr != nil {
			var e *Error
			if errors.As(err, &e) {
				e.Err = errors.Join(e.Err, fmt.Errorf("undoing the mount: %w", uerr))
			}
		}
	}()
	for attempt := 1; ; attempt++ {
		err = m.activateAndPrepare(info, descs, stop)
		if err == nil || attempt == mountAttempts || !retryable(err) {
			break
		}
		if !pause(stop, mountRetryPause) {
			return errGaveUp
		}
	}
	if err != nil {
		return err
	}
	if gaveUp(stop) {
		return errGaveUp
	}
	volume, err := h.b.GetLayerMountPath(info, m.scratch)
	switch {
	case err != nil:
		return fail(op, m.scratch, "GetLayerMountPath", err)
	case volume == "":
		return &Error{Op: op, Path: m.scratch, Call: "GetLayerMountPath", Err: errors.New("the layer service gave no volume path")}
	}
	m.volume = volume
	return nil
}

// activateAndPrepare makes one attempt at activating and preparing the
// scratch layer. When the preparation fails, it deactivates the layer
// again.
func (m *Mount) activateAndPrepare(info backend.DriverInfo, descs []backend.LayerDescriptor, stop <-chan struct{}) error {
	const op = "mount"
	if gaveUp(stop) {
		return errGaveUp
	}
	if err := m.h.b.ActivateLayer(info, m.scratch); err != nil {
		return fail(op, m.scratch, "ActivateLayer", err)
	}
	m.setDone(&m.activated, true)
	select {
	case prepareLock <- struct{}{}:
	case <-stop:
		return errGaveUp
	}
	err := m.h.b.PrepareLayer(info, m.scratch, descs)
	<-prepareLock
	if err != nil {
		e := fail(op, m.scratch, "PrepareLayer", err)
		if errors.Is(e.Err, hcs.ERROR_ALREADY_EXISTS) {
			e.Err = fmt.Errorf("%w (the scratch layer is mounted already)", e.Err)
		}
		if derr := m.h.b.DeactivateLayer(info, m.scratch); derr == nil {
			m.setDone(&m.activated, false)
		}
		return e
	}
	m.setDone(&m.prepared, true)
	return nil
}

// setDone records under m.mu that a step is done or undone.
func (m *Mount) setDone(step *bool, done bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	*step = done
}

// retryable reports whether err is one Windows reports for a disk that is
// not ready yet.
func retryable(err error) bool {
	return errors.Is(err, hcs.ERROR_NOT_READY) || errors.Is(err, hcs.ERROR_DEVICE_NOT_CONNECTED)
}

// pause waits d, or until stop is closed; it reports whether it waited d.
func pause(stop <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-stop:
		return false
	}
}

// gaveUp reports whether stop is closed.
func gaveUp(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// Release unmounts m: it unprepares and deactivates the scratch layer, so
// that the layer can be mounted again or destroyed. The compute system
// that ran on it must have stopped: while one runs, the layer service
// refuses with ERROR_BUSY (matching hcs.ErrInvalidState), m stays mounted
// and Release may be called again later.
//
// Release is idempotent: once it has succeeded it does nothing and returns
// nil. It is safe to call concurrently: the calls are serialised. When ctx
// ends first, Release returns ctx's error at once and the release
// finishes in the background (see Drain).
func (m *Mount) Release(ctx context.Context) error {
	const op = "release"
	m.mu.Lock()
	released := !m.prepared && !m.activated && m.releasing == nil
	m.mu.Unlock()
	if released {
		return nil
	}
	err := m.h.run(ctx, func(<-chan struct{}) (func(), error) {
		return nil, m.release(op)
	})
	return wrap(op, m.scratch, err)
}

// release undoes what is done of the mount, in order, and records the
// outcome. Calls are serialised through m.releasing.
func (m *Mount) release(op string) error {
	m.mu.Lock()
	for m.releasing != nil {
		ch := m.releasing
		m.mu.Unlock()
		<-ch
		m.mu.Lock()
	}
	ch := make(chan struct{})
	m.releasing = ch
	prepared, activated := m.prepared, m.activated
	m.mu.Unlock()

	var err error
	if prepared {
		if err = m.h.unprepare(op, m.scratch); err == nil {
			m.setDone(&m.prepared, false)
		}
	}
	if activated && err == nil {
		if _, err = m.h.deactivate(op, m.scratch); err == nil {
			m.setDone(&m.activated, false)
		}
	}

	m.mu.Lock()
	m.releasing = nil
	m.mu.Unlock()
	close(ch)
	return err
}

// unprepare unprepares the layer at path. A layer that is not prepared
// (ERROR_NOT_READY: unprepared by another program) is no failure.
func (h *Host) unprepare(op, path string) error {
	err := h.b.UnprepareLayer(backend.DriverInfo{}, path)
	if err != nil && !errors.Is(backend.ClassifyError(err), hcs.ERROR_NOT_READY) {
		return fail(op, path, "UnprepareLayer", err)
	}
	return nil
}

// deactivate deactivates the layer at path and reports whether it was
// active. A layer that is not (ERROR_NOT_READY: deactivated by another
// program) is no failure.
func (h *Host) deactivate(op, path string) (bool, error) {
	err := h.b.DeactivateLayer(backend.DriverInfo{}, path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(backend.ClassifyError(err), hcs.ERROR_NOT_READY):
		return false, nil
	}
	return false, fail(op, path, "DeactivateLayer", err)
}

// Unmount unmounts the scratch layer in folder scratch, whatever program
// mounted it: it unprepares and deactivates the layer, as Release does for
// a Mount of this program. A program that restarts unmounts what it left
// mounted this way. A scratch layer mounted twice (two Mounts of it, the
// second failing as it is prepared already) is deactivated once.
//
// Unmount fails when no compute system may use the mount (ERROR_BUSY,
// matching hcs.ErrInvalidState, while one runs on it), and with an error
// matching hcs.ErrInvalidState when the scratch layer is not mounted.
// When ctx ends first, Unmount returns ctx's error at once and the unmount
// finishes in the background (see Drain).
func (h *Host) Unmount(ctx context.Context, scratch string) error {
	const op = "unmount"
	scratch = abs(scratch)
	if err := h.available(op, scratch); err != nil {
		return err
	}
	err := h.run(ctx, func(<-chan struct{}) (func(), error) {
		if err := h.unprepare(op, scratch); err != nil {
			return nil, err
		}
		active, err := h.deactivate(op, scratch)
		if err == nil && !active {
			err = &Error{Op: op, Path: scratch, Call: "DeactivateLayer", Err: &notMountedError{}}
		}
		return nil, err
	})
	return wrap(op, scratch, err)
}

// notMountedError is the cause of an Unmount of a layer that is not
// mounted.
type notMountedError struct{}

func (*notMountedError) Error() string        { return "the layer is not mounted" }
func (*notMountedError) Is(target error) bool { return target == hcs.ErrInvalidState }
