package hcs

import "sync"

// lifetime is the reference count behind a System or Process handle. The
// open handle holds one reference and every call in flight another; the
// native handle is closed when the last one is dropped, so a call never
// uses a closed handle, and Close never waits for HCS.
type lifetime struct {
	mu      sync.Mutex
	refs    int
	closed  bool
	closing chan struct{} // closed by close: pending calls stop waiting
	free    func()        // closes the native handle; runs once
}

func newLifetime(free func()) *lifetime {
	return &lifetime{refs: 1, closing: make(chan struct{}), free: free}
}

// acquire takes a reference for a call, failing with ErrClosed after close.
func (l *lifetime) acquire() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.refs++
	return nil
}

// release drops a reference; the last one frees the native handle.
func (l *lifetime) release() {
	l.mu.Lock()
	l.refs--
	last := l.refs == 0
	l.mu.Unlock()
	if last {
		l.free()
	}
}

// close drops the handle's own reference. It reports false when the
// handle was already closed.
func (l *lifetime) close() bool {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return false
	}
	l.closed = true
	close(l.closing)
	l.mu.Unlock()
	l.release()
	return true
}
