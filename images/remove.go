package images

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/gohcs/hcs/internal/filelock"
	"github.com/gohcs/hcs/layers"
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
	// Layers are the layer folders destroyed (see RemoveOptions).
	Layers []string
}

// RemoveOptions are the options of Remove.
type RemoveOptions struct {
	// Layers and Root are the layer service and the folder that Unpack
	// unpacked the store's images into. When they are set, Remove also
	// destroys the image's layer folders there that no other image of the
	// store uses, and refuses to remove the image while one of them is
	// held by an Unpacked, in any process. Without them, Remove leaves
	// layer folders alone.
	Layers *layers.Host
	Root   string
	// Waiting, when set, is called once if Remove has waited a second for
	// the pulls and unpackings in progress.
	Waiting func()
}

// ErrInUse is wrapped by Remove's error for an image whose layer folders
// are held (see RemoveOptions): a container runs on them.
var ErrInUse = errors.New("image in use")

// Remove removes the image ref (a reference, a manifest digest or its
// leading hex digits, as Get takes them) from the catalog, then deletes
// its blobs that no other image of the store uses and, with
// opts.Layers and opts.Root, destroys its layer folders that no other
// image uses (see Unpack): their markers first, so that nothing half
// destroyed is trusted. It waits for the pulls and unpackings in
// progress, in any process, to finish first, until ctx ends.
//
// It fails with ErrNotFound, with ErrAmbiguous for a digest that several
// references name (remove them by reference), with ErrInUse when a layer
// folder it would destroy is held (an Unpacked not closed: a container
// runs on it), and when the manifest of the image or of another image
// cannot be read: nothing is removed then. When deleting a blob or
// destroying a layer folder fails, the image is gone from the catalog and
// the error says what is left; the Removed returned says what was done.
func (s *Store) Remove(ctx context.Context, ref string, opts RemoveOptions) (*Removed, error) {
	if (opts.Layers == nil) != (opts.Root == "") {
		return nil, fmt.Errorf("images: removing %s: RemoveOptions needs both Layers and Root, or neither", ref)
	}
	root := opts.Root
	if root != "" {
		var err error
		if root, err = filepath.Abs(root); err != nil {
			return nil, fmt.Errorf("images: removing %s: %w", ref, err)
		}
	}
	unlock, err := s.lock(ctx, "gc.lock", true, opts.Waiting)
	if err != nil {
		return nil, fmt.Errorf("images: removing %s: %w", ref, err)
	}
	defer unlock()
	var (
		gone *Image
		used = map[Digest]bool{}
		held []heldLayer // the layer folders to destroy, top first, locked
	)
	defer func() {
		for _, h := range held {
			h.release()
		}
	}()
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
		usedChains := map[Digest]bool{}
		for _, o := range c.Images {
			im, err := s.image(o)
			if err != nil {
				return fmt.Errorf("%w (no blob of %s was deleted)", err, ref)
			}
			for _, d := range blobsOf(im) {
				used[d.Digest] = true
			}
			for _, d := range im.ChainIDs() {
				usedChains[d] = true
			}
		}
		if opts.Layers == nil {
			return nil
		}
		held, err = holdLayers(root, gone, usedChains)
		if err != nil {
			return fmt.Errorf("images: %s: %w", ref, err)
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
	for _, h := range held {
		err := discardLayer(ctx, opts.Layers, h.p)
		h.release()
		if err != nil {
			errs = append(errs, fmt.Errorf("destroying the layer folder %s: %w", h.p.dir, err))
			continue
		}
		rm.Layers = append(rm.Layers, h.p.dir)
		// Nobody unpacks now (gc.lock), and nobody holds the layer.
		os.Remove(h.p.useLock)
		os.Remove(h.p.unpackLock)
	}
	held = nil
	if len(errs) > 0 {
		return rm, fmt.Errorf("images: removing %s: the image is gone, but deleting what it had failed: %w", ref, errors.Join(errs...))
	}
	return rm, nil
}

// heldLayer is a layer folder Remove destroys, its use lock held
// exclusively.
type heldLayer struct {
	p    layerPaths
	lock *os.File
}

// release lets the layer's use lock go; it is idempotent.
func (h *heldLayer) release() {
	if h.lock != nil {
		_ = filelock.Unlock(h.lock)
		h.lock.Close()
		h.lock = nil
	}
}

// holdLayers locks, exclusively, the use locks of the layer folders of
// im in root that no other image uses (usedChains), top first, and
// returns them. It fails, having locked none, with ErrInUse for a layer
// an Unpacked holds. Layers that are not unpacked in root are left out.
func holdLayers(root string, im *Image, usedChains map[Digest]bool) ([]heldLayer, error) {
	var held []heldLayer
	chain := im.ChainIDs()
	for i := len(chain) - 1; i >= 0; i-- {
		if usedChains[chain[i]] {
			continue
		}
		p := pathsOf(root, chain[i])
		if !anyExists(p.dir, p.done, p.staging) {
			continue
		}
		f, err := openLock(p.useLock)
		if err == nil {
			var ok bool
			if ok, err = filelock.TryLock(f, true); err == nil && !ok {
				err = fmt.Errorf("%w: its layer folder %s is held by a running container or an open Unpacked; stop the container first", ErrInUse, p.dir)
			}
			if err != nil {
				f.Close()
			}
		}
		if err != nil {
			for _, h := range held {
				h.release()
			}
			return nil, err
		}
		held = append(held, heldLayer{p: p, lock: f})
	}
	return held, nil
}

// anyExists reports whether one of paths exists.
func anyExists(paths ...string) bool {
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			return true
		}
	}
	return false
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
