package images

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gohcs/hcs/internal/atomicfile"
	"github.com/gohcs/hcs/internal/filelock"
)

// Store is a content store on disk: blobs (layers, configs, manifests and
// indexes) by digest, and a catalog of the images pulled, by reference.
// Its folder holds
//
//	blobs/sha256/HEX         verified blobs, each named by its digest
//	ingest/sha256-HEX        partial downloads, resumed by the next pull
//	ingest/sha256-HEX.lock   held by the process downloading the blob
//	images.json              the catalog (images.lock guards it)
//	gc.lock                  shared by pulls, exclusive while removing or pruning
//
// A blob enters blobs/ only once its digest is verified, by a rename after
// an fsync; the catalog is replaced the same way after every blob of an
// image is in place. So a pull that is interrupted, or that fails a
// verification, leaves nothing a later one would trust: at most a partial
// download in ingest/, which is verified as a whole once complete, and
// blobs no image uses, which Store.Prune deletes.
//
// Several processes may use one store at once: two pulls of the same image
// download each blob once (the second waits for the first's blob lock),
// and Remove waits for what reads blobs — pulls, Unpack, List, Get and the
// layers OpenLayer opened, in any process, this one included. Locks are
// taken in one order (gc.lock, a blob's or an unpacked layer's lock,
// images.lock), so they cannot deadlock each other. Store holds no open
// files between calls (but the locks of an Unpacked, until it is closed);
// it is safe for concurrent use.
type Store struct {
	dir string
}

// Open returns the store in dir, creating the folder and its layout if
// they do not exist.
func Open(dir string) (*Store, error) {
	for _, d := range []string{dir, filepath.Join(dir, "blobs", "sha256"), filepath.Join(dir, "ingest")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("images: opening the store: %w", err)
		}
	}
	return &Store{dir: dir}, nil
}

// Dir returns the store's folder.
func (s *Store) Dir() string { return s.dir }

// blobPath returns where the verified blob d lives.
func (s *Store) blobPath(d Digest) string {
	return filepath.Join(s.dir, "blobs", "sha256", d.Hex())
}

// ingestPath returns the partial download of d.
func (s *Store) ingestPath(d Digest) string {
	return filepath.Join(s.dir, "ingest", "sha256-"+d.Hex())
}

// hasBlob reports whether the verified blob d is in the store.
func (s *Store) hasBlob(d Digest) (bool, error) {
	_, err := os.Stat(s.blobPath(d))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("images: blob %s: %w", d, err)
}

// readBlob reads the blob d, checking its digest: a small blob
// (manifest, index, config) that is read whole.
func (s *Store) readBlob(d Digest) ([]byte, error) {
	b, err := os.ReadFile(s.blobPath(d))
	if err != nil {
		return nil, fmt.Errorf("images: blob %s: %w", d, err)
	}
	if got := digestOf(b); got != d {
		return nil, fmt.Errorf("images: blob %s: %w: the store holds content of digest %s", d, ErrDigestMismatch, got)
	}
	return b, nil
}

// putBlob stores b, whose digest the caller verified, as the blob d,
// under the blob's lock, unless another pull stored it first: a blob is
// written once and never replaced (on Windows a file another process
// reads cannot be renamed over).
func (s *Store) putBlob(ctx context.Context, d Digest, b []byte) error {
	unlock, err := s.lock(ctx, "ingest/sha256-"+d.Hex()+".lock", true, nil)
	if err != nil {
		return err
	}
	defer unlock()
	if has, err := s.hasBlob(d); err != nil || has {
		return err
	}
	if err := atomicfile.Write(s.blobPath(d), b); err != nil {
		return fmt.Errorf("images: storing blob %s: %w", d, err)
	}
	return nil
}

// lock locks the lock file name of the store, exclusively or shared, until
// ctx ends; waiting is called once if that takes long. The returned
// function unlocks it.
func (s *Store) lock(ctx context.Context, name string, exclusive bool, waiting func()) (func(), error) {
	f, err := os.OpenFile(filepath.Join(s.dir, name), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("images: locking the store: %w", err)
	}
	if err := filelock.Lock(ctx, f, exclusive, waiting); err != nil {
		f.Close()
		return nil, fmt.Errorf("images: locking %s: %w", f.Name(), err)
	}
	return func() {
		_ = filelock.Unlock(f)
		f.Close()
	}, nil
}
