package layers

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/drain"
)

// Host is the layer service of a machine: this one's (see Local) or a
// simulated one (see hcssim.Sim.Layers). A Host is safe for concurrent
// use and needs no closing. The zero value is not usable: every call on
// it fails with an error matching hcs.ErrNotSupported.
type Host struct {
	b   backend.Layers
	err error // set when the backend is unavailable; every call returns it

	// background counts the calls whose caller gave up and that still run.
	background drain.Tracker
}

func init() {
	backend.NewLayers = func(l backend.Layers) any { return newHost(l, nil) }
}

// newHost returns a Host over b. When b is nil, err says why and every call
// fails with it.
func newHost(b backend.Layers, err error) *Host {
	return &Host{b: b, err: err}
}

var (
	localOnce sync.Once
	localHost *Host
)

// Local returns the layer service of this machine, reached through
// vmcompute.dll and computestorage.dll (Windows 10 1809, Windows Server
// 2019 or later), as a process running elevated. Off Windows, or when the
// DLLs cannot be loaded, every call on the returned Host fails with an
// error matching hcs.ErrNotSupported. The Host is shared.
func Local() *Host {
	localOnce.Do(func() {
		b, err := localBackend()
		localHost = newHost(b, err)
	})
	return localHost
}

// available returns the error every call fails with when h has no
// backend, for op on path.
func (h *Host) available(op, path string) error {
	switch {
	case h.err != nil:
		return &Error{Op: op, Path: path, Err: h.err}
	case h.b == nil:
		return &Error{Op: op, Path: path, Err: fmt.Errorf("%w: a zero Host; use Local or hcssim", hcs.ErrNotSupported)}
	}
	return nil
}

// Drain waits until every call whose context ended before the layer
// service finished it has finished, and its effect has been undone, or
// until ctx ends, returning ctx's error. Programs call Drain before
// exiting so that no mount is left behind; tests call it before checking
// that nothing is mounted.
func (h *Host) Drain(ctx context.Context) error {
	return h.background.Wait(ctx)
}

// States of a call run by Host.run.
const (
	callPending int32 = iota
	callCompleted
	callAbandoned
)

// run runs work on a goroutine of its own, since the layer calls block
// their thread until done, and waits for it or for ctx. When ctx ends
// first, run returns ctx's error at once; work is told so through stop,
// goes on in the background, which Drain waits for, and when it succeeds
// anyway, undo (the function it returned, if not nil) runs then. A work
// function checks stop between its steps and gives up, undoing its own
// steps, once it is closed.
func (h *Host) run(ctx context.Context, work func(stop <-chan struct{}) (undo func(), err error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var (
		state atomic.Int32
		done  = make(chan struct{})
		stop  = make(chan struct{})
		err   error
	)
	h.background.Add()
	go func() {
		defer h.background.Done()
		var undo func()
		undo, err = work(stop)
		if state.CompareAndSwap(callPending, callCompleted) {
			close(done)
			return
		}
		if err == nil && undo != nil {
			undo()
		}
	}()
	select {
	case <-done:
		return err
	case <-ctx.Done():
	}
	close(stop)
	if !state.CompareAndSwap(callPending, callAbandoned) {
		<-done // it completed first: its result stands
		return err
	}
	return ctx.Err()
}
