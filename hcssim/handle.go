package hcssim

import (
	"fmt"

	"github.com/gohcs/hcs/internal/backend"
)

// Handles.
//
// A handle is an HCS_OPERATION, HCS_SYSTEM or HCS_PROCESS value. Like
// computecore.dll, which hands out pointers, the simulator reuses the value
// of a closed handle for a later one (at random, see WithSeed), so a caller
// that keeps a stale value ends up acting on another object.
//
// computecore.dll does not check its handles: a call on a closed or bogus
// handle, closing a handle twice, or closing one while an operation is
// pending on it, crashes the calling process with an access violation
// (Microsoft's own client, hcsshim, records such crashes in
// internal/computecore/computecore.go). The simulator fails the same way,
// but with a diagnostic: it panics with a message naming the call, the
// handle and what is wrong with it, so that the test that made the call
// fails where the call was made.

// maxFreeHandles bounds the closed handle values kept for reuse; past it,
// a new handle always reuses one.
const maxFreeHandles = 4096

// misuse is the panic value of a call that would crash computecore.dll.
type misuse struct{ msg string }

func (m *misuse) Error() string { return m.msg }

// misused panics with a diagnostic for a call that computecore.dll would
// crash on.
func misused(format string, args ...any) {
	panic(&misuse{msg: "hcssim: " + fmt.Sprintf(format, args...) +
		" (computecore.dll would crash here with an access violation)"})
}

// newHandle registers v under a handle: a fresh value, or the value of a
// closed handle. s.mu is held.
func (s *Sim) newHandle(v any) backend.Handle {
	var h backend.Handle
	if n := len(s.free); n > 0 && (n >= maxFreeHandles || s.chance()) {
		i := s.rng.IntN(n)
		h = s.free[i]
		s.free[i] = s.free[n-1]
		s.free = s.free[:n-1]
		delete(s.closedBy, h)
	} else {
		s.lastHandle += 4
		h = s.lastHandle
	}
	s.handles[h] = v
	return h
}

// dropHandle unregisters h, closed by call fn. Its value may be reused.
// s.mu is held.
func (s *Sim) dropHandle(h backend.Handle, fn string) {
	delete(s.handles, h)
	s.closedBy[h] = fn
	s.free = append(s.free, h)
}

// kindName names the kind of a handle's object, for diagnostics.
func kindName(v any) string {
	switch v.(type) {
	case *operation:
		return "an operation"
	case *systemHandle:
		return "a compute system"
	case *processHandle:
		return "a process"
	}
	return "nothing"
}

// lookup returns the object of kind T behind h, the want argument of call
// fn, and panics with a diagnostic when h is closed, was never handed out,
// or is of another kind. s.mu is held.
func lookup[T any](s *Sim, fn string, h backend.Handle, want string) T {
	v, live := s.handles[h]
	if t, ok := v.(T); ok {
		return t
	}
	switch {
	case live:
		misused("%s: handle %#x is %s, not %s", fn, uintptr(h), kindName(v), want)
	case s.closedBy[h] != "":
		misused("%s: handle %#x was closed by %s", fn, uintptr(h), s.closedBy[h])
	default:
		misused("%s: handle %#x was never handed out", fn, uintptr(h))
	}
	panic("unreachable")
}

// lookupOp returns the operation behind h for call fn. s.mu is held.
func (s *Sim) lookupOp(fn string, h backend.Handle) *operation {
	return lookup[*operation](s, fn, h, "an operation")
}

// lookupSystem returns the system handle behind h for call fn. s.mu is
// held.
func (s *Sim) lookupSystem(fn string, h backend.Handle) *systemHandle {
	return lookup[*systemHandle](s, fn, h, "a compute system")
}

// lookupProcess returns the process handle behind h for call fn. s.mu is
// held.
func (s *Sim) lookupProcess(fn string, h backend.Handle) *processHandle {
	return lookup[*processHandle](s, fn, h, "a process")
}

// closingPending panics when a handle is closed by call fn while
// operations are pending on it. s.mu is held.
func (s *Sim) closingPending(fn string, h backend.Handle, pending int, on func(*operation) bool) {
	if pending == 0 {
		return
	}
	for op := range s.pending {
		if on(op) {
			misused("%s: handle %#x closed while its %s operation %#x is pending", fn, uintptr(h), op.call, uintptr(op.handle))
		}
	}
	misused("%s: handle %#x closed while %d operations are pending on it", fn, uintptr(h), pending)
}
