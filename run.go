package hcs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gohcs/hcs/schema"
)

// Cmd is a process to run in a compute system with System.Run, in the
// spirit of exec.Cmd.
type Cmd struct {
	// Args holds the command and its arguments. Run builds the command line
	// from it with Windows quoting rules (see CommandLine). When Args is
	// empty, ProcessParameters must carry the command line.
	//
	// Windows hands a process its whole command line as one string, and
	// the rules CommandLine follows are those of CommandLineToArgvW, which
	// most programs use to split it. cmd.exe, and so every batch file, does
	// not: for it, & | < > ^ and ( ) outside double quotes are operators,
	// and ^ an escape, whatever CommandLine did. With
	// Args{"cmd", "/c", "echo", "a&b"}, the argument needs no quotes for
	// CommandLineToArgvW, and cmd runs "echo a" then the command "b".
	// Never give input from outside the program to cmd /c through Args; to
	// run a command line for cmd.exe, quote it for cmd yourself and pass it
	// in ProcessParameters.CommandLine with Args empty, as os/exec says of
	// SysProcAttr.CmdLine.
	Args []string
	// ProcessParameters, when not nil, is the schema document the command
	// is built on, as System.CreateProcess takes it: working directory,
	// environment, user, console, ... Run copies it, sets CommandLine from
	// Args when Args is not empty and the standard stream flags from
	// Stdin, Stdout and Stderr, and does not modify it.
	ProcessParameters *schema.ProcessParameters
	// Stdin, when not nil, is copied to the process's standard input, which
	// is then closed.
	Stdin io.Reader
	// Stdout and Stderr, when not nil, receive the process's output. They
	// may be the same writer; writes to it are then serialised. A process
	// with EmulateConsole has a single output stream, sent to Stdout.
	Stdout io.Writer
	Stderr io.Writer
	// WaitDelay bounds how long Run waits, once the process has exited or
	// been killed, for the copies of its streams to finish — in particular
	// for a Stdin whose Read does not return. After it, Run closes the
	// pipes, stops waiting and reports ErrWaitDelay (if nothing else went
	// wrong); a copy blocked in Stdin's Read, or in a Write to Stdout or
	// Stderr, then outlives Run until that call returns. Zero means wait as
	// long as it takes, like exec.Cmd.
	WaitDelay time.Duration
}

// ErrWaitDelay is returned by System.Run when the process exited but its
// stream copies did not finish within Cmd.WaitDelay.
var ErrWaitDelay = errors.New("hcs: I/O incomplete after Cmd.WaitDelay")

// killTimeout bounds how long Run waits for HCS to terminate a process
// whose context ended.
const killTimeout = 30 * time.Second

// Run starts cmd in the system, copies its standard streams concurrently,
// and waits for it to exit and for the copies to finish. A child that
// fills one stream while the other is open cannot deadlock it. A non-zero
// exit code gives the state and an *ExitError; a failure to start gives an
// *Error. When a write to Stdout or Stderr fails, Run closes that stream,
// as os/exec does, so that the process's writes fail instead of blocking,
// and reports the write's error (with the *ExitError if the process then
// exits with a non-zero code). When HCS does not tell how the process
// exited (see Process.Wait), Run returns the state, whose exit code is
// unknown, with Wait's error.
//
// When ctx ends first, Run terminates the process, waits for it and for
// the copies of what it wrote until then, and returns the killed process's
// state (nil if HCS did not report the exit in time) with an error matching
// ctx.Err(). As with exec.Cmd, Run waits for a Stdin whose Read blocks, or
// a Stdout or Stderr whose Write blocks, unless Cmd.WaitDelay is set; with
// that exception, no goroutine started by Run outlives it.
func (s *System) Run(ctx context.Context, cmd *Cmd) (*ProcessState, error) {
	var params schema.ProcessParameters
	if cmd.ProcessParameters != nil {
		params = *cmd.ProcessParameters
	}
	if len(cmd.Args) > 0 {
		params.CommandLine = CommandLine(cmd.Args...)
	}
	if params.CommandLine == "" && len(params.CommandArgs) == 0 {
		return nil, &Error{Op: "run", ID: s.id, Err: fmt.Errorf("%w: no command", ErrInvalidArgument)}
	}
	params.CreateStdInPipe = schema.Ptr(cmd.Stdin != nil)
	params.CreateStdOutPipe = schema.Ptr(cmd.Stdout != nil)
	params.CreateStdErrPipe = schema.Ptr(cmd.Stderr != nil)
	p, err := s.CreateProcess(ctx, &params)
	if err != nil {
		return nil, err
	}
	defer p.Close()

	stdout, stderr := cmd.Stdout, cmd.Stderr
	if stdout != nil && sameWriter(stdout, stderr) {
		w := &lockedWriter{w: stdout}
		stdout, stderr = w, w
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		pumpErrs []error
		closing  atomic.Bool // Run closes the pipes: reads fail, and that is no news
	)
	pump := func(name string, dst io.Writer, src io.ReadCloser) {
		wg.Go(func() {
			w := &failedWriter{w: dst}
			_, err := io.Copy(w, src)
			switch {
			case w.err != nil:
				// Nobody takes the rest: close the pipe, so that the
				// process's writes fail rather than block once it is full.
				src.Close()
				err = w.err
			case err != nil && closing.Load():
				err = nil
			}
			if err != nil {
				mu.Lock()
				pumpErrs = append(pumpErrs, fmt.Errorf("hcs: run %q: copying %s: %w", s.id, name, err))
				mu.Unlock()
			}
		})
	}
	// HCS may not give every pipe asked for (EmulateConsole has no
	// stderr): copy only those that exist.
	if in := p.Stdin(); in != nil && cmd.Stdin != nil {
		// Copy errors on stdin are expected (the process may exit without
		// reading it all) and not reported.
		wg.Go(func() {
			_, _ = io.Copy(in, cmd.Stdin)
			in.Close()
		})
	}
	if out := p.Stdout(); out != nil && stdout != nil {
		pump("stdout", stdout, out)
	}
	if errOut := p.Stderr(); errOut != nil && stderr != nil {
		pump("stderr", stderr, errOut)
	}

	state, werr := p.Wait(ctx)
	if state == nil {
		// The context ended (or the service went away): stop the process.
		// Once HCS reports its exit, its output pipes end after what it
		// wrote, which the copies then take.
		kctx, cancel := context.WithTimeout(context.Background(), killTimeout)
		if kerr := p.Kill(kctx); kerr != nil {
			werr = errors.Join(werr, kerr)
		} else {
			state, _ = p.Wait(kctx) // nil if it did not exit in time
		}
		cancel()
	}
	// The input pipe may still have a writer blocked on it: close it.
	if in := p.Stdin(); in != nil {
		in.Close()
	}
	if state == nil {
		// No exit seen: the outputs may never end. Stop the copies.
		closing.Store(true)
		p.Close()
	}
	if !waitCopies(&wg, cmd.WaitDelay) {
		closing.Store(true)
		p.Close()
		mu.Lock()
		pumpErrs = append(pumpErrs, ErrWaitDelay)
		mu.Unlock()
	}
	var errs []error
	switch {
	case werr != nil:
		errs = append(errs, werr)
	case !state.Success():
		errs = append(errs, &ExitError{ProcessState: state})
	}
	mu.Lock()
	errs = append(errs, pumpErrs...)
	mu.Unlock()
	return state, joinErrors(errs)
}

// failedWriter remembers the error of the writer it wraps, so that a copy
// can tell a failed write from a failed read.
type failedWriter struct {
	w   io.Writer
	err error
}

func (f *failedWriter) Write(b []byte) (int, error) {
	n, err := f.w.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	f.err = err
	return n, err
}

// joinErrors is errors.Join, except that a single error is returned as it
// is, so that a type assertion on Run's error works in the common case.
func joinErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// Output runs cmd like Run and returns what the process wrote to its
// standard output, also when it fails; cmd.Stdout must be nil. When
// cmd.Stderr is nil, the standard error is collected too, and the
// *ExitError of a non-zero exit carries it in its Stderr field, like
// exec.Cmd.Output. cmd is not modified.
//
// When ctx ends first, the error matches ctx.Err() and, once HCS reported
// the killed process's exit, also holds an *ExitError with the standard
// error collected until then. A process with EmulateConsole has no separate
// standard error: its whole output is returned.
func (s *System) Output(ctx context.Context, cmd *Cmd) ([]byte, error) {
	if cmd.Stdout != nil {
		return nil, &Error{Op: "output", ID: s.id, Err: fmt.Errorf("%w: Stdout already set", ErrInvalidArgument)}
	}
	c := *cmd
	stdout := &headTail{limit: -1}
	c.Stdout = stdout
	var stderr *headTail
	if c.Stderr == nil {
		stderr = &headTail{limit: stderrKept}
		c.Stderr = stderr
	}
	state, err := s.Run(ctx, &c)
	if stderr != nil && err != nil {
		var exit *ExitError
		switch {
		case errors.As(err, &exit):
			exit.Stderr = stderr.Bytes()
		case state != nil && state.Exited() && ctx.Err() != nil:
			err = errors.Join(err, &ExitError{ProcessState: state, Stderr: stderr.Bytes()})
		}
	}
	return stdout.Bytes(), err
}

// stderrKept is how much of the start and of the end of a process's
// standard error Output keeps for ExitError.Stderr.
const stderrKept = 32 << 10

// headTail is a writer that keeps the first and the last limit bytes
// written to it, or everything when limit is negative. It is safe for
// concurrent use: after Run gives up on the copies (Cmd.WaitDelay), one may
// still write while Output reads.
type headTail struct {
	limit int

	mu      sync.Mutex
	head    []byte
	tail    []byte // up to 2*limit bytes; the last limit of them are kept
	skipped int64  // bytes dropped from the front of tail
}

func (h *headTail) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(p)
	if h.limit < 0 {
		h.head = append(h.head, p...)
		return n, nil
	}
	if room := h.limit - len(h.head); room > 0 {
		k := min(room, len(p))
		h.head = append(h.head, p[:k]...)
		p = p[k:]
	}
	if len(p) >= h.limit {
		// Only the end of p can be kept: do not grow tail for the rest.
		drop := len(h.tail) + len(p) - h.limit
		h.skipped += int64(drop)
		h.tail = append(h.tail[:0], p[len(p)-h.limit:]...)
		return n, nil
	}
	h.tail = append(h.tail, p...)
	if len(h.tail) > 2*h.limit {
		drop := len(h.tail) - h.limit
		h.skipped += int64(drop)
		h.tail = append(h.tail[:0], h.tail[drop:]...)
	}
	return n, nil
}

// Bytes returns what was kept, with a line saying how much was left out
// between the head and the tail. Later writes do not change the result.
func (h *headTail) Bytes() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.limit < 0 {
		// Not a copy: a late Write only appends past the returned length,
		// and the capped capacity keeps the caller's appends off that space.
		return h.head[:len(h.head):len(h.head)]
	}
	tail, skipped := h.tail, h.skipped
	if over := len(tail) - h.limit; over > 0 {
		tail, skipped = tail[over:], skipped+int64(over)
	}
	out := append([]byte(nil), h.head...)
	if skipped > 0 {
		out = fmt.Appendf(out, "\n... omitting %d bytes ...\n", skipped)
	}
	return append(out, tail...)
}

// waitCopies waits for the stream copies, at most delay when delay is
// positive. It reports whether they finished.
func waitCopies(wg *sync.WaitGroup, delay time.Duration) bool {
	if delay <= 0 {
		wg.Wait()
		return true
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// sameWriter reports whether a and b are the same writer, without
// panicking on writer types that are not comparable.
func sameWriter(a, b io.Writer) bool {
	if a == nil || b == nil {
		return false
	}
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta.Comparable() && a == b
}

// lockedWriter serialises writes from the stdout and stderr copies when
// both go to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// CommandLine joins args into a Windows command line, quoting each as
// syscall.EscapeArg does, so that the CommandLineToArgvW rules give the
// process back exactly args. Never build a command line by joining with
// spaces: an argument with a space or a quote would split or change.
// cmd.exe and batch files parse with other rules: see Cmd.Args.
func CommandLine(args ...string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = quoteArg(a)
	}
	return strings.Join(quoted, " ")
}

// quoteArg quotes one argument for CommandLineToArgvW: backslashes are
// literal except before a quote, where each must be doubled and the quote
// escaped; an argument with a space or tab is wrapped in quotes, and the
// backslashes before the closing quote doubled.
func quoteArg(s string) string {
	if s == "" {
		return `""`
	}
	if !strings.ContainsAny(s, " \t\"\\") {
		return s
	}
	wrap := strings.ContainsAny(s, " \t")
	if !strings.ContainsAny(s, `"\`) {
		return `"` + s + `"`
	}
	var b strings.Builder
	if wrap {
		b.WriteByte('"')
	}
	backslashes := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			backslashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, backslashes+1))
			backslashes = 0
		default:
			backslashes = 0
		}
		b.WriteByte(c)
	}
	if wrap {
		b.WriteString(strings.Repeat(`\`, backslashes))
		b.WriteByte('"')
	}
	return b.String()
}
