package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// during runs fn, the wait for an HCS operation described by what (such as
// "starting web1"), with a spinner and the elapsed time on stderr when it
// is a terminal; nothing is shown otherwise, nor for a wait shorter than
// spinnerDelay.
func (a *app) during(ctx context.Context, what string, fn func(context.Context) error) error {
	f, ok := a.stderr.(*os.File)
	if !ok || !isTerminal(f) {
		return fn(ctx)
	}
	done := make(chan struct{})
	a.bg.Go(func() { spin(f, what, done) })
	err := fn(ctx)
	close(done)
	return err
}

// spinnerDelay is how long a wait goes before the spinner shows.
const spinnerDelay = 250 * time.Millisecond

// spin draws the spinner on w until done is closed, then erases it.
func spin(w io.Writer, what string, done <-chan struct{}) {
	const frames = `|/-\`
	start := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	drawn := false
	for i := 0; ; i++ {
		select {
		case <-done:
			if drawn {
				fmt.Fprint(w, "\r\x1b[K")
			}
			return
		case <-tick.C:
		}
		elapsed := time.Since(start)
		if elapsed < spinnerDelay {
			continue
		}
		fmt.Fprintf(w, "\r\x1b[K%c %s (%.1fs)", frames[i%len(frames)], what, elapsed.Seconds())
		drawn = true
	}
}

// stdoutIsTerminal reports whether hcs writes to a terminal.
func (a *app) stdoutIsTerminal() bool {
	f, ok := a.stdout.(*os.File)
	return ok && isTerminal(f)
}
