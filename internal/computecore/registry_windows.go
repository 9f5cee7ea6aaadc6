//go:build windows

package computecore

import "sync"

// The registry of what the two trampolines may dispatch: open operations, and
// the contexts of the event callbacks of open system and process handles.
// HCS may call back after a handle is closed (a late event, or a completion
// of an operation closed too early); such calls are dropped here instead of
// reaching package hcs with a stale context. The lock is held for map
// accesses only, never across a native call, so a callback never waits for
// a caller.

// handleKind tells system and process handles apart: their values come from
// different tables and may collide.
type handleKind uint8

const (
	systemHandle handleKind = iota + 1
	processHandle
)

type handleKey struct {
	kind handleKind
	h    handle
}

var registry = struct {
	mu         sync.RWMutex
	operations map[handle]struct{}
	handles    map[handleKey]uintptr // handle → context of its event callback
	contexts   map[uintptr]int       // context → number of handles using it
}{
	operations: make(map[handle]struct{}),
	handles:    make(map[handleKey]uintptr),
	contexts:   make(map[uintptr]int),
}

func registerOperation(op handle, _ uintptr) {
	registry.mu.Lock()
	registry.operations[op] = struct{}{}
	registry.mu.Unlock()
}

func unregisterOperation(op handle) {
	registry.mu.Lock()
	delete(registry.operations, op)
	registry.mu.Unlock()
}

// liveOperation reports whether op is open. The context is not checked:
// HcsSetOperationContext may have changed it.
func liveOperation(op handle, _ uintptr) bool {
	registry.mu.RLock()
	_, ok := registry.operations[op]
	registry.mu.RUnlock()
	return ok
}

// registerCallback records ctx as the event context of h, then runs set, the
// native registration. The context is live before set runs, because HCS may
// deliver an event before set returns. If h already has a callback, set
// runs alone (HCS refuses it with
// HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET) and the registry is unchanged.
func registerCallback(kind handleKind, h handle, ctx uintptr, set func() error) error {
	key := handleKey{kind, h}
	registry.mu.Lock()
	_, taken := registry.handles[key]
	if !taken {
		registry.handles[key] = ctx
		registry.contexts[ctx]++
	}
	registry.mu.Unlock()
	err := set()
	if err != nil && !taken {
		registry.mu.Lock()
		if c, ok := registry.handles[key]; ok && c == ctx {
			delete(registry.handles, key)
			releaseContextLocked(ctx)
		}
		registry.mu.Unlock()
	}
	return err
}

// unregisterCallback forgets the event context of h, which is about to be
// closed: events that HCS still delivers for it are dropped.
func unregisterCallback(kind handleKind, h handle) {
	key := handleKey{kind, h}
	registry.mu.Lock()
	if ctx, ok := registry.handles[key]; ok {
		delete(registry.handles, key)
		releaseContextLocked(ctx)
	}
	registry.mu.Unlock()
}

func releaseContextLocked(ctx uintptr) {
	if registry.contexts[ctx] <= 1 {
		delete(registry.contexts, ctx)
	} else {
		registry.contexts[ctx]--
	}
}

// liveCallback reports whether ctx is the event context of an open handle.
func liveCallback(ctx uintptr) bool {
	registry.mu.RLock()
	n := registry.contexts[ctx]
	registry.mu.RUnlock()
	return n > 0
}
