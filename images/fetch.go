package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/gohcs/hcs/internal/atomicfile"
)

// ErrDigestMismatch is wrapped by the errors of a blob whose bytes do not
// have the digest that names them: a corrupt download or a lying server.
var ErrDigestMismatch = errors.New("digest mismatch")

// Download tuning: tries per source before the next, and how many bytes
// go between two progress reports of one blob.
const (
	triesPerSource = 3
	reportEvery    = 256 << 10
)

// blobRef is a blob to fetch.
type blobRef struct {
	Digest Digest
	Size   int64
	URLs   []string // a foreign layer's own URLs, tried before the registry
	Kind   string   // "config" or "layer"
}

// fetcher downloads blobs of one repository into a store.
type fetcher struct {
	store    *Store
	repo     name.Repository
	registry *http.Client        // the registry's authenticated transport
	plain    *http.Client        // foreign URLs get no registry credentials
	allow    func(*url.URL) bool // which foreign URLs may be fetched

	mu       sync.Mutex // serialises progress reports
	progress func(PullProgress)
}

func (f *fetcher) report(p PullProgress) {
	if f.progress == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.progress(p)
}

// ensure puts the blob b in the store, verified, unless it is there. Only
// one process downloads a blob at a time: the others wait for its lock.
func (f *fetcher) ensure(ctx context.Context, b blobRef) error {
	p := PullProgress{Digest: b.Digest, Kind: b.Kind, Size: b.Size}
	if ok, err := f.store.hasBlob(b.Digest); err != nil || ok {
		if ok {
			p.Status, p.Bytes = PullCached, b.Size
			f.report(p)
		}
		return err
	}
	unlock, err := f.store.lock(ctx, "ingest/sha256-"+b.Digest.Hex()+".lock", true, func() {
		p.Status = PullWaiting
		f.report(p)
	})
	if err != nil {
		return err
	}
	defer unlock()
	if ok, err := f.store.hasBlob(b.Digest); err != nil || ok {
		if ok { // the process we waited for fetched it
			p.Status, p.Bytes = PullCached, b.Size
			f.report(p)
		}
		return err
	}
	if err := f.download(ctx, b, &p); err != nil {
		p.Status, p.Err = PullFailed, err
		f.report(p)
		return err
	}
	p.Status, p.Bytes = PullDone, b.Size
	f.report(p)
	return nil
}

// download fetches b into its partial download file, continuing from what
// an earlier download left there, verifies it and moves it into the
// store. A partial download whose bytes turn out wrong is discarded, and
// the blob fetched once more from its start.
func (f *fetcher) download(ctx context.Context, b blobRef, p *PullProgress) error {
	file, err := os.OpenFile(f.store.ingestPath(b.Digest), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("blob %s: %w", b.Digest, err)
	}
	defer file.Close()
	for attempt := 0; ; attempt++ {
		h := sha256.New()
		have, err := resumeFrom(file, h, b.Size)
		if err != nil {
			return fmt.Errorf("blob %s: reading its partial download: %w", b.Digest, err)
		}
		p.Resumed, p.Bytes = have, have
		if err := f.fill(ctx, file, h, b, p); err != nil {
			return err
		}
		p.Status = PullVerifying
		f.report(*p)
		got := Digest("sha256:" + hex.EncodeToString(h.Sum(nil)))
		if got == b.Digest {
			break
		}
		// The bytes are wrong: keeping them would fail every resume.
		if p.Resumed == 0 || attempt > 0 {
			file.Close()
			os.Remove(file.Name())
			from := p.Source
			switch {
			case from != "":
			case b.Size == 0:
				from = "its descriptor (size 0, nothing to download)"
			default:
				from = "an earlier, interrupted download"
			}
			return fmt.Errorf("blob %s from %s: %w: got %s", b.Digest, from, ErrDigestMismatch, got)
		}
		if err := discard(file); err != nil {
			return fmt.Errorf("blob %s: %w", b.Digest, err)
		}
	}
	if err := file.Sync(); err != nil {
		return fmt.Errorf("blob %s: %w", b.Digest, err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("blob %s: %w", b.Digest, err)
	}
	if err := os.Rename(file.Name(), f.store.blobPath(b.Digest)); err != nil {
		return fmt.Errorf("blob %s: %w", b.Digest, err)
	}
	return atomicfile.SyncDir(filepath.Dir(f.store.blobPath(b.Digest)))
}

// resumeFrom hashes the partial download in file, leaving the file's
// offset at its end, and returns its size; one longer than the blob is
// discarded.
func resumeFrom(file *os.File, h hash.Hash, size int64) (int64, error) {
	st, err := file.Stat()
	if err != nil {
		return 0, err
	}
	have := st.Size()
	if have > size {
		return 0, discard(file)
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	if _, err := io.CopyN(h, file, have); err != nil {
		return 0, err
	}
	return have, nil
}

// discard empties a partial download.
func discard(file *os.File) error {
	if err := file.Truncate(0); err != nil {
		return err
	}
	_, err := file.Seek(0, io.SeekStart)
	return err
}

// fill downloads the rest of b into file, from its allowed foreign URLs
// and then its registry, each tried triesPerSource times, each try resuming where
// the last stopped.
func (f *fetcher) fill(ctx context.Context, file *os.File, h hash.Hash, b blobRef, p *PullProgress) error {
	srcs, refused := f.sources(b)
	var errs []error
	for _, src := range srcs {
		for try := 0; try < triesPerSource && p.Bytes < b.Size; try++ {
			p.Source = src.url
			err := f.get(ctx, src, file, h, b, p)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return fmt.Errorf("blob %s: %w", b.Digest, ctx.Err())
			}
			errs = append(errs, err)
			var fatal *fatalError
			if errors.As(err, &fatal) {
				break
			}
		}
		if p.Bytes == b.Size {
			return nil
		}
	}
	if b.Size == 0 && len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("blob %s: %w", b.Digest, errors.Join(append(refused, errs...)...))
}

// source is a URL to download a blob from, with the client for it.
type source struct {
	url    string
	client *http.Client
}

// sources lists where b can come from: those of a foreign layer's URLs
// that f.allow allows, then its registry; and why the others were
// refused.
func (f *fetcher) sources(b blobRef) ([]source, []error) {
	var out []source
	var refused []error
	for _, u := range b.URLs {
		pu, err := url.Parse(u)
		switch {
		case err != nil:
			refused = append(refused, fmt.Errorf("foreign URL: %w", err))
		case !f.allow(pu):
			refused = append(refused, fmt.Errorf("foreign URL %s: refused by PullOptions.ForeignURLs (hcs pull --allow-foreign-host allows its host)", pu.Redacted()))
		default:
			out = append(out, source{u, f.plain})
		}
	}
	reg := f.repo.Registry
	return append(out, source{
		fmt.Sprintf("%s://%s/v2/%s/blobs/%s", reg.Scheme(), reg.RegistryStr(), f.repo.RepositoryStr(), b.Digest),
		f.registry,
	}), refused
}

// noDowngrade is the CheckRedirect of foreign URLs: it follows up to ten
// redirects, none from https to plain http.
func noDowngrade(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("refusing the redirect from https to %s", req.URL.Redacted())
	}
	return nil
}

// fatalError is a failure that trying the same source again cannot fix.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

// get makes one request for the rest of b and appends what comes to file
// and h, updating p.Bytes. A server that ignores the range starts the
// file over.
func (f *fetcher) get(ctx context.Context, src source, file *os.File, h hash.Hash, b blobRef, p *PullProgress) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.url, nil)
	if err != nil {
		return &fatalError{fmt.Errorf("GET %s: %w", src.url, err)}
	}
	if p.Bytes > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", p.Bytes, b.Size-1))
	}
	resp, err := src.client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", src.url, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusPartialContent:
		if start, ok := rangeStart(resp.Header.Get("Content-Range")); !ok || start != p.Bytes {
			return &fatalError{fmt.Errorf("GET %s: asked for bytes from %d, got Content-Range %q", src.url, p.Bytes, resp.Header.Get("Content-Range"))}
		}
	case http.StatusOK:
		if p.Bytes > 0 { // the server ignored the range: start over
			if err := discard(file); err != nil {
				return &fatalError{err}
			}
			h.Reset()
			p.Bytes, p.Resumed = 0, 0
		}
	case http.StatusRequestedRangeNotSatisfiable:
		// The server cannot resume: start over on the next try.
		err := fmt.Errorf("GET %s: %s for bytes from %d", src.url, resp.Status, p.Bytes)
		if derr := discard(file); derr != nil {
			return &fatalError{derr}
		}
		h.Reset()
		p.Bytes, p.Resumed = 0, 0
		return err
	default:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		err := fmt.Errorf("GET %s: %s: %s", src.url, resp.Status, strings.TrimSpace(string(body)))
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			return err
		}
		return &fatalError{err}
	}
	p.Status = PullDownloading
	f.report(*p)
	// Read one byte more than the blob has left, to catch a longer body.
	left := b.Size - p.Bytes
	buf := make([]byte, 32<<10)
	var sinceReport int64
	var n int64
	for n <= left {
		k, rerr := resp.Body.Read(buf[:min(int64(len(buf)), left+1-n)])
		if k > 0 {
			if n+int64(k) > left {
				_ = discard(file) // wrong bytes either way; the next try starts over
				h.Reset()
				p.Bytes, p.Resumed = 0, 0
				return &fatalError{fmt.Errorf("GET %s: more bytes than the blob's %d: %w", src.url, b.Size, ErrDigestMismatch)}
			}
			if _, err := file.Write(buf[:k]); err != nil {
				return &fatalError{fmt.Errorf("blob %s: %w", b.Digest, err)}
			}
			h.Write(buf[:k])
			n += int64(k)
			p.Bytes += int64(k)
			if sinceReport += int64(k); sinceReport >= reportEvery {
				sinceReport = 0
				f.report(*p)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("GET %s: after %d bytes: %w", src.url, p.Bytes, rerr)
		}
	}
	if p.Bytes < b.Size {
		return fmt.Errorf("GET %s: the body ended after %d of %d bytes: %w", src.url, p.Bytes, b.Size, io.ErrUnexpectedEOF)
	}
	return nil
}

// rangeStart parses the first byte of "bytes START-END/SIZE".
func rangeStart(cr string) (int64, bool) {
	rest, ok := strings.CutPrefix(cr, "bytes ")
	if !ok {
		return 0, false
	}
	start, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(start, 10, 64)
	return n, err == nil
}
