package hcssim

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
)

// pipeSize is the capacity of a simulated stdio pipe, in bytes. Like a
// Windows pipe, a simulated one buffers what the writer writes until the
// reader reads it, so a process that writes a short message can exit
// before anyone reads it, and a writer blocks only when the buffer is full.
const pipeSize = 64 << 10

// pipe is a buffered, in-memory, one-way pipe: the simulated form of the
// anonymous pipes HCS creates for a process's stdio. One end belongs to the
// caller of the seam, the other to the simulated process.
type pipe struct {
	mu      sync.Mutex
	cond    sync.Cond // signalled on every change of buf or of the flags
	buf     [pipeSize]byte
	start   int  // index of the first unread byte in buf
	n       int  // number of unread bytes
	rclosed bool // the reading end is closed: writes fail
	wclosed bool // the writing end is closed: reads drain buf, then see EOF
	wdead   bool // the writer can write no more, but reads see EOF only once wclosed
	ends    int  // the caller's ends open on the pipe
}

func newPipe() *pipe {
	p := new(pipe)
	p.cond.L = &p.mu
	return p
}

// read reads into b, blocking while the pipe is empty and open. It fails
// with the cause of ctx once ctx is done and the read would block.
func (p *pipe) read(ctx context.Context, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.n == 0 {
		switch {
		case p.rclosed:
			return 0, io.ErrClosedPipe
		case p.wclosed:
			return 0, io.EOF
		case ctx.Err() != nil:
			return 0, context.Cause(ctx)
		}
		p.cond.Wait()
	}
	if p.rclosed {
		return 0, io.ErrClosedPipe
	}
	m := 0
	for m < len(b) && p.n > 0 {
		end := min(p.start+p.n, pipeSize)
		c := copy(b[m:], p.buf[p.start:end])
		m += c
		p.n -= c
		p.start = (p.start + c) % pipeSize
	}
	if p.n == 0 {
		p.start = 0
	}
	p.cond.Broadcast()
	return m, nil
}

// write writes b, blocking while the pipe is full and open. It fails with
// the cause of ctx once ctx is done and the write would block.
func (p *pipe) write(ctx context.Context, b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := 0
	for m < len(b) {
		switch {
		case p.wclosed || p.rclosed || p.wdead:
			return m, io.ErrClosedPipe
		case p.n == pipeSize:
			if ctx.Err() != nil {
				return m, context.Cause(ctx)
			}
			p.cond.Wait()
			continue
		}
		end := (p.start + p.n) % pipeSize
		space := pipeSize - p.n
		if end+space > pipeSize {
			space = pipeSize - end
		}
		c := copy(p.buf[end:end+space], b[m:])
		m += c
		p.n += c
		p.cond.Broadcast()
	}
	return m, nil
}

// closeRead closes the reading end: buffered data is dropped and writes
// fail with io.ErrClosedPipe.
func (p *pipe) closeRead() {
	p.mu.Lock()
	p.rclosed = true
	p.n, p.start = 0, 0
	p.cond.Broadcast()
	p.mu.Unlock()
}

// closeWrite closes the writing end: reads return what is buffered, then
// io.EOF.
func (p *pipe) closeWrite() {
	p.mu.Lock()
	p.wclosed = true
	p.cond.Broadcast()
	p.mu.Unlock()
}

// stopWrites makes writes fail from now on, without giving the reader end
// of file: the writer is gone, its end of the pipe not closed yet.
func (p *pipe) stopWrites() {
	p.mu.Lock()
	p.wdead = true
	p.cond.Broadcast()
	p.mu.Unlock()
}

// addEnd counts a caller's end opened on the pipe.
func (p *pipe) addEnd() {
	p.mu.Lock()
	p.ends++
	p.mu.Unlock()
}

// dropEnd counts a caller's end closed. When the last one closes, the
// caller's side of the pipe closes: the writing side for standard input,
// the reading side for an output.
func (p *pipe) dropEnd(write bool) {
	p.mu.Lock()
	p.ends--
	last := p.ends == 0
	p.mu.Unlock()
	switch {
	case !last:
	case write:
		p.closeWrite()
	default:
		p.closeRead()
	}
}

// wake unblocks the waiters so that they look at their context again.
func (p *pipe) wake() {
	p.mu.Lock()
	p.cond.Broadcast()
	p.mu.Unlock()
}

// stdioEnd is a caller's end of a pipe: the io.WriteCloser of a process's
// standard input or the io.ReadCloser of its standard output or error. It
// counts as a live handle until it is closed. A pipe may have several (the
// creation and each HcsGetProcessInfo hand one out); like the handles of a
// Windows pipe, the caller's side closes with the last of them.
type stdioEnd struct {
	p      *pipe
	write  bool // the caller writes (stdin)
	open   *atomic.Int64
	closed atomic.Bool
	ctx    context.Context // done once closed: a Read or Write blocked on it returns
	cancel context.CancelCauseFunc
}

func newStdioEnd(p *pipe, write bool, open *atomic.Int64) *stdioEnd {
	open.Add(1)
	p.addEnd()
	ctx, cancel := context.WithCancelCause(context.Background())
	return &stdioEnd{p: p, write: write, open: open, ctx: ctx, cancel: cancel}
}

// Read reads the process's output. It returns io.EOF once the process has
// exited, or closed the stream, and everything written was read.
func (e *stdioEnd) Read(b []byte) (int, error) {
	if e.write || e.closed.Load() && len(b) > 0 {
		return 0, io.ErrClosedPipe
	}
	return e.p.read(e.ctx, b)
}

// Write writes to the process's input. It fails with io.ErrClosedPipe
// once the process has exited or closed its input.
func (e *stdioEnd) Write(b []byte) (int, error) {
	if !e.write || e.closed.Load() {
		return 0, io.ErrClosedPipe
	}
	return e.p.write(e.ctx, b)
}

// Close closes the stream. Closing the last end of standard input gives
// the process EOF; closing the last end of an output makes the process's
// writes to it fail, and unblocks a Read on it. Close is idempotent.
func (e *stdioEnd) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	e.cancel(io.ErrClosedPipe)
	e.p.dropEnd(e.write)
	e.p.wake()
	e.open.Add(-1)
	return nil
}

// procReader and procWriter are the simulated process's ends of its stdio
// pipes, bound to the process's context.
type procReader struct {
	ctx context.Context
	p   *pipe
}

func (r procReader) Read(b []byte) (int, error) { return r.p.read(r.ctx, b) }

type procWriter struct {
	ctx context.Context
	p   *pipe
}

func (w procWriter) Write(b []byte) (int, error) { return w.p.write(w.ctx, b) }
