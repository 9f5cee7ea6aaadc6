package images

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/gohcs/hcs/internal/registrytest"
	"github.com/gohcs/hcs/internal/winetest"
)

func TestPull(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	var log progressLog
	opts := options(t, reg)
	opts.Progress = log.add
	im, err := s.Pull(context.Background(), reg.Ref(registrytest.Nanoserver), opts)
	if err != nil {
		t.Fatal(err)
	}
	if im.Ref != reg.Ref(registrytest.Nanoserver) || im.Index == "" || im.Platform.String() != "windows/amd64 10.0.20348.2582" {
		t.Errorf("image %s, index %q, platform %s", im.Ref, im.Index, im.Platform)
	}
	base, app := reg.Layers["base"], reg.Layers["app"]
	if len(im.Layers) != 2 || string(im.Layers[0].Digest) != base.Digest || string(im.Layers[1].Digest) != app.Digest {
		t.Fatalf("layers %+v", im.Layers)
	}
	if len(im.Layers[0].URLs) != 1 || im.Layers[0].MediaType != "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" {
		t.Errorf("foreign layer %+v", im.Layers[0])
	}
	for _, l := range im.Layers {
		if !has(t, s, string(l.Digest)) {
			t.Errorf("layer %s is not in the store", l.Digest)
		}
		want := []PullStatus{PullQueued, PullDownloading, PullVerifying, PullDone}
		if got := log.statuses(l.Digest); !slices.Equal(got, want) {
			t.Errorf("layer %s: statuses %v, want %v", l.Digest.Short(), got, want)
		}
	}
	reqs := reg.Requests()
	// The foreign layer came from its URL, not from the registry.
	var foreign, fromRegistry int
	for _, q := range reqs {
		if strings.HasSuffix(q.Path, base.Digest) {
			if strings.HasPrefix(q.Path, "/layers/") {
				foreign++
			} else {
				fromRegistry++
			}
		}
	}
	if foreign != 1 || fromRegistry != 0 {
		t.Errorf("foreign layer: %d GETs from its URL, %d from the registry; want 1, 0", foreign, fromRegistry)
	}
	if got := refs(t, s); !slices.Equal(got, []string{im.Ref}) {
		t.Errorf("catalog %q", got)
	}

	// A second pull downloads nothing: the registry is asked for the
	// reference's digest only.
	log = progressLog{}
	opts.Progress = log.add
	again, err := s.Pull(context.Background(), reg.Ref(registrytest.Nanoserver), opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.Digest != im.Digest {
		t.Errorf("second pull: manifest %s, want %s", again.Digest, im.Digest)
	}
	for _, q := range reg.Requests() {
		if q.Method == http.MethodGet && q.Path != "/v2/" {
			t.Errorf("second pull: %s %s", q.Method, q.Path)
		}
	}
	for _, l := range im.Layers {
		if got := log.statuses(l.Digest); !slices.Equal(got, []PullStatus{PullQueued, PullCached}) {
			t.Errorf("second pull, layer %s: statuses %v", l.Digest.Short(), got)
		}
	}
}

// TestPullPicksOSVersion checks the manifest chosen for each host, and the
// error for a host no image fits.
func TestPullPicksOSVersion(t *testing.T) {
	reg := startRegistry(t)
	for _, tc := range []struct{ host, want string }{
		{"10.0.17763.1", "10.0.17763.6054"},
		{"10.0.22631.2", "10.0.20348.2582"}, // Windows 11 runs ltsc2022 images
		{"10.0.26100.3", "10.0.26100.1742"},
	} {
		s := openStore(t)
		opts := options(t, reg)
		opts.OSVersion = v(tc.host)
		im, err := s.Pull(context.Background(), reg.Ref(registrytest.Nanoserver), opts)
		if err != nil {
			t.Fatalf("host %s: %v", tc.host, err)
		}
		if im.Platform.OSVersion != tc.want {
			t.Errorf("host %s: image for %s, want %s", tc.host, im.Platform.OSVersion, tc.want)
		}
	}

	s := openStore(t)
	opts := options(t, reg)
	opts.OSVersion = v("10.0.19041.1")
	_, err := s.Pull(context.Background(), reg.Ref(registrytest.Nanoserver), opts)
	if !errors.Is(err, ErrNoMatch) {
		t.Fatalf("host 10.0.19041: %v, want ErrNoMatch", err)
	}
	want := "host 10.0.19041.1 (2004), windows/amd64; process isolation needs an image of the host's build, 10.0.19041; " +
		"the reference offers linux/amd64, windows 10.0.17763.x (ltsc2019), windows 10.0.20348.x (ltsc2022), windows 10.0.26100.x (ltsc2025)"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error\n%v\nwant it to contain\n%s", err, want)
	}
	if got := refs(t, s); len(got) != 0 {
		t.Errorf("catalog %q after a failed pull", got)
	}

	// An image (not an index) is checked against its config.
	opts.OSVersion = v("10.0.26200")
	if _, err := s.Pull(context.Background(), reg.Ref(registrytest.App), opts); !errors.Is(err, ErrNoMatch) {
		t.Errorf("App on 10.0.26200: %v, want ErrNoMatch", err)
	}
	if _, err := s.Pull(context.Background(), reg.Ref(registrytest.App), PullOptions{}); err == nil || !strings.Contains(err.Error(), "OSVersion is required") {
		t.Errorf("no OSVersion: %v", err)
	}
}

// TestPullSharesLayers checks that layers already in the store are not
// downloaded for another image.
func TestPullSharesLayers(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	if _, err := s.Pull(context.Background(), reg.Ref(registrytest.Nanoserver), options(t, reg)); err != nil {
		t.Fatal(err)
	}
	reg.Requests()
	if _, err := s.Pull(context.Background(), reg.Ref(registrytest.App), options(t, reg)); err != nil {
		t.Fatal(err)
	}
	reqs := reg.Requests()
	for name, want := range map[string]int{"base": 0, "app": 0, "patch": 1} {
		if n := registrytest.BlobGets(reqs, reg.Layers[name].Digest); n != want {
			t.Errorf("layer %s: %d GETs, want %d", name, n, want)
		}
	}
}

func TestPullCorruptBlob(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	app := reg.Layers["app"].Digest
	reg.SetFault(registrytest.Corrupt(app, 1))
	_, err := s.Pull(context.Background(), reg.Ref(registrytest.Nanoserver), options(t, reg))
	if !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), app) {
		t.Fatalf("error %v, want a digest mismatch of %s", err, app)
	}
	checkConsistent(t, s, app)
	if _, err := os.Stat(s.ingestPath(Digest(app))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the corrupt download was kept: %v", err)
	}
	// The registry serves it right again: the next pull succeeds.
	if _, err := s.Pull(context.Background(), reg.Ref(registrytest.Nanoserver), options(t, reg)); err != nil {
		t.Fatal(err)
	}

	// A foreign layer is verified too.
	s = openStore(t)
	base := reg.Layers["base"].Digest
	reg.SetFault(registrytest.Corrupt(base, 1))
	if _, err = s.Pull(context.Background(), reg.Ref(registrytest.App), options(t, reg)); !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("corrupt foreign layer: %v", err)
	}
	checkConsistent(t, s, base)
}

// checkConsistent checks a store after a failed pull: no image, and the
// blob that failed not in it.
func checkConsistent(t *testing.T, s *Store, failed string) {
	t.Helper()
	if got := refs(t, s); len(got) != 0 {
		t.Errorf("catalog %q after a failed pull", got)
	}
	if has(t, s, failed) {
		t.Errorf("the failed blob %s is in the store", failed)
	}
	for _, d := range blobs(t, s) {
		if _, err := s.readBlob(d); err != nil {
			t.Errorf("blob %s: %v", d, err)
		}
	}
}

// TestPullResumes truncates a download: the pull resumes it where it
// stopped, with a range request, and the blob is verified whole.
func TestPullResumes(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	patch := reg.Layers["patch"].Digest
	reg.SetFault(registrytest.Truncate(patch, 1000, 1))
	var log progressLog
	opts := options(t, reg)
	opts.Progress = log.add
	if _, err := s.Pull(context.Background(), reg.Ref(registrytest.App), opts); err != nil {
		t.Fatal(err)
	}
	var ranges []string
	for _, q := range reg.Requests() {
		if strings.HasSuffix(q.Path, patch) {
			ranges = append(ranges, q.Range)
		}
	}
	want := []string{"", "bytes=1000-" + itoa(len(reg.Layers["patch"].Data)-1)}
	if !slices.Equal(ranges, want) {
		t.Errorf("requests for the layer with ranges %q, want %q", ranges, want)
	}
	if !has(t, s, patch) {
		t.Error("the layer is not in the store")
	}
}

// TestPullResumesNextTime breaks every try: the pull fails and keeps the
// partial download, and the next pull continues from it.
func TestPullResumesNextTime(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	patch := reg.Layers["patch"].Digest
	if n := len(reg.Layers["patch"].Data); n <= 100*triesPerSource {
		t.Fatalf("the layer has %d bytes, too few to cut", n)
	}
	reg.SetFault(registrytest.Truncate(patch, 100, triesPerSource))
	_, err := s.Pull(context.Background(), reg.Ref(registrytest.App), options(t, reg))
	if err == nil || !strings.Contains(err.Error(), patch) {
		t.Fatalf("error %v, want one naming %s", err, patch)
	}
	checkConsistent(t, s, patch)
	st, err := os.Stat(s.ingestPath(Digest(patch)))
	if err != nil || st.Size() != 100*triesPerSource {
		t.Fatalf("partial download: %v, %v; want %d bytes", st, err, 100*triesPerSource)
	}
	reg.Requests()
	if _, err := s.Pull(context.Background(), reg.Ref(registrytest.App), options(t, reg)); err != nil {
		t.Fatal(err)
	}
	for _, q := range reg.Requests() {
		if strings.HasSuffix(q.Path, patch) && !strings.HasPrefix(q.Range, "bytes=300-") {
			t.Errorf("the next pull asked for %q, want bytes from 300", q.Range)
		}
	}
	if !has(t, s, patch) {
		t.Error("the layer is not in the store")
	}
}

// TestPullInterrupted cancels a pull while a layer downloads.
func TestPullInterrupted(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	app := reg.Layers["app"].Digest
	started, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) }) // before the server closes
	reg.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !registrytest.IsBlob(r, app) {
			return false
		}
		close(started)
		select { // until the client gives up
		case <-r.Context().Done():
		case <-release:
		}
		return true
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.Pull(ctx, reg.Ref(registrytest.Nanoserver), options(t, reg))
		done <- err
	}()
	<-started
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	checkConsistent(t, s, app)
	reg.SetFault(nil)
	if _, err := s.Pull(context.Background(), reg.Ref(registrytest.Nanoserver), options(t, reg)); err != nil {
		t.Fatal(err)
	}
}

// TestPullForeignFallback checks that a foreign layer whose URL fails comes
// from the registry instead, and that the error names both when both fail.
func TestPullForeignFallback(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	reg.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if strings.HasPrefix(r.URL.Path, "/layers/") {
			http.Error(w, "gone", http.StatusGone)
			return true
		}
		return false
	})
	_, err := s.Pull(context.Background(), reg.Ref(registrytest.App), options(t, reg))
	if err == nil || !strings.Contains(err.Error(), "/layers/") || !strings.Contains(err.Error(), "/v2/windows/app/blobs/") {
		t.Fatalf("error %v, want one naming both sources", err)
	}
	checkConsistent(t, s, reg.Layers["base"].Digest)
}

// TestConcurrentPulls pulls one image into one store from two stores at
// once (as two processes would): each blob is downloaded once.
func TestConcurrentPulls(t *testing.T) {
	reg := startRegistry(t)
	dir := filepath.Join(winetest.TempDir(t), "store")
	a, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	patch := reg.Layers["patch"].Digest
	// The first download of the layer waits until the other pull waits
	// for it: for its lock, held by the first.
	otherWaits, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) }) // before the server closes, should a pull fail
	var once sync.Once
	reg.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if registrytest.IsBlob(r, patch) {
			select {
			case <-otherWaits:
			case <-release:
			}
		}
		return false
	})
	optsA, optsB := options(t, reg), options(t, reg)
	optsA.Progress = func(p PullProgress) {
		if string(p.Digest) == patch && p.Status == PullWaiting {
			once.Do(func() { close(otherWaits) })
		}
	}
	optsB.Progress = optsA.Progress
	errs := make(chan error, 2)
	go func() { _, err := a.Pull(context.Background(), reg.Ref(registrytest.App), optsA); errs <- err }()
	go func() { _, err := b.Pull(context.Background(), reg.Ref(registrytest.App), optsB); errs <- err }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := registrytest.BlobGets(reg.Requests(), patch); n != 1 {
		t.Errorf("the layer was downloaded %d times, want 1", n)
	}
}

// TestPullCredentials serves a registry that wants a password: Pull reads
// it from the Docker config, as docker and crane do.
func TestPullCredentials(t *testing.T) {
	reg := startRegistry(t)
	const user, pass = "robot", "s3cret"
	reg.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !strings.HasPrefix(r.URL.Path, "/v2/") {
			return false
		}
		if u, p, ok := r.BasicAuth(); ok && u == user && p == pass {
			return false
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
		return true
	})
	s := openStore(t)
	opts := options(t, reg)
	opts.Keychain = authn.DefaultKeychain
	t.Setenv("DOCKER_CONFIG", winetest.TempDir(t))
	if _, err := s.Pull(context.Background(), reg.Ref(registrytest.App), opts); err == nil || !strings.Contains(err.Error(), "401") && !strings.Contains(err.Error(), "UNAUTHORIZED") {
		t.Fatalf("without credentials: %v", err)
	}
	config := `{"auths":{"` + reg.Host + `":{"auth":"` + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)) + `"}}}`
	if err := os.WriteFile(filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pull(context.Background(), reg.Ref(registrytest.App), opts); err != nil {
		t.Fatalf("with credentials in the Docker config: %v", err)
	}
}

func TestPullByDigest(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	im, err := s.Pull(context.Background(), reg.Ref(registrytest.App), options(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	byDigest := reg.Host + "/windows/app@" + string(im.Digest)
	reg.Requests()
	again, err := s.Pull(context.Background(), byDigest, options(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	if again.Ref != byDigest || again.Digest != im.Digest {
		t.Errorf("pulled %s %s", again.Ref, again.Digest)
	}
	for _, q := range reg.Requests() {
		if q.Path != "/v2/" {
			t.Errorf("pull of a digest the store holds: %s %s", q.Method, q.Path)
		}
	}
}

func TestPullErrors(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	for ref, want := range map[string]string{
		"Not A Reference":                         "could not parse reference",
		reg.Host + "/windows/missing:1":           "NAME_UNKNOWN",
		"127.0.0.1:1/windows/app:1.0":             "registry 127.0.0.1:1",
		reg.Host + "/windows/app@sha256:" + zeros: "MANIFEST_UNKNOWN",
	} {
		_, err := s.Pull(context.Background(), ref, options(t, reg))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Pull(%q): %v, want an error containing %q", ref, err, want)
		}
	}
}

const zeros = "0000000000000000000000000000000000000000000000000000000000000000"

func itoa(n int) string { return strconv.Itoa(n) }
