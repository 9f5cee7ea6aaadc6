package hcssim_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
)

// baseLayer makes a base layer folder, as unpacked from an image, in a
// new temporary folder, and returns both.
func baseLayer() (dir, base string) {
	dir, err := os.MkdirTemp("", "hcssim-example-")
	if err != nil {
		log.Fatal(err)
	}
	base = filepath.Join(dir, "nanoserver")
	for _, sub := range []string{"Files", "Hives"} {
		if err := os.MkdirAll(filepath.Join(base, sub), 0o755); err != nil {
			log.Fatal(err)
		}
	}
	return dir, base
}

// A test of code that mounts container storage checks what it leaves
// mounted, and how it copes with Windows reporting the disk not ready,
// which package layers retries.
func ExampleSim_Layers() {
	sim := hcssim.New()
	defer sim.Close()
	lh := sim.Layers()
	ctx := context.Background()
	dir, base := baseLayer()
	defer os.Remove(dir)
	scratch := filepath.Join(dir, "scratch")
	if err := lh.CreateScratch(ctx, scratch, []string{base}, 0); err != nil {
		log.Fatal(err)
	}

	sim.FailNext(hcssim.CallPrepareLayer, hcs.ERROR_NOT_READY, "")
	m, err := lh.Mount(ctx, scratch, []string{base})
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range sim.MountedLayers() {
		fmt.Println(filepath.Base(l.Path), l.State, len(l.Parents), "parent")
	}
	if err := m.Release(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("mounted after Release:", len(sim.MountedLayers()))
	for _, layer := range []string{scratch, base} {
		if err := lh.Destroy(ctx, layer); err != nil {
			log.Fatal(err)
		}
	}
	// Output:
	// scratch Prepared 1 parent
	// mounted after Release: 0
}

// Layer calls need an elevated process on Windows; the simulator can play
// one that is not.
func ExampleSim_SetElevated() {
	sim := hcssim.New()
	defer sim.Close()
	dir, base := baseLayer()
	defer os.Remove(dir)
	lh := sim.Layers()
	defer lh.Destroy(context.Background(), base)

	sim.SetElevated(false)
	err := lh.CreateScratch(context.Background(), filepath.Join(dir, "scratch"), []string{base}, 0)
	fmt.Println(errors.Is(err, hcs.ErrAccessDenied), errors.Is(err, hcs.ERROR_PRIVILEGE_NOT_HELD))
	sim.SetElevated(true)
	// Output: true true
}
