package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/container"
	"github.com/gohcs/hcs/internal/winetest"
	"github.com/gohcs/hcs/layers"
)

// Containers on real HCS. Real HCS runs a container only on a mounted
// scratch layer over a Windows base layer: given one (Target.BaseLayer),
// the suite mounts a scratch layer for each container document it makes
// and unmounts it once the container is gone, so that the scenarios that
// create containers run there too.

// simCommands are the scenarios that run the simulator's built-in commands
// (exit, echo, cat, spew, wait: see package hcssim), which the mock has
// too but Windows does not. The layer scenarios run processes on real HCS
// with cmd.exe.
var simCommands = map[string]bool{
	"ProcessExitCodes":               true,
	"ProcessEcho":                    true,
	"ProcessStdinEcho10MiB":          true,
	"ProcessStderrFloodBeforeStdout": true,
	"ProcessWaitManyGoroutines":      true,
	"ProcessSignalAndTerminate":      true,
	"ProcessResizeConsole":           true,
	"ProcessCloseUnblocksRead":       true,
	"ProcessRunCancel":               true,
	"CancelEachProcessCall":          true,
	"ProcessOpen":                    true,
}

// realSkip returns why scenario sc cannot run on target, or "".
func realSkip(sc scenario, target *Target) string {
	switch {
	case !sc.fake || !target.Real:
		return ""
	case target.BaseLayer == "":
		return fmt.Sprintf("creates containers, which %s runs only on a Windows base layer: set HCS_TEST_BASE_LAYER", target.Name)
	case simCommands[sc.name]:
		return "runs the simulator's built-in commands (exit, echo, cat, spew, wait), which Windows does not have"
	}
	return ""
}

// realContainerDoc mounts a new scratch layer over the target's base layer
// and returns the document of a container on it. The mount is released
// and the scratch layer destroyed at the end of the scenario, once the
// container has stopped (the document makes HCS terminate it when its
// last handle closes).
func (e *env) realContainerDoc() string {
	t := e.t
	ctx := ctxT(t)
	lh := layers.Local()
	parents, err := layers.Chain(e.target.BaseLayer)
	if err != nil {
		t.Fatalf("base layer: %v", err)
	}
	scratch := filepath.Join(winetest.TempDir(t), "scratch")
	if err := lh.CreateScratch(ctx, scratch, parents, 0); err != nil {
		t.Fatalf("CreateScratch: %v", err)
	}
	m, err := lh.Mount(ctx, scratch, parents)
	if err != nil {
		if derr := lh.Destroy(ctx, scratch); derr != nil {
			t.Errorf("Destroy: %v", derr)
		}
		t.Fatalf("Mount: %v", err)
	}
	// Registered before the scenario creates the container, so it runs
	// after the container's handle is closed.
	t.Cleanup(func() { releaseWhenStopped(e, lh, m) })
	doc, err := (&container.Config{Owner: e.owner, Storage: m.Storage(), TerminateOnLastHandleClosed: true}).Document()
	if err != nil {
		t.Fatalf("Document: %v", err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("Document: %v", err)
	}
	return string(b)
}

// releaseWhenStopped releases m, retrying while HCS still terminates the
// container on it (ERROR_BUSY), then destroys its scratch layer.
func releaseWhenStopped(e *env, lh *layers.Host, m *layers.Mount) {
	t := e.t
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		err := m.Release(ctx)
		if err == nil {
			break
		}
		if !errors.Is(err, hcs.ErrInvalidState) || ctx.Err() != nil {
			t.Errorf("Release: %v", err)
			return
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	if err := lh.Destroy(ctx, m.Scratch()); err != nil {
		t.Errorf("Destroy: %v", err)
	}
}
