package layers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/container"
	"github.com/gohcs/hcs/hcssim"
	"github.com/gohcs/hcs/layers"
)

// From layer folders to a process's output, with this module alone: make a
// scratch layer over an image's layers, mount it, build the container's
// document, run the container and a process in it, and tear it all down.
// It runs on the simulator; on Windows, layers.Local() and hcs.Local()
// drive the real thing, with the same code.
func Example() {
	ctx := context.Background()
	sim := hcssim.New()
	defer sim.Close()
	lh, host := sim.Layers(), sim.Host() // layers.Local(), hcs.Local() on Windows

	// An unpacked base layer: Files\ and Hives\ (on Windows, the folder of
	// nanoserver under C:\ProgramData\docker\windowsfilter, say).
	dir, err := os.MkdirTemp("", "layers-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(dir)
	base := filepath.Join(dir, "nanoserver")
	for _, sub := range []string{"Files", "Hives"} {
		if err := os.MkdirAll(filepath.Join(base, sub), 0o755); err != nil {
			log.Fatal(err)
		}
	}

	// The container's writable layer, over the image's layers: nearest
	// first, base last.
	parents := []string{base}
	scratch := filepath.Join(dir, "scratch")
	if err := lh.CreateScratch(ctx, scratch, parents, 0); err != nil {
		log.Fatal(err)
	}
	m, err := lh.Mount(ctx, scratch, parents)
	if err != nil {
		log.Fatal(err)
	}

	doc, err := (&container.Config{
		Owner:                       "example",
		Storage:                     m.Storage(),
		HostName:                    "web",
		TerminateOnLastHandleClosed: true,
	}).Document()
	if err != nil {
		log.Fatal(err)
	}
	sys, err := host.CreateSystem(ctx, "web", doc)
	if err != nil {
		log.Fatal(err)
	}
	if err := sys.Start(ctx); err != nil {
		log.Fatal(err)
	}
	out, err := sys.Output(ctx, &hcs.Cmd{Args: []string{"cmd", "/c", "echo", "hello", "from", "a", "container"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.TrimSpace(string(out)))

	// Tear down in reverse: the container, then the mount (which the
	// layer service refuses while the container runs), then the layers.
	if err := sys.Terminate(ctx); err != nil {
		log.Fatal(err)
	}
	sys.Close()
	if err := m.Release(ctx); err != nil {
		log.Fatal(err)
	}
	for _, layer := range []string{scratch, base} {
		if err := lh.Destroy(ctx, layer); err != nil {
			log.Fatal(err)
		}
	}
	// Output: hello from a container
}

// A program that restarts unmounts what it left mounted, by the scratch
// layer's folder: it has no Mount any more.
func ExampleHost_Unmount() {
	ctx := context.Background()
	sim := hcssim.New()
	defer sim.Close()
	lh := sim.Layers()
	dir, err := os.MkdirTemp("", "layers-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(dir)
	base := filepath.Join(dir, "nanoserver")
	if err := os.MkdirAll(filepath.Join(base, "Files"), 0o755); err != nil {
		log.Fatal(err)
	}
	scratch := filepath.Join(dir, "scratch")
	if err := lh.CreateScratch(ctx, scratch, []string{base}, 0); err != nil {
		log.Fatal(err)
	}
	if _, err := lh.Mount(ctx, scratch, []string{base}); err != nil { // then the program died
		log.Fatal(err)
	}

	if err := lh.Unmount(ctx, scratch); err != nil {
		log.Fatal(err)
	}
	err = lh.Unmount(ctx, scratch)
	fmt.Println(errors.Is(err, hcs.ErrInvalidState))
	for _, layer := range []string{scratch, base} {
		if err := lh.Destroy(ctx, layer); err != nil {
			log.Fatal(err)
		}
	}
	// Output: true
}

// Chain lists an image's layers from its top layer's folder, nearest
// first, base last, as Mount and CreateScratch take them.
func ExampleChain() {
	dir, err := os.MkdirTemp("", "layers-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	base, app := filepath.Join(dir, "nanoserver"), filepath.Join(dir, "app")
	for _, d := range []string{base, app} {
		if err := os.MkdirAll(filepath.Join(d, "Files"), 0o755); err != nil {
			log.Fatal(err)
		}
	}
	// Docker writes it for every layer above the base one.
	chain, err := json.Marshal([]string{base})
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(app, "layerchain.json"), chain, 0o644); err != nil {
		log.Fatal(err)
	}

	layersOfApp, err := layers.Chain(app)
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range layersOfApp {
		fmt.Println(filepath.Base(l))
	}
	// Output:
	// app
	// nanoserver
}
