// Package registrytest serves Windows images from an in-process registry
// for tests, and for hcs demo, with no network: go-containerregistry's pkg/registry behind
// httptest, holding images built from the synthetic layers of
// internal/layertartest, and a second server for a foreign layer's URL. Tests
// inject faults (truncated, corrupt or blocked responses) and read the
// requests made.
package registrytest

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcr "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gohcs/hcs/internal/layertartest"
)

// The images every registry holds, as repository:tag.
const (
	// Nanoserver is an index of Windows images for 10.0.17763.6054,
	// 10.0.20348.2582 and 10.0.26100.1742 (and a Linux one), each of the
	// Base layer (foreign, served by the second server) and App.
	Nanoserver = "windows/nanoserver:ltsc2022"
	// App is one Windows image for 10.0.20348.2582: Base, App and Patch.
	App = "windows/app:1.0"
	// UtilityVMUpdate is one Windows image for 10.0.20348.2582: Base, and
	// a layer that changes its utility VM.
	UtilityVMUpdate = "windows/uvm-update:1.0"
)

// OSVersions are the Windows versions Nanoserver offers.
var OSVersions = []string{"10.0.17763.6054", "10.0.20348.2582", "10.0.26100.1742"}

// Request is a request a server received.
type Request struct {
	Method, Path, Range string
}

// Fault handles a request instead of the server when it returns true;
// next is the server's own handler.
type Fault func(w http.ResponseWriter, r *http.Request, next http.Handler) bool

// Registry is a running registry and the foreign layer's server.
type Registry struct {
	// Host is the registry's "127.0.0.1:PORT", the start of references.
	Host string
	// Foreign is the foreign layer's server, "http://127.0.0.1:PORT":
	// pulls must allow it (images.ForeignHosts(reg.Foreign)), as it is not
	// one of the hosts allowed by default.
	Foreign string
	// Layers are the layers' blobs by name ("base", "app", "patch",
	// "uvm-update"): Digest
	// and the compressed bytes served.
	Layers map[string]Blob

	reg, foreign *httptest.Server

	mu       sync.Mutex
	fault    Fault
	requests []Request
}

// Blob is a blob the servers serve.
type Blob struct {
	Digest string
	Data   []byte
}

// Start starts a registry with the images pushed; Close stops it.
func Start() (*Registry, error) {
	r := &Registry{Layers: map[string]Blob{}}
	r.reg = httptest.NewServer(r.wrap(r.withholdForeign(ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0))))))
	r.Host = strings.TrimPrefix(r.reg.URL, "http://")
	r.foreign = httptest.NewServer(r.wrap(http.HandlerFunc(r.serveForeign)))
	r.Foreign = r.foreign.URL
	if err := r.push(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// Close stops the servers.
func (r *Registry) Close() {
	r.reg.Close()
	r.foreign.Close()
}

// Ref returns the reference of repo:tag in this registry.
func (r *Registry) Ref(repoTag string) string { return r.Host + "/" + repoTag }

// SetFault makes f see every request from now on (nil: none).
func (r *Registry) SetFault(f Fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fault = f
}

// Requests returns the requests received so far, and forgets them.
func (r *Registry) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.requests
	r.requests = nil
	return out
}

// BlobGets returns how many GETs of blob digest the requests hold.
func BlobGets(reqs []Request, digest string) int {
	n := 0
	for _, q := range reqs {
		if q.Method == http.MethodGet && strings.HasSuffix(q.Path, "/"+digest) {
			n++
		}
	}
	return n
}

func (r *Registry) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.requests = append(r.requests, Request{req.Method, req.URL.Path, req.Header.Get("Range")})
		f := r.fault
		r.mu.Unlock()
		if f != nil && f(w, req, h) {
			return
		}
		h.ServeHTTP(w, req)
	})
}

// withholdForeign answers requests for the foreign layer as a registry
// that does not distribute it: not found. (go-containerregistry's
// registry keeps what is pushed to it, and a push writes it.)
func (r *Registry) withholdForeign(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if d := r.Layers["base"].Digest; d != "" && strings.HasSuffix(req.URL.Path, "/blobs/"+d) && req.Method != http.MethodPut {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}`)
			return
		}
		h.ServeHTTP(w, req)
	})
}

// serveForeign serves the foreign layer at /layers/DIGEST, with ranges.
func (r *Registry) serveForeign(w http.ResponseWriter, req *http.Request) {
	b := r.Layers["base"]
	if req.URL.Path != "/layers/"+b.Digest {
		http.NotFound(w, req)
		return
	}
	http.ServeContent(w, req, "layer", time.Time{}, bytes.NewReader(b.Data))
}

// IsBlob reports whether req fetches the blob digest, from either server.
func IsBlob(req *http.Request, digest string) bool {
	return req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/"+digest)
}

// Truncate returns a fault that serves the first n bytes of the blob
// digest, announcing its full length, and then drops the connection;
// times is how many requests it spoils (then it passes them on).
func Truncate(digest string, n int, times int) Fault {
	return spoil(digest, times, func(w http.ResponseWriter, body []byte) {
		w.Write(body[:min(n, len(body))])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler) // drop the connection, as a network failure would
	})
}

// Corrupt returns a fault that serves the blob digest with one byte
// changed, as a bad disk or a lying server would; times as for Truncate.
func Corrupt(digest string, times int) Fault {
	return spoil(digest, times, func(w http.ResponseWriter, body []byte) {
		body = bytes.Clone(body)
		if len(body) > 0 {
			body[len(body)/2] ^= 0xFF
		}
		w.Write(body)
	})
}

// IsManifest reports whether req asks the registry for a manifest or an
// index (GET or HEAD, by tag or digest).
func IsManifest(req *http.Request) bool {
	return (req.Method == http.MethodGet || req.Method == http.MethodHead) && strings.Contains(req.URL.Path, "/manifests/")
}

// FailManifests returns a fault that answers the next n manifest requests
// (IsManifest) with status and header, as an overloaded or rate-limiting
// registry would, and passes the others on.
func FailManifests(n, status int, header http.Header) Fault {
	return countManifests(n, func(w http.ResponseWriter) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"errors":[{"code":"UNAVAILABLE","message":"injected %d"}]}`, status)
	})
}

// DropManifests returns a fault that drops the connection of the next n
// manifest requests before answering, as a network failure would.
func DropManifests(n int) Fault {
	return countManifests(n, func(http.ResponseWriter) { panic(http.ErrAbortHandler) })
}

// countManifests returns a fault that handles the next n manifest
// requests with do.
func countManifests(n int, do func(w http.ResponseWriter)) Fault {
	var mu sync.Mutex
	return func(w http.ResponseWriter, req *http.Request, _ http.Handler) bool {
		mu.Lock()
		hit := n > 0 && IsManifest(req)
		if hit {
			n--
		}
		mu.Unlock()
		if hit {
			do(w)
		}
		return hit
	}
}

// spoil returns a fault that serves the first times requests for the blob
// digest with the server's status and headers and the body write makes of
// the server's body.
func spoil(digest string, times int, write func(w http.ResponseWriter, body []byte)) Fault {
	var mu sync.Mutex
	return func(w http.ResponseWriter, req *http.Request, next http.Handler) bool {
		mu.Lock()
		do := times > 0 && IsBlob(req, digest)
		if do {
			times--
		}
		mu.Unlock()
		if !do {
			return false
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, req)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		write(w, rec.Body.Bytes())
		return true
	}
}

// push builds the images and pushes them.
func (r *Registry) push() error {
	base, err := r.layer("base", layertartest.Base())
	if err != nil {
		return err
	}
	app, err := r.layer("app", layertartest.App())
	if err != nil {
		return err
	}
	patch, err := r.layer("patch", layertartest.Patch())
	if err != nil {
		return err
	}
	uvm, err := r.layer("uvm-update", layertartest.UtilityVMUpdate())
	if err != nil {
		return err
	}
	foreign := mutate.Addendum{
		Layer:     base,
		MediaType: types.DockerForeignLayer,
		URLs:      []string{r.foreign.URL + "/layers/" + r.Layers["base"].Digest},
	}
	image := func(osVersion string, layers ...v1.Layer) (v1.Image, error) {
		img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
			OS: "windows", Architecture: "amd64", OSVersion: osVersion,
			Config: v1.Config{Cmd: []string{`c:\windows\system32\cmd.exe`}},
		})
		if err != nil {
			return nil, err
		}
		img, err = mutate.Append(img, foreign)
		if err != nil {
			return nil, err
		}
		return mutate.AppendLayers(img, layers...)
	}

	idx := mutate.IndexMediaType(empty.Index, types.DockerManifestList)
	for _, ver := range OSVersions {
		img, err := image(ver, app)
		if err != nil {
			return err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "windows", Architecture: "amd64", OSVersion: ver},
		}})
	}
	linux, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{OS: "linux", Architecture: "amd64"})
	if err != nil {
		return err
	}
	idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: linux, Descriptor: v1.Descriptor{
		Platform: &v1.Platform{OS: "linux", Architecture: "amd64"},
	}})
	ref, err := name.ParseReference(r.Ref(Nanoserver))
	if err != nil {
		return err
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		return fmt.Errorf("registrytest: pushing %s: %w", Nanoserver, err)
	}

	img, err := image("10.0.20348.2582", app, patch)
	if err != nil {
		return err
	}
	if ref, err = name.ParseReference(r.Ref(App)); err != nil {
		return err
	}
	if err := remote.Write(ref, img); err != nil {
		return fmt.Errorf("registrytest: pushing %s: %w", App, err)
	}
	if img, err = image("10.0.20348.2582", uvm); err != nil {
		return err
	}
	if ref, err = name.ParseReference(r.Ref(UtilityVMUpdate)); err != nil {
		return err
	}
	if err := remote.Write(ref, img); err != nil {
		return fmt.Errorf("registrytest: pushing %s: %w", UtilityVMUpdate, err)
	}
	r.Requests() // the pushes are not the tests' business
	return nil
}

// layer makes a gzip layer of a tar and records its blob.
func (r *Registry) layer(name string, tar []byte) (v1.Layer, error) {
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tar)), nil
	}, tarball.WithCompressedCaching)
	if err != nil {
		return nil, err
	}
	d, err := l.Digest()
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	r.Layers[name] = Blob{Digest: d.String(), Data: data}
	return l, nil
}
