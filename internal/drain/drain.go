// Package drain counts work that runs in the background after its caller
// gave up, so that a Drain method can wait for it: package hcs uses it for
// the cleanup of abandoned operations, package layers for layer calls
// whose context ended.
package drain

import (
	"context"
	"sync"
)

// Tracker counts work in progress and lets Wait wait for the count to
// reach zero. Unlike a sync.WaitGroup, it may be added to while someone
// waits. The zero value counts nothing.
type Tracker struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0; nil while n is 0
}

// Add counts one more piece of work.
func (t *Tracker) Add() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == 0 {
		t.idle = make(chan struct{})
	}
	t.n++
}

// Done counts one piece of work as finished.
func (t *Tracker) Done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n--
	if t.n == 0 {
		close(t.idle)
		t.idle = nil
	}
}

// Wait returns when the count is zero, or ctx's error when ctx ends first.
func (t *Tracker) Wait(ctx context.Context) error {
	t.mu.Lock()
	idle := t.idle
	t.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
