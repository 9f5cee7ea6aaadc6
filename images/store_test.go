package images

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gohcs/hcs/internal/layertartest"
	"github.com/gohcs/hcs/internal/registrytest"
	"github.com/gohcs/hcs/layertar"
)

func TestRemove(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	nano, err := s.Pull(context.Background(), reg.Ref(registrytest.Nanoserver), options(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	app, err := s.Pull(context.Background(), reg.Ref(registrytest.App), options(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	// Removing App deletes what only it uses: the Patch layer, its
	// manifest and config; the layers Nanoserver shares stay.
	rm, err := s.Remove(context.Background(), app.Ref, RemoveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Digest{app.Digest, app.Config.Digest, Digest(reg.Layers["patch"].Digest)}
	if !sameSet(rm.Deleted, want) {
		t.Errorf("deleted %v, want %v", rm.Deleted, want)
	}
	if rm.Freed <= app.Layers[2].Size {
		t.Errorf("freed %d bytes", rm.Freed)
	}
	for _, l := range nano.Layers {
		if !has(t, s, string(l.Digest)) {
			t.Errorf("shared layer %s was deleted", l.Digest)
		}
	}
	if got := refs(t, s); !slices.Equal(got, []string{nano.Ref}) {
		t.Errorf("catalog %q", got)
	}
	// Removing the last image empties the store.
	if _, err := s.Remove(context.Background(), nano.Digest.Short(), RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if b := blobs(t, s); len(b) != 0 {
		t.Errorf("blobs left: %v", b)
	}
	if _, err := s.Remove(context.Background(), nano.Ref, RemoveOptions{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing it again: %v, want ErrNotFound", err)
	}
}

func sameSet(a, b []Digest) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestGet(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	app, err := s.Pull(context.Background(), reg.Ref(registrytest.App), options(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	byDigest := reg.Host + "/windows/app@" + string(app.Digest)
	if _, err := s.Pull(context.Background(), byDigest, options(t, reg)); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{app.Ref, byDigest, string(app.Digest), app.Digest.Hex()[:4]} {
		im, err := s.Get(context.Background(), ref)
		if err != nil || im.Digest != app.Digest {
			t.Errorf("Get(%q): %v, %v", ref, im, err)
		}
	}
	if _, err := s.Get(context.Background(), "ffff"+zeros[:8]); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of an unknown id: %v", err)
	}
	// Two references name the manifest: Remove wants one of them.
	if _, err := s.Remove(context.Background(), app.Digest.Short(), RemoveOptions{}); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("Remove by a digest two references share: %v, want ErrAmbiguous", err)
	}
	if _, err := s.Remove(context.Background(), byDigest, RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if !has(t, s, string(app.Digest)) {
		t.Error("removing one of two references deleted the shared manifest")
	}
	if len(app.ChainIDs()) != 3 || app.ChainIDs()[0] != app.Layers[0].DiffID || app.ChainIDs()[2] == app.Layers[2].DiffID {
		t.Errorf("chain ids %v", app.ChainIDs())
	}
}

// TestOpenLayer translates a pulled layer, decompressed and verified, and
// then damages the blob on disk.
func TestOpenLayer(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	app, err := s.Pull(context.Background(), reg.Ref(registrytest.App), options(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	l := app.Layers[2]
	rc, err := s.OpenLayer(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	var rec layertar.Recorder
	sum, err := layertar.Translate(context.Background(), rc, &rec)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if sum.TarBytes != int64(len(layertartest.Patch())) || sum.Removed != 2 {
		t.Errorf("translated %+v", sum)
	}

	// Damage the blob: reading it fails at the end.
	path := s.blobPath(l.Digest)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	if err := os.WriteFile(path, append(b, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	rc, err = s.OpenLayer(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, rc); !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), "the blob is deleted") {
		t.Errorf("reading a damaged layer: %v, want ErrDigestMismatch", err)
	}
	rc.Close()
	if has(t, s, string(l.Digest)) {
		t.Error("the damaged blob is still in the store, for the next pull to take as cached")
	}
	if _, err := s.OpenLayer(context.Background(), l); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "not in the store (pull its image again)") {
		t.Errorf("opening the deleted layer: %v", err)
	}
	// A layer whose DiffID is wrong.
	l.DiffID = Digest("sha256:" + zeros)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	rc2, err := s.OpenLayer(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, rc2); !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), "config says") {
		t.Errorf("reading a layer with a wrong DiffID: %v", err)
	}

	// An open layer holds Remove off; closing it (twice) lets it go on.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := s.Remove(ctx, app.Ref, RemoveOptions{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Remove with a layer open: %v, want it to wait", err)
	}
	if err := rc2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rc2.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := rc2.Read(make([]byte, 1)); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
	if _, err := s.Remove(context.Background(), app.Ref, RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenLayer(context.Background(), Layer{Blob: Blob{Digest: "sha256:" + zeros, MediaType: l.MediaType}, DiffID: l.DiffID}); err == nil {
		t.Error("opening a layer the store does not hold succeeded")
	}
}

func TestDamagedCatalog(t *testing.T) {
	s := openStore(t)
	for _, content := range []string{"{", `{"format":"hcs-images/9"}`, `{"format":"hcs-images/1","images":[{"ref":"x","digest":"md5:1"}]}`} {
		if err := os.WriteFile(filepath.Join(s.Dir(), "images.json"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := s.List(context.Background()); err == nil || !strings.Contains(err.Error(), "images.json") {
			t.Errorf("catalog %q: %v", content, err)
		}
	}
}

func TestDigest(t *testing.T) {
	d := digestOf([]byte("x"))
	if got, err := ParseDigest(string(d)); err != nil || got != d || len(d.Short()) != 12 {
		t.Errorf("%s: %v %v", d, got, err)
	}
	for _, bad := range []string{"", "sha256:", "sha256:" + strings.Repeat("A", 64), "sha512:" + zeros, zeros} {
		if _, err := ParseDigest(bad); err == nil {
			t.Errorf("ParseDigest(%q) succeeded", bad)
		}
	}
}

// TestRemoveWaits removes an image while one of its layers is open: Remove
// says that it waits, once, and goes on when the layer is closed.
func TestRemoveWaits(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	app, err := s.Pull(context.Background(), reg.Ref(registrytest.App), options(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := s.OpenLayer(context.Background(), app.Layers[0])
	if err != nil {
		t.Fatal(err)
	}
	waits := 0
	_, err = s.Remove(context.Background(), app.Ref, RemoveOptions{Waiting: func() {
		waits++
		rc.Close() // the reader lets go once Remove says it waits
	}})
	if err != nil || waits != 1 {
		t.Errorf("Remove: %v, waiting called %d times", err, waits)
	}
}
