package layers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
	"github.com/gohcs/hcs/layers"
)

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
