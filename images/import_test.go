package images

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gohcs/hcs/hcssim"
	"github.com/gohcs/hcs/internal/registrytest"
	"github.com/gohcs/hcs/internal/winetest"
	"github.com/gohcs/hcs/layertar"
)

// TestImportOnSimulator takes a pulled image through what the import of
// its layers does, on the simulator's layer service: each layer read from
// the store, translated into a staging folder, the base processed in
// place, the others imported over their parents (nearest first) under
// their chain ids; then a scratch layer is made and mounted over them.
// It checks that the store's layers and layertar's staging folders are
// what package layers and the simulator take.
func TestImportOnSimulator(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	ctx := context.Background()
	im, err := s.Pull(ctx, reg.Ref(registrytest.App), options(t))
	if err != nil {
		t.Fatal(err)
	}
	sim := hcssim.New()
	defer sim.Close()
	lh := sim.Layers()
	root := winetest.TempDir(t)
	var parents []string // nearest first
	for i, l := range im.Layers {
		dir := filepath.Join(root, im.ChainIDs()[i].Hex())
		staging := dir
		if i > 0 {
			staging = dir + ".staging"
		}
		rc, err := s.OpenLayer(ctx, l)
		if err != nil {
			t.Fatal(err)
		}
		w, err := layertar.NewStaging(staging)
		if err != nil {
			t.Fatal(err)
		}
		_, err = layertar.Translate(ctx, rc, w)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		if i == 0 {
			err = lh.ProcessBaseImage(ctx, dir)
		} else {
			err = lh.Import(ctx, dir, staging, parents)
		}
		if err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		parents = append([]string{dir}, parents...)
	}
	if _, err := os.Stat(filepath.Join(parents[0], "Files", "app", "config.json")); err != nil {
		t.Errorf("the top layer's folder: %v", err)
	}
	scratch := filepath.Join(root, "scratch")
	if err := lh.CreateScratch(ctx, scratch, parents, 0); err != nil {
		t.Fatal(err)
	}
	m, err := lh.Mount(ctx, scratch, parents)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Release(ctx); err != nil {
		t.Fatal(err)
	}
	for _, dir := range append([]string{scratch}, parents...) {
		if err := lh.Destroy(ctx, dir); err != nil {
			t.Errorf("destroying %s: %v", dir, err)
		}
	}
}
