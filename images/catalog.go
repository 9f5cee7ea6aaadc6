package images

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gohcs/hcs/internal/atomicfile"
)

// catalogFormat names the catalog's format, for a later one to recognise.
const catalogFormat = "hcs-images/1"

// catalog is images.json: the images pulled.
type catalog struct {
	Format string   `json:"format"`
	Images []record `json:"images"`
}

// record is one image of the catalog.
type record struct {
	Ref    string    `json:"ref"`
	Digest Digest    `json:"digest"`          // the manifest
	Index  Digest    `json:"index,omitempty"` // the index the manifest was chosen from
	Pulled time.Time `json:"pulled"`
}

func (s *Store) catalogPath() string { return filepath.Join(s.dir, "images.json") }

// readCatalog reads the catalog; a store without one has no images.
func (s *Store) readCatalog() (*catalog, error) {
	b, err := os.ReadFile(s.catalogPath())
	if errors.Is(err, fs.ErrNotExist) {
		return &catalog{Format: catalogFormat}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("images: reading the catalog: %w", err)
	}
	var c catalog
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("images: the catalog %s is damaged (%v): remove it and pull again", s.catalogPath(), err)
	}
	if c.Format != catalogFormat {
		return nil, fmt.Errorf("images: the catalog %s has format %q; this version reads %q", s.catalogPath(), c.Format, catalogFormat)
	}
	for _, r := range c.Images {
		if _, err := ParseDigest(string(r.Digest)); err != nil || r.Ref == "" {
			return nil, fmt.Errorf("images: the catalog %s is damaged (image %q, digest %q): remove it and pull again", s.catalogPath(), r.Ref, r.Digest)
		}
	}
	return &c, nil
}

// readCatalogShared reads the catalog for List and Get. It locks gc.lock
// shared, until the returned function unlocks it, so that Remove deletes no
// blob of it meanwhile; and it reads the catalog under its own lock,
// shared: on Windows a file open for reading cannot be renamed over.
func (s *Store) readCatalogShared(ctx context.Context) (*catalog, func(), error) {
	unlockGC, err := s.lock(ctx, "gc.lock", false, nil)
	if err != nil {
		return nil, nil, err
	}
	unlock, err := s.lock(ctx, "images.lock", false, nil)
	if err != nil {
		unlockGC()
		return nil, nil, err
	}
	c, err := s.readCatalog()
	unlock()
	if err != nil {
		unlockGC()
		return nil, nil, err
	}
	return c, unlockGC, nil
}

// updateCatalog changes the catalog with fn under its lock, and writes it
// back atomically if fn succeeds.
func (s *Store) updateCatalog(ctx context.Context, fn func(*catalog) error) error {
	unlock, err := s.lock(ctx, "images.lock", true, nil)
	if err != nil {
		return err
	}
	defer unlock()
	c, err := s.readCatalog()
	if err != nil {
		return err
	}
	if err := fn(c); err != nil {
		return err
	}
	slices.SortFunc(c.Images, func(a, b record) int { return strings.Compare(a.Ref, b.Ref) })
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(s.catalogPath(), append(b, '\n')); err != nil {
		return fmt.Errorf("images: writing the catalog: %w", err)
	}
	return nil
}

// lookup returns the record ref names: a reference, normalised as Pull
// stores it ("nanoserver:ltsc2022" is docker.io's library/nanoserver), or
// a manifest digest, or at least 4 leading hex digits of one that no
// other image shares.
func (c *catalog) lookup(ref string) (record, error) {
	if norm, err := normalize(ref); err == nil {
		for _, r := range c.Images {
			if r.Ref == norm {
				return r, nil
			}
		}
	}
	hexPart := strings.TrimPrefix(ref, "sha256:")
	if len(hexPart) >= 4 && strings.Trim(hexPart, "0123456789abcdef") == "" {
		var found []record
		for _, r := range c.Images {
			if strings.HasPrefix(r.Digest.Hex(), hexPart) {
				found = append(found, r)
			}
		}
		switch {
		case len(found) == 1:
			return found[0], nil
		case len(found) > 1 && allSame(found):
			return found[0], nil
		case len(found) > 1:
			return record{}, fmt.Errorf("images: %s: %w: it names %d images; give the reference", ref, ErrAmbiguous, len(found))
		}
	}
	return record{}, fmt.Errorf("images: %s: %w", ref, ErrNotFound)
}

func allSame(rs []record) bool {
	for _, r := range rs {
		if r.Digest != rs[0].Digest {
			return false
		}
	}
	return true
}

// Errors of the store's lookups.
var (
	ErrNotFound  = errors.New("no such image in the store")
	ErrAmbiguous = errors.New("ambiguous image id")
)
