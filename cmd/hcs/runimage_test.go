package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gohcs/hcs/images"
	"github.com/gohcs/hcs/internal/registrytest"
	"github.com/gohcs/hcs/internal/winetest"
)

// imageRun runs hcs run on an image of the in-process registry, on the
// simulator, with its state, store and layer root in one folder.
type imageRun struct {
	reg   *registrytest.Registry
	dir   string
	store string
}

func newImageRun(t *testing.T) *imageRun {
	t.Helper()
	reg, err := registrytest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Close)
	t.Setenv("DOCKER_CONFIG", winetest.TempDir(t)) // no credentials of the machine
	t.Setenv("HCS_FOREIGN_HOSTS", reg.Foreign)
	dir := winetest.TempDir(t)
	return &imageRun{reg: reg, dir: dir, store: filepath.Join(dir, "store")}
}

// run runs hcs run IMAGE -- echo ran, and returns its exit status, stdout
// and stderr.
func (r *imageRun) run(t *testing.T, image string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}
	code := a.execute(context.Background(), []string{
		"--sim-state", filepath.Join(r.dir, "sim.json"), "run", "--store", r.store, r.reg.Ref(image), "--", "echo", "ran",
	})
	return code, out.String(), errOut.String()
}

// check checks, after a failed run, that the store has no image and the
// layer root has no layer whose unpacking started.
func (r *imageRun) check(t *testing.T) {
	t.Helper()
	s, err := images.Open(r.store)
	if err != nil {
		t.Fatal(err)
	}
	if ims, err := s.List(context.Background()); err != nil || len(ims) != 0 {
		t.Errorf("store after a failed pull: %d images, %v", len(ims), err)
	}
	if ents, err := os.ReadDir(filepath.Join(r.dir, "sim.layers")); err == nil {
		for _, e := range ents {
			t.Errorf("left in the layer root: %s", e.Name())
		}
	}
}

// TestRunImagePullFails runs an image whose pull fails: a layer served
// corrupt, or cut off on every try. hcs run fails, saying why, and leaves
// no image and no layer; the next run, with the registry mended, downloads
// only what is missing — resuming the cut-off download — and runs.
func TestRunImagePullFails(t *testing.T) {
	for _, c := range []struct {
		name  string
		fault func(digest string) registrytest.Fault
		want  string
	}{
		{"corrupt", func(d string) registrytest.Fault { return registrytest.Corrupt(d, 1) }, "digest mismatch"},
		{"truncated", func(d string) registrytest.Fault { return registrytest.Truncate(d, 100, 3) }, "unexpected EOF"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newImageRun(t)
			app := r.reg.Layers["app"].Digest
			r.reg.SetFault(c.fault(app))
			code, _, stderr := r.run(t, registrytest.App)
			if code != exitFailure || !strings.Contains(stderr, "images: pulling "+r.reg.Ref(registrytest.App)) || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit status %d, stderr:\n%s", code, stderr)
			}
			r.check(t)
			kept := map[string]bool{} // the blobs verified before the pull failed
			ents, _ := os.ReadDir(filepath.Join(r.store, "blobs", "sha256"))
			for _, e := range ents {
				kept["sha256:"+e.Name()] = true
			}

			r.reg.SetFault(nil)
			r.reg.Requests()
			code, stdout, stderr := r.run(t, registrytest.App)
			if code != 0 || strings.TrimSpace(stdout) != "ran" {
				t.Fatalf("second run: exit status %d, stdout %q, stderr:\n%s", code, stdout, stderr)
			}
			reqs := r.reg.Requests()
			if kept[app] {
				t.Errorf("the failed layer %s is in the store", app)
			}
			for _, name := range []string{"base", "app", "patch"} {
				d := r.reg.Layers[name].Digest
				if n, want := registrytest.BlobGets(reqs, d), boolInt(!kept[d]); n != want {
					t.Errorf("second run: layer %s: %d GETs, want %d", name, n, want)
				}
			}
			if c.name == "truncated" {
				resumed := false
				for _, q := range reqs {
					resumed = resumed || strings.HasSuffix(q.Path, app) && q.Range != ""
				}
				if !resumed {
					t.Errorf("the cut-off download was not resumed: %+v", reqs)
				}
			}
		})
	}
}

// TestRunImageDamagedInStore runs an image a layer of which was damaged
// in the store after the pull: hcs run says so, pulls that layer again,
// and runs.
func TestRunImageDamagedInStore(t *testing.T) {
	r := newImageRun(t)
	if code, _, stderr := r.run(t, registrytest.App); code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr)
	}
	s, err := images.Open(r.store)
	if err != nil {
		t.Fatal(err)
	}
	// Damage the top layer's blob, and remove its folder's marker, as
	// though its unpacking had been interrupted: it is unpacked again.
	im, err := s.Get(context.Background(), r.reg.Ref(registrytest.App))
	if err != nil {
		t.Fatal(err)
	}
	top := im.Layers[2].Digest
	blob := filepath.Join(r.store, "blobs", "sha256", top.Hex())
	b, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blob, b[:len(b)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(r.dir, "sim.layers", im.ChainIDs()[2].Hex()+".done")); err != nil {
		t.Fatal(err)
	}
	r.reg.Requests()
	code, stdout, stderr := r.run(t, registrytest.App)
	if code != 0 || strings.TrimSpace(stdout) != "ran" {
		t.Fatalf("exit status %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"digest mismatch", "is damaged or incomplete: pulling it again", "layer 3/3 (" + im.ChainIDs()[2].Short() + "): unpacked into"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	reqs := r.reg.Requests()
	for i, l := range im.Layers {
		if n, want := registrytest.BlobGets(reqs, l.Digest.String()), boolInt(i == 2); n != want {
			t.Errorf("layer %d: %d GETs, want %d", i, n, want)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
