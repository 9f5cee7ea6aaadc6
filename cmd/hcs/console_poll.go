//go:build !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos)

package main

import (
	"context"
	"sync"
	"time"
)

// resizePoll is how often the console's size is checked where no signal
// says that it changed (Windows).
const resizePoll = 250 * time.Millisecond

// watchResize calls resized every resizePoll, on a goroutine counted in
// wg, until ctx ends: the caller reads the size and sends it when it
// changed. Windows reports a console's size changes only as input
// events, which would have to be read from the console in place of the
// keys the process gets.
func watchResize(ctx context.Context, wg *sync.WaitGroup, resized func()) {
	wg.Go(func() {
		tick := time.NewTicker(resizePoll)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				resized()
			}
		}
	})
}
