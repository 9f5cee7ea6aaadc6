//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos

package main

import (
	"context"
	"os"
	"os/signal"
	"sync"

	"golang.org/x/sys/unix"
)

// watchResize calls resized, on a goroutine counted in wg, each time the
// terminal changes size (SIGWINCH), until ctx ends. The watch is in place
// when it returns.
func watchResize(ctx context.Context, wg *sync.WaitGroup, resized func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, unix.SIGWINCH)
	wg.Go(func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
				resized()
			}
		}
	})
}
