package images

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
)

// Removed says what Remove did.
type Removed struct {
	// Ref is the reference removed from the catalog; Digest its manifest.
	Ref    string
	Digest Digest
	// Deleted are the blobs deleted: the image's own, which no other
	// image uses. Freed is their total size.
	Deleted []Digest
	Freed   int64
}

// Remove removes the image ref (a reference, a manifest digest or its
// leading hex digits, as Get takes them) from the catalog, then deletes
// its blobs that no other image of the store uses. It waits for the pulls
// in progress, in any process, to finish first, until ctx ends.
//
// It fails with ErrNotFound, with ErrAmbiguous for a digest that several
// references name (remove them by reference), and when the manifest of the
// image or of another image cannot be read: nothing is removed then, since
// what the others use is not known.
func (s *Store) Remove(ctx context.Context, ref string) (*Removed, error) {
	unlock, err := s.lock(ctx, "gc.lock", true, nil)
	if err != nil {
		return nil, fmt.Errorf("images: removing %s: %w", ref, err)
	}
	defer unlock()
	var (
		gone *Image
		used = map[Digest]bool{}
	)
	err = s.updateCatalog(ctx, func(c *catalog) error {
		r, err := c.lookup(ref)
		if err != nil {
			return err
		}
		if norm, _ := normalize(ref); norm != r.Ref {
			n := 0
			for _, o := range c.Images {
				if o.Digest == r.Digest {
					n++
				}
			}
			if n > 1 {
				return fmt.Errorf("images: %s: %w: %d references name it; remove them by reference", ref, ErrAmbiguous, n)
			}
		}
		if gone, err = s.image(r); err != nil {
			return err
		}
		c.Images = slices.DeleteFunc(c.Images, func(o record) bool { return o.Ref == r.Ref })
		for _, o := range c.Images {
			im, err := s.image(o)
			if err != nil {
				return fmt.Errorf("%w (no blob of %s was deleted)", err, ref)
			}
			for _, d := range blobsOf(im) {
				used[d.Digest] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rm := &Removed{Ref: gone.Ref, Digest: gone.Digest}
	var errs []error
	for _, b := range blobsOf(gone) {
		if used[b.Digest] || slices.Contains(rm.Deleted, b.Digest) {
			continue
		}
		st, err := os.Stat(s.blobPath(b.Digest))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil {
			err = os.Remove(s.blobPath(b.Digest))
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rm.Deleted = append(rm.Deleted, b.Digest)
		rm.Freed += st.Size()
		// Nobody pulls now: the blob's download lock and any partial
		// download can go too.
		os.Remove(s.ingestPath(b.Digest) + ".lock")
		os.Remove(s.ingestPath(b.Digest))
	}
	if len(errs) > 0 {
		return rm, fmt.Errorf("images: removing %s: the image is gone, but deleting its blobs failed: %w", ref, errors.Join(errs...))
	}
	return rm, nil
}

// blobsOf lists an image's blobs: manifest, index, config, layers.
func blobsOf(im *Image) []Blob {
	out := []Blob{{Digest: im.Digest}, im.Config}
	if im.Index != "" {
		out = append(out, Blob{Digest: im.Index})
	}
	for _, l := range im.Layers {
		out = append(out, l.Blob)
	}
	return out
}
