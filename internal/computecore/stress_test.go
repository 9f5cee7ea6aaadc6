//go:build windows

package computecore

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

// 1,000 create/close cycles leave no handle, result string or system behind.
func TestCreateCloseCycles(t *testing.T) {
	b := mock(t)
	n := 1000
	if testing.Short() {
		n = 100
	}
	for i := range n {
		sys := createSystem(t, b, newID("cycle"))
		ctx, _ := disp.newEventContext()
		if err := b.SetComputeSystemCallback(sys, backend.EventOptionNone, ctx); err != nil {
			t.Fatalf("cycle %d: SetComputeSystemCallback: %v", i, err)
		}
		b.CloseComputeSystem(sys)
		disp.forget(ctx)
	}
	doc, err := do(t, b, func(op backend.Handle) error {
		return b.EnumerateComputeSystems(`{"Owners":["computecore-test"]}`, op)
	})
	must(t, "EnumerateComputeSystems", doc, err)
	var list []struct{ Id string }
	decode(t, "enumeration", doc, &list)
	if len(list) != 0 {
		t.Errorf("%d systems still listed after close: %s", len(list), doc)
	}
	if mockctl.ResultsAllocated() == 0 {
		t.Error("mock allocated no result string: the counter is broken")
	}
}

// 100 goroutines drive their own systems at once while completions and
// events arrive on native threads.
func TestConcurrentSystems(t *testing.T) {
	b := mock(t)
	const workers = 100
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() { errs <- worker(b) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if mockctl.ResultsAllocated() == 0 {
		t.Error("mock allocated no result string")
	}
}

// worker runs one system through its life on its own goroutine. It reports
// failures as errors: t.Fatal is for the test's goroutine only.
func worker(b backend.Backend) error {
	// call runs one asynchronous call and waits for it.
	call := func(name string, fn func(op backend.Handle) error) error {
		ctx, ch := disp.newOpContext()
		defer disp.forget(ctx)
		op, err := b.CreateOperation(ctx)
		if err != nil {
			return fmt.Errorf("CreateOperation: %w", err)
		}
		defer b.CloseOperation(op)
		if err := fn(op); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		select {
		case <-ch:
		case <-time.After(waitTimeout):
			return fmt.Errorf("%s: no completion within %v", name, waitTimeout)
		}
		if doc, err := b.GetOperationResult(op); err != nil {
			return fmt.Errorf("%s: %w (result %s)", name, err, doc)
		}
		return nil
	}
	var sys backend.Handle
	err := call("create", func(op backend.Handle) error {
		var err error
		sys, err = b.CreateComputeSystem(newID("concurrent"), containerConfig("computecore-test"), op)
		return err
	})
	if sys != 0 {
		defer b.CloseComputeSystem(sys)
	}
	if err != nil {
		return err
	}
	ctx, events := disp.newEventContext()
	defer disp.forget(ctx)
	if err := b.SetComputeSystemCallback(sys, backend.EventOptionNone, ctx); err != nil {
		return fmt.Errorf("SetComputeSystemCallback: %w", err)
	}
	steps := []struct {
		name string
		fn   func(op backend.Handle) error
	}{
		{"start", func(op backend.Handle) error { return b.StartComputeSystem(sys, op, "") }},
		{"properties", func(op backend.Handle) error { return b.GetComputeSystemProperties(sys, op, "") }},
		{"pause", func(op backend.Handle) error { return b.PauseComputeSystem(sys, op, "") }},
		{"resume", func(op backend.Handle) error { return b.ResumeComputeSystem(sys, op, "") }},
		{"terminate", func(op backend.Handle) error { return b.TerminateComputeSystem(sys, op, "") }},
	}
	for _, s := range steps {
		if err := call(s.name, s.fn); err != nil {
			return err
		}
	}
	timeout := time.After(waitTimeout)
	for {
		select {
		case e := <-events:
			if e.Type == backend.EventSystemExited {
				return nil
			}
		case <-timeout:
			return fmt.Errorf("no SystemExited within %v", waitTimeout)
		}
	}
}
