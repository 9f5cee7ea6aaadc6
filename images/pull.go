package images

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"
)

// PullOptions are the options of Pull.
type PullOptions struct {
	// OSVersion is the Windows version of the host the image is for
	// (HostOSVersion on Windows); required. The image must be one the
	// host runs with process isolation (OSVersion.CanRun).
	OSVersion OSVersion
	// Architecture is the image's architecture; "" means "amd64".
	Architecture string
	// Keychain finds the registry's credentials; nil means
	// authn.DefaultKeychain, which reads the Docker config
	// ($DOCKER_CONFIG/config.json, ~/.docker/config.json) and its
	// credential helpers as docker and crane do.
	Keychain authn.Keychain
	// Transport makes the HTTP requests; nil means remote.DefaultTransport
	// (proxies from the environment, timeouts to connect).
	Transport http.RoundTripper
	// Retries is how many times a request to the registry other than a
	// blob download (its manifests and indexes, the token and the
	// version check) is retried after a transient failure: a connection
	// error, 408, 429 or a 5xx other than 501 and 505; 0 means 4, and
	// a negative number none. Other 4xx answers (unauthorised, not found)
	// are never retried. Blob downloads have their own tries, resuming.
	Retries int
	// Backoff returns how long to wait before retry n (from 1), given the
	// wait the registry asked for in a Retry-After header (0 if none); a
	// negative duration gives up. nil means DefaultBackoff. The wait ends
	// early, failing the pull, when ctx ends; a wait that would end past
	// ctx's deadline is not begun.
	Backoff func(n int, retryAfter time.Duration) time.Duration
	// ForeignURLs says whether a foreign (non-distributable) layer may be
	// downloaded from a URL its descriptor's urls list; nil means
	// DefaultForeignURL: https to Microsoft's hosts only. (A manifest
	// comes from whoever pushed it, and its urls would otherwise make
	// the puller fetch from any host, on the local network too.) A refused
	// URL is skipped: the layer then comes from its registry, and when
	// that fails too, the error names the refused URLs. ForeignHosts
	// makes one of host patterns.
	ForeignURLs func(*url.URL) bool
	// Concurrency is how many blobs download at once; 0 means 3.
	Concurrency int
	// Progress, when set, is called as each blob's download advances. The
	// calls are serialised (one at a time), from the pull's goroutines;
	// Progress must return quickly.
	Progress func(PullProgress)
}

// Pull downloads the image ref into the store and returns it.
//
// ref is a reference as docker takes it: "mcr.microsoft.com/windows/
// nanoserver:ltsc2022", "nanoserver" (docker.io/library, tag latest), or
// one by digest. When ref names an index (a multi-platform image), Pull
// picks the Windows manifest of opts.Architecture whose os.version the
// host runs (see OSVersion.CanRun), preferring the host's own build, then
// the newest; when none fits, the error wraps ErrNoMatch and lists the
// versions the index offers.
//
// Every blob is verified against its digest before the store takes it;
// a foreign (non-distributable) layer is downloaded from those of its own
// URLs that opts.ForeignURLs allows, then its registry, and verified the
// same way. Blobs already in the
// store are not downloaded again: a second pull of an image asks the
// registry for the reference's digest and downloads nothing more. A
// download that breaks off is resumed where it stopped, by this pull
// (three tries per source) or the next one. Several processes may pull
// into one store at once; each blob is downloaded once.
//
// A transient failure of a request for a manifest or an index is retried
// (see PullOptions.Retries); the error after the last attempt says how
// many were made.
//
// Pull fails, naming the reference and the blob, for an unknown reference
// or registry, a registry error, a digest mismatch (ErrDigestMismatch), a
// manifest that is not a Windows image or a layer that is not a tar, and
// when ctx ends; the store keeps what was verified and the partial
// download of what was not, and its catalog is unchanged. The catalog
// records the image under its normalised reference, replacing an earlier
// pull of the same reference.
func (s *Store) Pull(ctx context.Context, ref string, opts PullOptions) (*Image, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("images: pulling %q: %w", ref, err)
	}
	if opts.OSVersion.IsZero() {
		return nil, fmt.Errorf("images: pulling %s: PullOptions.OSVersion is required: the host's Windows version (HostOSVersion on Windows)", r.Name())
	}
	unlock, err := s.lock(ctx, "gc.lock", false, nil)
	if err != nil {
		return nil, fmt.Errorf("images: pulling %s: %w", r.Name(), err)
	}
	defer unlock()
	p, err := s.newPuller(ctx, r, opts)
	if err != nil {
		return nil, fmt.Errorf("images: pulling %s: %w", r.Name(), err)
	}
	im, err := p.pull(ctx)
	if err != nil {
		return nil, fmt.Errorf("images: pulling %s: %w", r.Name(), err)
	}
	return im, nil
}

// normalize returns the form of a reference the catalog records.
func normalize(ref string) (string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", err
	}
	return r.Name(), nil
}

// puller is one Pull.
type puller struct {
	store  *Store
	ref    name.Reference
	opts   PullOptions
	arch   string
	remote *remote.Puller
	fetch  *fetcher
}

func (s *Store) newPuller(ctx context.Context, r name.Reference, opts PullOptions) (*puller, error) {
	base := opts.Transport
	if base == nil {
		base = remote.DefaultTransport
	}
	if opts.Retries == 0 {
		opts.Retries = defaultRetries
	}
	if opts.Backoff == nil {
		opts.Backoff = DefaultBackoff
	}
	retry := &retrier{next: base, retries: max(opts.Retries, 0), backoff: opts.Backoff}
	kc := opts.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	repo := r.Context()
	auth, err := authn.Resolve(ctx, kc, repo)
	if err != nil {
		return nil, fmt.Errorf("credentials for %s: %w", repo.RegistryStr(), err)
	}
	rt, err := transport.NewWithContext(ctx, repo.Registry, auth, retry, []string{repo.Scope(transport.PullScope)})
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", repo.RegistryStr(), err)
	}
	rp, err := remote.NewPuller(remote.WithTransport(rt))
	if err != nil {
		return nil, err
	}
	arch := opts.Architecture
	if arch == "" {
		arch = "amd64"
	}
	allow := opts.ForeignURLs
	if allow == nil {
		allow = DefaultForeignURL
	}
	conc := opts.Concurrency
	if conc <= 0 {
		conc = 3
	}
	opts.Concurrency = conc
	return &puller{
		store: s, ref: r, opts: opts, arch: arch, remote: rp,
		fetch: &fetcher{
			store: s, repo: repo,
			registry: &http.Client{Transport: rt}, plain: &http.Client{Transport: base, CheckRedirect: noDowngrade},
			allow:    allow,
			progress: opts.Progress,
		},
	}, nil
}

func (p *puller) pull(ctx context.Context) (*Image, error) {
	top, mt, err := p.resolve(ctx)
	if err != nil {
		return nil, err
	}
	raw, err := p.manifest(ctx, top)
	if err != nil {
		return nil, err
	}
	rec := record{Ref: p.ref.Name(), Digest: top}
	switch {
	case mt.IsIndex():
		if rec.Digest, err = p.chooseFromIndex(raw); err != nil {
			return nil, err
		}
		rec.Index = top
		if raw, err = p.manifest(ctx, rec.Digest); err != nil {
			return nil, err
		}
	case mt.IsSchema1():
		return nil, fmt.Errorf("manifest %s is Docker schema 1, which Windows images never used: not supported", top)
	case !mt.IsImage():
		return nil, fmt.Errorf("%s is a %q, not an image", top, mt)
	}
	m, _, err := parseImage(raw, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rec.Digest, err)
	}
	cfg := blobRef{Digest: Digest(m.Config.Digest.String()), Size: m.Config.Size, Kind: "config"}
	if err := p.fetch.ensure(ctx, cfg); err != nil {
		return nil, err
	}
	cb, err := p.store.readBlob(cfg.Digest)
	if err != nil {
		return nil, err
	}
	m, c, err := parseImage(raw, cb)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rec.Digest, err)
	}
	if err := p.checkConfig(c); err != nil {
		return nil, err
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.opts.Concurrency)
	for _, l := range m.Layers {
		b := blobRef{Digest: Digest(l.Digest.String()), Size: l.Size, URLs: l.URLs, Kind: "layer"}
		p.fetch.report(PullProgress{Digest: b.Digest, Kind: b.Kind, Size: b.Size, Status: PullQueued})
		g.Go(func() error { return p.fetch.ensure(gctx, b) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	rec.Pulled = time.Now().UTC()
	err = p.store.updateCatalog(ctx, func(cat *catalog) error {
		cat.Images = slices.DeleteFunc(cat.Images, func(o record) bool { return o.Ref == rec.Ref })
		cat.Images = append(cat.Images, rec)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return newImage(rec, m, c), nil
}

// resolve returns the digest and media type the reference names: from the
// reference itself and the store when it is a digest the store holds,
// otherwise by asking the registry (HEAD, then GET for a registry that
// will not answer HEAD; not after a transient failure that outlasted the
// retries).
func (p *puller) resolve(ctx context.Context) (Digest, types.MediaType, error) {
	if dr, ok := p.ref.(name.Digest); ok {
		d, err := ParseDigest(dr.DigestStr())
		if err != nil {
			return "", "", err
		}
		if has, err := p.store.hasBlob(d); err != nil {
			return "", "", err
		} else if has {
			b, err := p.store.readBlob(d)
			if err != nil {
				return "", "", err
			}
			return d, sniff(b), nil
		}
	}
	desc, err := p.remote.Head(ctx, p.ref)
	if err != nil {
		if ctx.Err() != nil {
			return "", "", ctx.Err()
		}
		var retried *retryError
		if errors.As(err, &retried) {
			return "", "", err // the registry is failing: a GET would fail too
		}
		full, gerr := p.remote.Get(ctx, p.ref)
		if gerr != nil {
			return "", "", gerr
		}
		desc = &full.Descriptor
	}
	d, err := ParseDigest(desc.Digest.String())
	if err != nil {
		return "", "", err
	}
	return d, desc.MediaType, nil
}

// sniff tells an index from a manifest by its JSON, for a stored blob.
func sniff(b []byte) types.MediaType {
	var probe struct {
		MediaType types.MediaType `json:"mediaType"`
		Manifests json.RawMessage `json:"manifests"`
	}
	_ = json.Unmarshal(b, &probe)
	switch {
	case probe.MediaType != "":
		return probe.MediaType
	case probe.Manifests != nil:
		return types.OCIImageIndex
	}
	return types.OCIManifestSchema1
}

// manifest returns the manifest or index d, from the store or the
// registry (which go-containerregistry checks against d); it stores it.
func (p *puller) manifest(ctx context.Context, d Digest) ([]byte, error) {
	if has, err := p.store.hasBlob(d); err != nil {
		return nil, err
	} else if has {
		return p.store.readBlob(d)
	}
	desc, err := p.remote.Get(ctx, p.ref.Context().Digest(d.String()))
	if err != nil {
		return nil, err
	}
	if got := digestOf(desc.Manifest); got != d {
		return nil, fmt.Errorf("manifest %s: %w: got %s", d, ErrDigestMismatch, got)
	}
	if err := p.store.putBlob(ctx, d, desc.Manifest); err != nil {
		return nil, err
	}
	return desc.Manifest, nil
}

// chooseFromIndex picks the manifest of the index raw that fits the host.
func (p *puller) chooseFromIndex(raw []byte) (Digest, error) {
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("index: %w", err)
	}
	var cands []candidate
	for i, m := range idx.Manifests {
		if !m.MediaType.IsImage() && m.MediaType != "" {
			continue // nested indexes, attestations' own types
		}
		d, err := ParseDigest(m.Digest.String())
		if err != nil {
			return "", fmt.Errorf("index: %w", err)
		}
		c := candidate{index: i, digest: d}
		if m.Platform != nil {
			c.platform = Platform{OS: m.Platform.OS, Architecture: m.Platform.Architecture, OSVersion: m.Platform.OSVersion}
		}
		cands = append(cands, c)
	}
	c, err := choose(p.opts.OSVersion, p.arch, cands)
	if err != nil {
		return "", err
	}
	return c.digest, nil
}

// checkConfig checks the image's own account of its platform.
func (p *puller) checkConfig(c *v1.ConfigFile) error {
	if c.OS != "windows" || c.Architecture != p.arch {
		return fmt.Errorf("%w: the image is for %s/%s, not windows/%s", ErrNoMatch, c.OS, c.Architecture, p.arch)
	}
	if c.OSVersion == "" {
		return nil
	}
	v, err := ParseOSVersion(c.OSVersion)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if !p.opts.OSVersion.CanRun(v) {
		return fmt.Errorf("%w: host %s; the image is for %s; %s", ErrNoMatch, p.opts.OSVersion.describe(), v.describe(), p.opts.OSVersion.needs())
	}
	return nil
}
