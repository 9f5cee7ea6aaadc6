package images

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gohcs/hcs/internal/registrytest"
)

// orphanStore returns a store holding Nanoserver, and what a failed pull
// of App left: App's manifest and config, which no image uses, and the
// partial download of its patch layer; with the orphans' total size.
func orphanStore(t *testing.T, reg *registrytest.Registry) (s *Store, orphans []Digest, size int64) {
	t.Helper()
	s = openStore(t)
	if _, err := s.Pull(context.Background(), reg.Ref(registrytest.Nanoserver), options(t, reg)); err != nil {
		t.Fatal(err)
	}
	before := blobs(t, s)
	patch := reg.Layers["patch"].Digest
	reg.SetFault(registrytest.Truncate(patch, 100, triesPerSource))
	if _, err := s.Pull(context.Background(), reg.Ref(registrytest.App), options(t, reg)); err == nil {
		t.Fatal("the pull with its layer cut off succeeded")
	}
	reg.SetFault(nil)
	for _, d := range blobs(t, s) {
		if !slices.Contains(before, d) {
			orphans = append(orphans, d)
			st, err := os.Stat(s.blobPath(d))
			if err != nil {
				t.Fatal(err)
			}
			size += st.Size()
		}
	}
	if len(orphans) != 2 { // App's manifest and config
		t.Fatalf("the failed pull left %v, want a manifest and a config", orphans)
	}
	slices.Sort(orphans)
	return s, orphans, size
}

func TestPrune(t *testing.T) {
	reg := startRegistry(t)
	s, orphans, size := orphanStore(t, reg)
	patch := Digest(reg.Layers["patch"].Digest)
	kept := blobs(t, s)
	kept = slices.DeleteFunc(kept, func(d Digest) bool { return slices.Contains(orphans, d) })

	pr, err := s.Prune(context.Background(), PruneOptions{KeepPartial: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pr.Deleted, orphans) || len(pr.Partial) != 0 || pr.Freed != size {
		t.Errorf("pruned %+v, want %v, %d bytes", pr, orphans, size)
	}
	if got := blobs(t, s); !slices.Equal(got, kept) {
		t.Errorf("blobs after pruning %v, want %v", got, kept)
	}
	if _, err := os.Stat(s.ingestPath(patch)); err != nil {
		t.Errorf("KeepPartial: the partial download: %v", err)
	}
	if _, err := s.Get(context.Background(), reg.Ref(registrytest.Nanoserver)); err != nil {
		t.Errorf("the image left: %v", err)
	}

	pr, err = s.Prune(context.Background(), PruneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	partial := int64(100 * triesPerSource)
	if len(pr.Deleted) != 0 || !slices.Equal(pr.Partial, []Digest{patch}) || pr.Freed != partial {
		t.Errorf("pruned %+v, want the partial download of %s, %d bytes", pr, patch, partial)
	}
	if _, err := os.Stat(s.ingestPath(patch)); !os.IsNotExist(err) {
		t.Errorf("the partial download is still there: %v", err)
	}

	pr, err = s.Prune(context.Background(), PruneOptions{})
	if err != nil || len(pr.Deleted)+len(pr.Partial) != 0 || pr.Freed != 0 {
		t.Errorf("pruning again: %+v, %v; want nothing done", pr, err)
	}
	// The store still works: App pulls, whole.
	if _, err := s.Pull(context.Background(), reg.Ref(registrytest.App), options(t, reg)); err != nil {
		t.Fatal(err)
	}
}

// TestPruneDamaged refuses to prune a store one of whose images cannot be
// read: its blobs cannot be told apart from orphans.
func TestPruneDamaged(t *testing.T) {
	reg := startRegistry(t)
	s, orphans, _ := orphanStore(t, reg)
	im, err := s.Get(context.Background(), reg.Ref(registrytest.Nanoserver))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(s.blobPath(im.Config.Digest)); err != nil {
		t.Fatal(err)
	}
	before := blobs(t, s)
	_, err = s.Prune(context.Background(), PruneOptions{})
	if err == nil || !strings.Contains(err.Error(), "nothing was pruned") || !strings.Contains(err.Error(), reg.Ref(registrytest.Nanoserver)) {
		t.Fatalf("error %v, want one naming the image and saying nothing was pruned", err)
	}
	if got := blobs(t, s); !slices.Equal(got, before) || !slices.Contains(got, orphans[0]) {
		t.Errorf("blobs %v after the failed prune, want %v", got, before)
	}
}

// TestPruneConcurrentPull prunes while a pull downloads: Prune waits for
// it, and then deletes none of the image's blobs, downloaded before the
// catalog had it.
func TestPruneConcurrentPull(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	patch := reg.Layers["patch"].Digest
	started, release := make(chan struct{}), make(chan struct{})
	var once atomic.Bool
	reg.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !registrytest.IsBlob(r, patch) || !once.CompareAndSwap(false, true) {
			return false
		}
		close(started)
		<-release
		return false // then serve it
	})
	pulled := make(chan error, 1)
	go func() {
		_, err := s.Pull(context.Background(), reg.Ref(registrytest.App), options(t, reg))
		pulled <- err
	}()
	<-started
	waiting := make(chan struct{})
	pruned := make(chan *Pruned, 1)
	go func() {
		pr, err := s.Prune(context.Background(), PruneOptions{Waiting: func() { close(waiting) }})
		if err != nil {
			t.Error(err)
		}
		pruned <- pr
	}()
	<-waiting // Prune waits for the pull
	close(release)
	if err := <-pulled; err != nil {
		t.Fatal(err)
	}
	if pr := <-pruned; pr == nil || len(pr.Deleted)+len(pr.Partial) != 0 {
		t.Errorf("Prune after the pull: %+v, want nothing deleted", pr)
	}
	im, err := s.Get(context.Background(), reg.Ref(registrytest.App))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blobsOf(im) {
		if !has(t, s, string(b.Digest)) {
			t.Errorf("blob %s of the pulled image is gone", b.Digest)
		}
	}
}
