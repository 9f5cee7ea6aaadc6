package images

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gohcs/hcs/internal/atomicfile"
)

// Pruned says what Prune did.
type Pruned struct {
	// Deleted are the verified blobs deleted: those no image of the
	// catalog uses.
	Deleted []Digest
	// Partial are the blobs whose partial downloads were deleted.
	Partial []Digest
	// Freed is the total size of what was deleted.
	Freed int64
}

// PruneOptions are the options of Prune.
type PruneOptions struct {
	// KeepPartial keeps the partial downloads of interrupted pulls, which
	// the next pull of their image resumes; without it, Prune deletes
	// them too.
	KeepPartial bool
	// Waiting, when set, is called once if Prune has waited a second for
	// the pulls and unpackings in progress.
	Waiting func()
}

// Prune deletes the blobs no image of the catalog uses — what an
// interrupted or failed pull downloaded, the old manifest and layers of a
// reference pulled again after it moved, what a Remove that failed half
// way left — and, unless opts.KeepPartial, the partial downloads of
// interrupted pulls. Remove already deletes an image's own blobs; Prune
// finds the rest, as docker image prune and crane's garbage collection
// do. It leaves layer folders alone (Remove destroys those).
//
// Prune waits, as Remove does, for the pulls and unpackings in progress,
// in any process, to finish first, until ctx ends; a pull that starts
// meanwhile waits for Prune. It fails when the catalog or the manifest or
// config of one of its images cannot be read, deleting nothing then
// (remove that image, or pull it again); when deleting a file fails it
// goes on with the others, and the error names what is left, the Pruned
// returned saying what was done.
func (s *Store) Prune(ctx context.Context, opts PruneOptions) (*Pruned, error) {
	unlock, err := s.lock(ctx, "gc.lock", true, opts.Waiting)
	if err != nil {
		return nil, fmt.Errorf("images: pruning: %w", err)
	}
	defer unlock()
	// Nobody changes the catalog now (gc.lock); its own lock keeps it
	// from being renamed over while it is read, on Windows.
	unlockCat, err := s.lock(ctx, "images.lock", false, nil)
	if err != nil {
		return nil, fmt.Errorf("images: pruning: %w", err)
	}
	c, err := s.readCatalog()
	unlockCat()
	if err != nil {
		return nil, fmt.Errorf("images: pruning: %w", err)
	}
	used := map[Digest]bool{}
	for _, r := range c.Images {
		im, err := s.image(r)
		if err != nil {
			return nil, fmt.Errorf("images: pruning: %w (nothing was pruned)", err)
		}
		for _, b := range blobsOf(im) {
			used[b.Digest] = true
		}
	}
	pr := &Pruned{}
	var errs []error
	blobs := filepath.Join(s.dir, "blobs", "sha256")
	ents, err := os.ReadDir(blobs)
	if err != nil {
		return nil, fmt.Errorf("images: pruning: %w", err)
	}
	for _, e := range ents {
		name := e.Name()
		if atomicfile.IsTemp(name) {
			// A write that crashed before its rename.
			if n, err := removeFile(filepath.Join(blobs, name)); err != nil {
				errs = append(errs, err)
			} else {
				pr.Freed += n
			}
			continue
		}
		d, err := ParseDigest("sha256:" + name)
		if err != nil || used[d] {
			continue // not a blob of the store's: leave it
		}
		n, err := removeFile(s.blobPath(d))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pr.Deleted = append(pr.Deleted, d)
		pr.Freed += n
		os.Remove(s.ingestPath(d) + ".lock") // nobody pulls now (gc.lock)
	}
	if !opts.KeepPartial {
		if err := s.prunePartial(pr); err != nil {
			errs = append(errs, err)
		}
	}
	slices.Sort(pr.Deleted)
	if len(errs) > 0 {
		return pr, fmt.Errorf("images: pruning: %w", errors.Join(errs...))
	}
	return pr, nil
}

// prunePartial deletes the partial downloads in ingest/, and their locks.
func (s *Store) prunePartial(pr *Pruned) error {
	ingest := filepath.Join(s.dir, "ingest")
	ents, err := os.ReadDir(ingest)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range ents {
		hex, ok := strings.CutPrefix(e.Name(), "sha256-")
		if !ok || strings.HasSuffix(hex, ".lock") {
			continue
		}
		d, err := ParseDigest("sha256:" + hex)
		if err != nil {
			continue
		}
		n, err := removeFile(s.ingestPath(d))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pr.Partial = append(pr.Partial, d)
		pr.Freed += n
		os.Remove(s.ingestPath(d) + ".lock")
	}
	return errors.Join(errs...)
}

// removeFile deletes the file path and returns its size; one already gone
// counts 0.
func removeFile(path string) (int64, error) {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err == nil {
		err = os.Remove(path)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, nil
	case err != nil:
		return 0, err
	}
	return st.Size(), nil
}
