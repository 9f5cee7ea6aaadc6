package hcs

import (
	"sync"
	"sync/atomic"
	"time"
)

// The Go runtime declares "all goroutines are asleep - deadlock!" when every
// goroutine is blocked and no timer is pending (golang/go#55015): it cannot
// know that an HCS thread will call back into Go through a callback made
// with windows.NewCallback. A program whose only goroutine waits for an HCS
// completion or event would crash. So while any operation is pending or any
// handle has a callback registered, one timer stays armed; it does nothing
// but re-arm itself.

// keepaliveInterval is how often the keep-alive timer fires while needed.
const keepaliveInterval = time.Minute

var keepalive struct {
	n     atomic.Int64 // pending operations plus registered event sinks
	mu    sync.Mutex   // serialises arming and disarming
	timer *time.Timer
}

// holdAlive records one more reason for HCS to call back.
func holdAlive() {
	if keepalive.n.Add(1) == 1 {
		keepalive.mu.Lock()
		if keepalive.n.Load() > 0 {
			if keepalive.timer == nil {
				keepalive.timer = time.AfterFunc(keepaliveInterval, rearmKeepalive)
			} else {
				keepalive.timer.Reset(keepaliveInterval)
			}
		}
		keepalive.mu.Unlock()
	}
}

// releaseAlive drops a reason recorded by holdAlive.
func releaseAlive() {
	if keepalive.n.Add(-1) == 0 {
		keepalive.mu.Lock()
		if keepalive.n.Load() == 0 && keepalive.timer != nil {
			keepalive.timer.Stop()
		}
		keepalive.mu.Unlock()
	}
}

func rearmKeepalive() {
	keepalive.mu.Lock()
	defer keepalive.mu.Unlock()
	if keepalive.n.Load() > 0 {
		keepalive.timer.Reset(keepaliveInterval)
	}
}
