package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Image is an image of the store.
type Image struct {
	// Ref is the reference it was pulled by, normalised: registry,
	// repository and tag or digest, such as
	// "mcr.microsoft.com/windows/nanoserver:ltsc2022".
	Ref string `json:"ref"`
	// Digest is its manifest's digest; Index, the digest of the index the
	// manifest was chosen from ("" when the reference names a manifest).
	Digest Digest `json:"digest"`
	Index  Digest `json:"index,omitempty"`
	// Platform is what its config says it runs on.
	Platform Platform `json:"platform"`
	Config   Blob     `json:"config"`
	// Layers are its layers, the base layer first.
	Layers []Layer `json:"layers"`
	// Created is when it was built, from its config (zero if not said).
	Created time.Time `json:"created,omitzero"`
	// Pulled is when it was last pulled.
	Pulled time.Time `json:"pulled"`
}

// Blob is a content-addressed blob of an image.
type Blob struct {
	Digest    Digest `json:"digest"`
	Size      int64  `json:"size"`
	MediaType string `json:"mediaType"`
}

// Layer is a layer of an image.
type Layer struct {
	Blob
	// DiffID is the digest of the layer's uncompressed tar.
	DiffID Digest `json:"diffID"`
	// URLs are where a foreign (non-distributable) layer is downloaded
	// from, rather than from its registry.
	URLs []string `json:"urls,omitempty"`
}

// Size returns the bytes the image's blobs take in the store: manifest
// aside, its config and its (compressed) layers.
func (im *Image) Size() int64 {
	n := im.Config.Size
	for _, l := range im.Layers {
		n += l.Size
	}
	return n
}

// ChainIDs returns the OCI chain id of each layer, base first: the digest
// that names a layer together with every layer below it (the base's is
// its DiffID; each next one is the sha256 of "PARENT DIFFID"). A Windows
// layer is imported on top of its parents, so the chain id, not the
// DiffID, is the key to import it once under.
func (im *Image) ChainIDs() []Digest {
	ids := make([]Digest, len(im.Layers))
	for i, l := range im.Layers {
		if i == 0 {
			ids[i] = l.DiffID
			continue
		}
		sum := sha256.Sum256([]byte(string(ids[i-1]) + " " + string(l.DiffID)))
		ids[i] = Digest("sha256:" + hex.EncodeToString(sum[:]))
	}
	return ids
}

// layerTypes are the media types of layers this package pulls: Windows
// layer tars, compressed or not, distributable or foreign.
var layerTypes = map[types.MediaType]bool{
	types.DockerLayer: true, types.DockerUncompressedLayer: true, types.DockerForeignLayer: true,
	types.OCILayer: true, types.OCIUncompressedLayer: true, types.OCILayerZStd: true,
	types.OCIRestrictedLayer: true, types.OCIUncompressedRestrictedLayer: true,
}

// parseImage reads an image's manifest and config, checking what Pull and
// the store rely on: layer media types, digests, and one DiffID per layer.
func parseImage(manifest, config []byte) (*v1.Manifest, *v1.ConfigFile, error) {
	m, err := v1.ParseManifest(bytes.NewReader(manifest))
	if err != nil {
		return nil, nil, fmt.Errorf("manifest: %w", err)
	}
	if len(m.Layers) == 0 {
		return nil, nil, fmt.Errorf("manifest has no layers")
	}
	for _, l := range m.Layers {
		if !layerTypes[l.MediaType] {
			return nil, nil, fmt.Errorf("manifest: layer %s has media type %q, not a layer tar", l.Digest, l.MediaType)
		}
		if _, err := ParseDigest(l.Digest.String()); err != nil {
			return nil, nil, fmt.Errorf("manifest: %w", err)
		}
		if l.Size < 0 {
			return nil, nil, fmt.Errorf("manifest: layer %s has size %d", l.Digest, l.Size)
		}
	}
	if _, err := ParseDigest(m.Config.Digest.String()); err != nil {
		return nil, nil, fmt.Errorf("manifest: config: %w", err)
	}
	if config == nil {
		return m, nil, nil
	}
	c, err := v1.ParseConfigFile(bytes.NewReader(config))
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	if len(c.RootFS.DiffIDs) != len(m.Layers) {
		return nil, nil, fmt.Errorf("config lists %d layer DiffIDs for the manifest's %d layers", len(c.RootFS.DiffIDs), len(m.Layers))
	}
	for _, d := range c.RootFS.DiffIDs {
		if _, err := ParseDigest(d.String()); err != nil {
			return nil, nil, fmt.Errorf("config: DiffID: %w", err)
		}
	}
	return m, c, nil
}

// image builds an Image from a catalog record, its manifest and config.
func (s *Store) image(r record) (*Image, error) {
	mb, err := s.readBlob(r.Digest)
	if err != nil {
		return nil, fmt.Errorf("images: %s: %w", r.Ref, err)
	}
	m, _, err := parseImage(mb, nil)
	if err != nil {
		return nil, fmt.Errorf("images: %s: %w", r.Ref, err)
	}
	cb, err := s.readBlob(Digest(m.Config.Digest.String()))
	if err != nil {
		return nil, fmt.Errorf("images: %s: %w", r.Ref, err)
	}
	m, c, err := parseImage(mb, cb)
	if err != nil {
		return nil, fmt.Errorf("images: %s: %w", r.Ref, err)
	}
	return newImage(r, m, c), nil
}

func newImage(r record, m *v1.Manifest, c *v1.ConfigFile) *Image {
	im := &Image{
		Ref: r.Ref, Digest: r.Digest, Index: r.Index, Pulled: r.Pulled,
		Platform: Platform{OS: c.OS, Architecture: c.Architecture, OSVersion: c.OSVersion},
		Config:   Blob{Digest: Digest(m.Config.Digest.String()), Size: m.Config.Size, MediaType: string(m.Config.MediaType)},
		Created:  c.Created.Time,
	}
	for i, l := range m.Layers {
		im.Layers = append(im.Layers, Layer{
			Blob:   Blob{Digest: Digest(l.Digest.String()), Size: l.Size, MediaType: string(l.MediaType)},
			DiffID: Digest(c.RootFS.DiffIDs[i].String()),
			URLs:   l.URLs,
		})
	}
	return im
}

// List returns the images of the store, by reference. It waits for a
// Remove in progress, until ctx ends. It fails when the catalog or a
// manifest or config of an image cannot be read.
func (s *Store) List(ctx context.Context) ([]Image, error) {
	c, unlock, err := s.readCatalogShared(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []Image
	for _, r := range c.Images {
		im, err := s.image(r)
		if err != nil {
			return nil, err
		}
		out = append(out, *im)
	}
	return out, nil
}

// Get returns the image ref names: a reference as pulled (normalised the
// same way: "nanoserver" is docker.io/library/nanoserver:latest), or its
// manifest digest, or 4 or more leading hex digits of it. It fails with
// ErrNotFound, or ErrAmbiguous for digits several images start with. It
// waits for a Remove in progress, until ctx ends.
func (s *Store) Get(ctx context.Context, ref string) (*Image, error) {
	c, unlock, err := s.readCatalogShared(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	r, err := c.lookup(ref)
	if err != nil {
		return nil, err
	}
	return s.image(r)
}
