package layertar

import (
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
)

// OpKind is the kind of a Writer call a Recorder recorded.
type OpKind string

// The Writer calls.
const (
	OpAdd    OpKind = "add"
	OpLink   OpKind = "link"
	OpRemove OpKind = "remove"
)

// Op is one recorded Writer call.
type Op struct {
	Kind   OpKind
	Name   string
	Target string    // OpLink: the link's target
	Info   BasicInfo // OpAdd
	Stream []byte    // OpAdd: the whole backup stream
}

// Recorder is a Writer that keeps every call in memory, backup streams
// included: a fake for tests of code that drives a Writer (or that needs
// a translated layer to look at), on every OS. It holds whole layers in
// memory, so it suits test layers, not real ones.
//
// Fail, when set, is called before each call is recorded; an error it
// returns fails the call, which is then not recorded. A Recorder is safe
// for concurrent use.
type Recorder struct {
	Fail func(op Op) error

	mu     sync.Mutex
	ops    []Op
	closed bool
}

var _ Writer = (*Recorder)(nil)

// Add reads stream to its end and records the call. It fails with the
// error reading stream, with Fail's error, or after Close.
func (r *Recorder) Add(name string, info BasicInfo, stream io.Reader) error {
	b, err := io.ReadAll(stream)
	if err != nil {
		return err
	}
	return r.record(Op{Kind: OpAdd, Name: name, Info: info, Stream: b})
}

// AddLink records the call; it fails with Fail's error, or after Close.
func (r *Recorder) AddLink(name, target string) error {
	return r.record(Op{Kind: OpLink, Name: name, Target: target})
}

// Remove records the call; it fails with Fail's error, or after Close.
func (r *Recorder) Remove(name string) error {
	return r.record(Op{Kind: OpRemove, Name: name})
}

func (r *Recorder) record(op Op) error {
	if r.Fail != nil {
		if err := r.Fail(op); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return fmt.Errorf("layertar: recorder: %s %s: %w", op.Kind, op.Name, os.ErrClosed)
	}
	r.ops = append(r.ops, op)
	return nil
}

// Close marks the recorder closed; it is idempotent.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	return nil
}

// Ops returns the calls recorded so far, in order.
func (r *Recorder) Ops() []Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ops)
}

// Closed reports whether Close was called.
func (r *Recorder) Closed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}
