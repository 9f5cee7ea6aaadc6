package hcs

import (
	"context"
	"time"

	"github.com/gohcs/hcs/internal/backend"
)

// detour is a handle to a process of its own, opened through a handle to
// its system of its own. HCS runs the calls on a process made through one
// system handle one at a time (hcsshim opens a second handle to kill a
// process for this reason, internal/hcs/process.go): a termination made
// through the Process's own handle could wait behind a signal HCS has not
// completed.
type detour struct {
	p      *Process
	handle backend.Handle
	life   *lifetime // closes the process handle, then the system handle
}

// openDetour opens a detour to p for a call of op. The handles are opened
// synchronously: ctx is checked before only.
func (p *Process) openDetour(ctx context.Context, op string) (*detour, error) {
	fail := func(err error) error { return &Error{Op: op, ID: p.sys.id, PID: p.pid, Err: err} }
	if isClosed(p.life.closing) {
		return nil, fail(ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, fail(err)
	}
	b := p.sys.h.b
	sys, err := b.OpenComputeSystem(p.sys.id)
	if err != nil {
		return nil, fail(backendError(err))
	}
	ph, err := b.OpenProcess(sys, p.pid)
	if err != nil {
		b.CloseComputeSystem(sys)
		return nil, fail(backendError(err))
	}
	return &detour{p: p, handle: ph, life: newLifetime(func() {
		b.CloseProcess(ph)
		b.CloseComputeSystem(sys)
	})}, nil
}

// call makes one asynchronous call of op on the process through d, with
// the stop conditions of a call on the Process, and logs it.
func (d *detour) call(ctx context.Context, op string, issue func(ph, o backend.Handle) error) (string, error) {
	p := d.p
	start := time.Now()
	doc, err := p.sys.h.call(ctx, p.callee(op, d.life), func(o backend.Handle) error { return issue(d.handle, o) })
	p.sys.h.logProcess(ctx, op, p.sys.id, p.pid, start, err)
	return doc, err
}

// close closes d's handles once HCS has completed the calls made through
// them.
func (d *detour) close() { d.life.close() }
