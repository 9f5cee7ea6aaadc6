package images

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Digest is a content digest, "sha256:" and 64 lowercase hex digits: how
// registries and the store name blobs.
type Digest string

// ParseDigest checks s and returns it as a Digest. Only sha256, the
// algorithm registries use, is accepted.
func ParseDigest(s string) (Digest, error) {
	hexPart, ok := strings.CutPrefix(s, "sha256:")
	if !ok {
		return "", fmt.Errorf("images: digest %q: want sha256:<64 hex digits>", s)
	}
	if len(hexPart) != 64 || strings.Trim(hexPart, "0123456789abcdef") != "" {
		return "", fmt.Errorf("images: digest %q: want sha256:<64 lowercase hex digits>", s)
	}
	return Digest(s), nil
}

// digestOf returns the digest of b.
func digestOf(b []byte) Digest {
	sum := sha256.Sum256(b)
	return Digest("sha256:" + hex.EncodeToString(sum[:]))
}

// Hex returns the digest's hex digits.
func (d Digest) Hex() string { return strings.TrimPrefix(string(d), "sha256:") }

// Short returns the first 12 hex digits, as docker shows ids.
func (d Digest) Short() string {
	h := d.Hex()
	return h[:min(12, len(h))]
}

// String returns d.
func (d Digest) String() string { return string(d) }
