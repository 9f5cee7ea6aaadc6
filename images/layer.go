package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"

	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// OpenLayer opens the layer l of an image of the store as its
// uncompressed tar (gzip and zstd layers are decompressed as read), for
// package layertar to translate.
//
// Reading verifies the layer twice: the blob's bytes against its digest
// (the store may have been damaged since the pull), the tar against its
// DiffID. At the end of the tar, Read returns an error wrapping
// ErrDigestMismatch instead of io.EOF when either differs: read to io.EOF
// before trusting anything made from the layer (layertar.Translate does).
// A blob found damaged is deleted from the store when the layer is
// closed, so that the next Pull of its image downloads it again.
// OpenLayer fails when the blob is not in the store or its media type is
// not a layer's, and when ctx ends while it waits for a Remove in
// progress. Until the layer is closed, Remove waits (in this process too:
// close the layer before removing its image). Close closes the file.
func (s *Store) OpenLayer(ctx context.Context, l Layer) (_ io.ReadCloser, err error) {
	if _, err := ParseDigest(string(l.Digest)); err != nil {
		return nil, err
	}
	if _, err := ParseDigest(string(l.DiffID)); err != nil {
		return nil, err
	}
	unlock, err := s.lock(ctx, "gc.lock", false, nil)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			unlock()
		}
	}()
	f, err := os.Open(s.blobPath(l.Digest))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("images: layer %s is not in the store (pull its image again): %w", l.Digest, err)
	}
	if err != nil {
		return nil, fmt.Errorf("images: layer %s: %w", l.Digest, err)
	}
	r := &layerReader{f: f, path: s.blobPath(l.Digest), l: l, unlock: unlock, blobHash: sha256.New(), diffHash: sha256.New()}
	tee := io.TeeReader(f, r.blobHash)
	switch types.MediaType(l.MediaType) {
	case types.DockerLayer, types.DockerForeignLayer, types.OCILayer, types.OCIRestrictedLayer:
		gz, err := gzip.NewReader(tee)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("images: layer %s: %w", l.Digest, err)
		}
		r.tar, r.close = gz, gz.Close
	case types.OCILayerZStd:
		zr, err := zstd.NewReader(tee)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("images: layer %s: %w", l.Digest, err)
		}
		r.tar, r.close = zr, func() error { zr.Close(); return nil }
	case types.DockerUncompressedLayer, types.OCIUncompressedLayer, types.OCIUncompressedRestrictedLayer:
		r.tar = tee
	default:
		f.Close()
		return nil, fmt.Errorf("images: layer %s: media type %q is not a layer tar", l.Digest, l.MediaType)
	}
	return r, nil
}

// layerReader decompresses a layer blob and verifies both its digests.
type layerReader struct {
	f        *os.File
	path     string // the blob's file
	l        Layer
	unlock   func()    // releases gc.lock
	tar      io.Reader // the uncompressed tar
	close    func() error
	blobHash hash.Hash
	diffHash hash.Hash
	err      error // sticky, io.EOF once verified
	// damaged is set once the blob's bytes are found not to have its
	// digest: Close deletes it.
	damaged bool
}

func (r *layerReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.tar.Read(p)
	r.diffHash.Write(p[:n])
	switch {
	case err == io.EOF:
		r.err = r.verify()
		return n, r.err
	case err != nil:
		// A damaged blob breaks its decompression: say so if it is.
		if _, cerr := io.Copy(r.blobHash, r.f); cerr == nil {
			if got := "sha256:" + hex.EncodeToString(r.blobHash.Sum(nil)); got != string(r.l.Digest) {
				r.damaged = true
				r.err = fmt.Errorf("images: layer %s: %w: the store holds content of digest %s (the blob is deleted: pull the image again): %v", r.l.Digest, ErrDigestMismatch, got, err)
				return n, r.err
			}
		}
		r.err = fmt.Errorf("images: layer %s: %w", r.l.Digest, err)
		return n, r.err
	}
	return n, nil
}

// verify checks both digests once the tar has ended: the rest of the blob
// (bytes after the compressed stream) is hashed too.
func (r *layerReader) verify() error {
	if _, err := io.Copy(r.blobHash, r.f); err != nil {
		return fmt.Errorf("images: layer %s: %w", r.l.Digest, err)
	}
	if got := "sha256:" + hex.EncodeToString(r.blobHash.Sum(nil)); got != string(r.l.Digest) {
		r.damaged = true
		return fmt.Errorf("images: layer %s: %w: the store holds content of digest %s (the blob is deleted: pull the image again)", r.l.Digest, ErrDigestMismatch, got)
	}
	if got := "sha256:" + hex.EncodeToString(r.diffHash.Sum(nil)); got != string(r.l.DiffID) {
		return fmt.Errorf("images: layer %s: %w: its tar has digest %s, the image's config says %s", r.l.Digest, ErrDigestMismatch, got, r.l.DiffID)
	}
	return io.EOF
}

// checkBlob verifies the blob's digest when reading stopped before the
// end (its tar was refused, say): it hashes the rest of the file, without
// decompressing it. It returns an error wrapping ErrDigestMismatch, and
// has Close delete the blob, when the blob is damaged; nil when it is not,
// or when the reader has found either already.
func (r *layerReader) checkBlob() error {
	if r.err != nil {
		if r.damaged {
			return r.err
		}
		return nil
	}
	if _, err := io.Copy(r.blobHash, r.f); err != nil {
		return fmt.Errorf("images: layer %s: %w", r.l.Digest, err)
	}
	got := "sha256:" + hex.EncodeToString(r.blobHash.Sum(nil))
	if got == string(r.l.Digest) {
		r.err = fmt.Errorf("images: layer %s: read after its blob was verified", r.l.Digest)
		return nil
	}
	r.damaged = true
	r.err = fmt.Errorf("images: layer %s: %w: the store holds content of digest %s (the blob is deleted: pull the image again)", r.l.Digest, ErrDigestMismatch, got)
	return r.err
}

// Close closes the layer's file, deletes the blob if it was found
// damaged, and lets Remove go on. It is idempotent.
func (r *layerReader) Close() error {
	if r.f == nil {
		return nil
	}
	var err error
	if r.close != nil {
		err = r.close()
	}
	err = errors.Join(err, r.f.Close())
	if r.damaged {
		// Under gc.lock, shared: no Remove runs; a pull that finds the
		// blob missing downloads it again. Another reader may hold it
		// open (Windows then refuses): it finds the damage too.
		if rerr := os.Remove(r.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, fmt.Errorf("images: deleting the damaged blob %s: %w", r.l.Digest, rerr))
		}
	}
	r.f, r.err = nil, fmt.Errorf("images: layer %s: %w", r.l.Digest, os.ErrClosed)
	r.unlock()
	return err
}
