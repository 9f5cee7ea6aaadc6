package main

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/schema"
)

// Console processes: hcs exec -t and hcs run -t, as docker's -t. The
// process gets a console (EmulateConsole) sized from the local terminal
// and resized when it changes; its console output, standard output and
// error in one, is copied to hcs's standard output. With -i as well, the
// local terminal is in raw mode while the process runs, so that every key,
// Ctrl-C included, goes to the process; it is restored however hcs ends.

// terminal is hcs's side of a console process.
type terminal struct {
	// in is the standard input in raw mode, with -i; nil otherwise.
	in *os.File
	// sized is the terminal the console takes its size from, standard
	// output or input; nil when neither is a terminal.
	sized *os.File
	// restore puts the standard input back as it was.
	restore func()
}

// checkTerminal refuses -i -t when the standard input is not a terminal,
// before a command does anything.
func (a *app) checkTerminal(interactive, tty bool) error {
	if !interactive || !tty {
		return nil
	}
	if f, ok := a.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return errNotTerminal
}

// errNotTerminal is the usage error of -i -t without a terminal.
var errNotTerminal = &usageError{"-i -t: the standard input is not a terminal (leave out -t)"}

// openTerminal prepares the local terminal for a console process. With
// interactive (-i), standard input must be a terminal, as docker -it
// requires, and goes into raw mode.
func (a *app) openTerminal(interactive bool) (*terminal, error) {
	t := &terminal{restore: func() {}}
	if f, ok := a.stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		t.sized = f
	}
	f, ok := a.stdin.(*os.File)
	stdinTerm := ok && term.IsTerminal(int(f.Fd()))
	if stdinTerm && t.sized == nil {
		t.sized = f
	}
	if !interactive {
		return t, nil
	}
	if !stdinTerm {
		return nil, errNotTerminal
	}
	old, err := term.MakeRaw(int(f.Fd()))
	if err != nil {
		return nil, err
	}
	t.in = f
	var once sync.Once
	t.restore = func() { once.Do(func() { _ = term.Restore(int(f.Fd()), old) }) }
	return t, nil
}

// size returns the size of the local terminal, or false.
func (t *terminal) size() (width, height uint16, ok bool) {
	if t.sized == nil {
		return 0, 0, false
	}
	w, h, err := term.GetSize(int(t.sized.Fd()))
	if err != nil || w <= 0 || h <= 0 || w > 0xFFFF || h > 0xFFFF {
		return 0, 0, false
	}
	return uint16(w), uint16(h), true
}

// runConsole runs a console process with params in sys, copying its
// output to a.stdout and, with interactive, a.stdin to it, and returns its
// state as hcs.System.Run does: a non-zero exit is an *hcs.ExitError, and
// when ctx ends the process is killed.
func (a *app) runConsole(ctx context.Context, sys *hcs.System, params *schema.ProcessParameters, interactive bool) (*hcs.ProcessState, error) {
	t, err := a.openTerminal(interactive)
	if err != nil {
		return nil, err
	}
	defer t.restore()
	p := *params
	p.EmulateConsole = schema.Ptr(true)
	p.CreateStdInPipe = schema.Ptr(interactive)
	p.CreateStdOutPipe = schema.Ptr(true)
	p.CreateStdErrPipe = schema.Ptr(false)

	// The watch starts before the size is read, so that no change is
	// missed; changes before the process exists are sent once it does.
	wctx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	var (
		mu           sync.Mutex
		proc         *hcs.Process
		lastW, lastH uint16
	)
	resize := func() {
		mu.Lock()
		defer mu.Unlock()
		w, h, ok := t.size()
		if proc == nil || !ok || w == lastW && h == lastH {
			return
		}
		lastW, lastH = w, h
		_ = proc.ResizeConsole(wctx, w, h) // the process may have exited
	}
	if t.sized != nil {
		watchResize(wctx, &a.bg, resize)
	}
	if w, h, ok := t.size(); ok {
		p.ConsoleSize = []uint16{h, w}
		lastW, lastH = w, h
	}
	created, err := sys.CreateProcess(ctx, &p)
	if err != nil {
		return nil, err
	}
	defer created.Close()
	mu.Lock()
	proc = created
	mu.Unlock()
	resize()

	if in := created.Stdin(); in != nil {
		// Not counted in a.bg: a read of the terminal blocks until a key
		// is pressed, after the process is gone (see execWaitDelay).
		go func() {
			_, _ = io.Copy(in, a.stdin)
			in.Close()
		}()
	}
	copied := make(chan error, 1)
	if out := created.Stdout(); out != nil {
		go func() {
			_, err := io.Copy(a.stdout, out)
			copied <- err
		}()
	} else {
		copied <- nil
	}

	state, err := created.Wait(ctx)
	if err != nil {
		kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), killTimeout)
		defer cancel()
		if kerr := created.Kill(kctx); kerr == nil {
			state, _ = created.Wait(kctx)
		}
	}
	// The output reaches its end once the process is gone; a writer that
	// blocks is given up on after execWaitDelay.
	timer := time.NewTimer(execWaitDelay)
	defer timer.Stop()
	select {
	case cerr := <-copied:
		if err == nil && cerr != nil && !errors.Is(cerr, io.ErrClosedPipe) {
			err = cerr
		}
	case <-timer.C:
		created.Close()
	}
	if err == nil && !state.Success() {
		err = &hcs.ExitError{ProcessState: state}
	}
	return state, err
}

// killTimeout bounds how long hcs waits for HCS to terminate a process
// whose command was interrupted.
const killTimeout = 30 * time.Second
