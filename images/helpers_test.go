package images

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gohcs/hcs/internal/registrytest"
	"github.com/gohcs/hcs/internal/winetest"
)

var ltsc2022 = OSVersion{10, 0, 20348, 100}

// startRegistry starts the in-process registry for one test.
func startRegistry(t *testing.T) *registrytest.Registry {
	t.Helper()
	reg, err := registrytest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Close)
	return reg
}

// openStore opens a store in a fresh folder.
func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(winetest.TempDir(t), "store"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// options returns pull options for ltsc2022 with a transport of the test's
// own, whose connections the test closes, no credentials from the
// machine's Docker config, and reg's foreign layer server allowed.
func options(t *testing.T, reg *registrytest.Registry) PullOptions {
	tr := remote.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return PullOptions{OSVersion: ltsc2022, Transport: tr, Keychain: authn.NewMultiKeychain(), Backoff: noWait,
		ForeignURLs: ForeignHosts(reg.Foreign)}
}

// noWait is a backoff that retries at once.
func noWait(int, time.Duration) time.Duration { return 0 }

// reportLog records the progress reports of a pull or an unpacking.
type reportLog[P any] struct {
	mu  sync.Mutex
	all []P
}

func (l *reportLog[P]) add(p P) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, p)
}

// statusesOf returns the statuses of the reports l holds for which status
// says ok, in order, without repeats.
func statusesOf[P any, S comparable](l *reportLog[P], status func(P) (s S, ok bool)) []S {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []S
	for _, p := range l.all {
		if s, ok := status(p); ok && (len(out) == 0 || out[len(out)-1] != s) {
			out = append(out, s)
		}
	}
	return out
}

// progressLog records the progress reports of a pull.
type progressLog struct{ reportLog[PullProgress] }

// statuses returns the statuses reported for digest, in order, without
// repeats.
func (l *progressLog) statuses(d Digest) []PullStatus {
	return statusesOf(&l.reportLog, func(p PullProgress) (PullStatus, bool) { return p.Status, p.Digest == d })
}

// blobs lists the digests of the store's verified blobs.
func blobs(t *testing.T, s *Store) []Digest {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(s.Dir(), "blobs", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	var out []Digest
	for _, e := range ents {
		if e.Name()[0] != '.' {
			out = append(out, Digest("sha256:"+e.Name()))
		}
	}
	return out
}

// has reports whether the store has the verified blob d.
func has(t *testing.T, s *Store, d string) bool {
	t.Helper()
	return slices.Contains(blobs(t, s), Digest(d))
}

// refs lists the references of the store's catalog.
func refs(t *testing.T, s *Store) []string {
	t.Helper()
	ims, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, im := range ims {
		out = append(out, im.Ref)
	}
	return out
}
