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
		case p.wclosed || p.rclosed:
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

// wake unblocks the waiters so that they look at their context again.
func (p *pipe) wake() {
	p.mu.Lock()
	p.cond.Broadcast()
	p.mu.Unlock()
}

// stdioEnd is a caller's end of a pipe: the io.WriteCloser of a process's
// standard input or the io.ReadCloser of its standard output or error. It
// counts as a live handle until it is closed.
type stdioEnd struct {
	p      *pipe
	write  bool // the caller writes (stdin)
	open   *atomic.Int64
	closed atomic.Bool
}

func newStdioEnd(p *pipe, write bool, open *atomic.Int64) *stdioEnd {
	open.Add(1)
	return &stdioEnd{p: p, write: write, open: open}
}

// Read reads the process's output. It returns io.EOF once the process has
// exited, or closed the stream, and everything written was read.
func (e *stdioEnd) Read(b []byte) (int, error) {
	if e.write {
		return 0, io.ErrClosedPipe
	}
	return e.p.read(context.Background(), b)
}

// Write writes to the process's input. It fails with io.ErrClosedPipe
// once the process has exited or closed its input.
func (e *stdioEnd) Write(b []byte) (int, error) {
	if !e.write || e.closed.Load() {
		return 0, io.ErrClosedPipe
	}
	return e.p.write(context.Background(), b)
}

// Close closes the stream. Closing standard input gives the process EOF;
// closing an output makes the process's writes to it fail. A blocked Read
// or Write returns. Close is idempotent.
func (e *stdioEnd) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	if e.write {
		e.p.closeWrite()
	} else {
		e.p.closeRead()
	}
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
