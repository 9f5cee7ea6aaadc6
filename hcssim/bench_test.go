package hcssim

import (
	"context"
	"fmt"
	"testing"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
)

// The overhead of package hcs per operation: the same call through the safe
// API (*hcs.System) and through the raw seam the API drives, on simulators
// with zero latency (operations still complete asynchronously, on another
// goroutine). The raw variant does the least a caller of the seam must do:
// create an operation, issue the call, wait for the completion callback,
// read the result, close the operation.

const benchConfig = `{"SchemaVersion":{"Major":2,"Minor":1},"Owner":"bench","Container":{}}`

// rawCaller drives a seam directly, one call at a time.
type rawCaller struct {
	b    backend.Backend
	done chan struct{}
}

func newRawCaller(s *Sim) *rawCaller {
	r := &rawCaller{b: s.backend(), done: make(chan struct{}, 1)}
	r.b.Init(backend.Callbacks{
		Completion: func(backend.Handle, uintptr) { r.done <- struct{}{} },
		Event:      func(uintptr, backend.Event) {},
	})
	return r
}

// call makes one asynchronous call and returns its result document.
func (r *rawCaller) call(issue func(op backend.Handle) error) (string, error) {
	op, err := r.b.CreateOperation(1)
	if err != nil {
		return "", err
	}
	defer r.b.CloseOperation(op)
	if err := issue(op); err != nil {
		return "", err
	}
	<-r.done
	return r.b.GetOperationResult(op)
}

func (r *rawCaller) create(b *testing.B, id string) backend.Handle {
	var sys backend.Handle
	_, err := r.call(func(op backend.Handle) error {
		var err error
		sys, err = r.b.CreateComputeSystem(id, benchConfig, op)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return sys
}

func BenchmarkOverhead(b *testing.B) {
	ctx := context.Background()

	b.Run("Properties/raw", func(b *testing.B) {
		s := New()
		defer s.Close()
		r := newRawCaller(s)
		sys := r.create(b, "bench")
		defer r.b.CloseComputeSystem(sys)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.call(func(op backend.Handle) error {
				return r.b.GetComputeSystemProperties(sys, op, "")
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Properties/api", func(b *testing.B) {
		s := New()
		defer s.Close()
		sys, err := s.Host().CreateSystem(ctx, "bench", benchConfig)
		if err != nil {
			b.Fatal(err)
		}
		defer sys.Close()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sys.PropertiesJSON(ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	// With the decoding of the document into schema.Properties: what a
	// caller of System.Properties pays, JSON included.
	b.Run("Properties/api+json", func(b *testing.B) {
		s := New()
		defer s.Close()
		sys, err := s.Host().CreateSystem(ctx, "bench", benchConfig)
		if err != nil {
			b.Fatal(err)
		}
		defer sys.Close()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sys.Properties(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})

	// Start needs a system in state Created per call: they are created,
	// and closed after use, in batches, with the timer stopped.
	const batch = 1000
	b.Run("Start/raw", func(b *testing.B) {
		s := New()
		defer s.Close()
		r := newRawCaller(s)
		var systems []backend.Handle
		closeAll := func() {
			for _, sys := range systems {
				r.b.CloseComputeSystem(sys)
			}
			systems = systems[:0]
		}
		defer closeAll()
		b.ReportAllocs()
		for i := range b.N {
			if i%batch == 0 {
				b.StopTimer()
				closeAll()
				for j := range min(batch, b.N-i) {
					systems = append(systems, r.create(b, fmt.Sprint("bench-", i+j)))
				}
				b.StartTimer()
			}
			sys := systems[i%batch]
			if _, err := r.call(func(op backend.Handle) error {
				return r.b.StartComputeSystem(sys, op, "")
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Start/api", func(b *testing.B) {
		s := New()
		defer s.Close()
		h := s.Host()
		var systems []*hcs.System
		closeAll := func() {
			for _, sys := range systems {
				sys.Close()
			}
			systems = systems[:0]
		}
		defer closeAll()
		b.ReportAllocs()
		for i := range b.N {
			if i%batch == 0 {
				b.StopTimer()
				closeAll()
				for j := range min(batch, b.N-i) {
					sys, err := h.CreateSystem(ctx, fmt.Sprint("bench-", i+j), benchConfig)
					if err != nil {
						b.Fatal(err)
					}
					systems = append(systems, sys)
				}
				b.StartTimer()
			}
			if err := systems[i%batch].Start(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
