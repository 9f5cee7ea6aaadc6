package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// errWriter is hcs's standard error. While hcs waits for HCS it may draw a
// spinner on the last line of a terminal; anything written to errWriter
// erases the spinner first, so that no message ever shares its line.
type errWriter struct {
	w io.Writer
	// tty reports that w is a terminal, where hcs may draw the spinner.
	tty bool

	mu    sync.Mutex
	drawn bool // the spinner's line is on the screen
}

// newErrWriter returns the standard error writing to w.
func newErrWriter(w io.Writer) *errWriter {
	f, ok := w.(*os.File)
	return &errWriter{w: w, tty: ok && isTerminal(f)}
}

// Write erases the spinner, if drawn, and writes p.
func (e *errWriter) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.eraseLocked()
	return e.w.Write(p)
}

// draw replaces the spinner's line with line.
func (e *errWriter) draw(line string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	fmt.Fprintf(e.w, "\r\x1b[K%s", line)
	e.drawn = true
}

// erase erases the spinner's line, if drawn.
func (e *errWriter) erase() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.eraseLocked()
}

func (e *errWriter) eraseLocked() {
	if e.drawn {
		io.WriteString(e.w, "\r\x1b[K")
		e.drawn = false
	}
}

// during runs fn, the wait for an HCS operation described by what (such as
// "starting web1"), with a spinner and the elapsed time on stderr when it
// is a terminal; nothing is shown otherwise, nor for a wait shorter than
// spinnerDelay. The spinner is erased before during returns.
func (a *app) during(ctx context.Context, what string, fn func(context.Context) error) error {
	announce("waiting: %s", what)
	e, ok := a.stderr.(*errWriter)
	if !ok || !e.tty {
		return fn(ctx)
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		spin(e, what, done)
	}()
	err := fn(ctx)
	close(done)
	<-stopped
	return err
}

// spinnerDelay is how long a wait goes before the spinner shows.
const spinnerDelay = 250 * time.Millisecond

// spin draws the spinner on e until done is closed, then erases it.
func spin(e *errWriter, what string, done <-chan struct{}) {
	const frames = `|/-\`
	start := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-done:
			e.erase()
			return
		case <-tick.C:
		}
		elapsed := time.Since(start)
		if elapsed < spinnerDelay {
			continue
		}
		e.draw(fmt.Sprintf("%c %s (%.1fs)", frames[i%len(frames)], what, elapsed.Seconds()))
	}
}

// stderrIsTerminal reports whether hcs's standard error is a terminal.
func (a *app) stderrIsTerminal() bool {
	e, ok := a.stderr.(*errWriter)
	return ok && e.tty
}

// stdoutIsTerminal reports whether hcs writes to a terminal.
func (a *app) stdoutIsTerminal() bool {
	f, ok := a.stdout.(*os.File)
	return ok && isTerminal(f)
}
