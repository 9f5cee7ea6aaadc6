package images

import (
	"strings"
	"testing"
)

// Fuzz targets for what registries send: manifests and configs (checked by
// parseImage over go-containerregistry's parsers) and os.version strings.
// make fuzz runs each for FUZZTIME.

const (
	seedManifest = `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",` +
		`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:` + zeros + `"},` +
		`"layers":[{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","size":5,"digest":"sha256:` + zeros + `","urls":["https://x/y"]}]}`
	seedConfig = `{"os":"windows","architecture":"amd64","os.version":"10.0.20348.2582","rootfs":{"type":"layers","diff_ids":["sha256:` + zeros + `"]}}`
)

func FuzzParseImage(f *testing.F) {
	f.Add([]byte(seedManifest), []byte(seedConfig))
	f.Add([]byte(`{"layers":[]}`), []byte(`{}`))
	f.Fuzz(func(t *testing.T, manifest, config []byte) {
		m, c, err := parseImage(manifest, config)
		if err != nil {
			return
		}
		im := newImage(record{Ref: "r", Digest: Digest("sha256:" + zeros)}, m, c)
		if len(im.Layers) == 0 || len(im.ChainIDs()) != len(im.Layers) {
			t.Fatalf("image with %d layers, %d chain ids", len(im.Layers), len(im.ChainIDs()))
		}
		for _, l := range im.Layers {
			if _, err := ParseDigest(string(l.Digest)); err != nil {
				t.Fatal(err)
			}
			if _, err := ParseDigest(string(l.DiffID)); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzParseOSVersion(f *testing.F) {
	for _, s := range []string{"10.0.20348.2582", "10.0.17763", "1.2", "4294967295.0.0.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseOSVersion(s)
		if err != nil {
			return
		}
		back, err := ParseOSVersion(v.String())
		if err != nil || back != v {
			t.Fatalf("%q: %v, round trip %v %v", s, v, back, err)
		}
		if strings.Count(v.String(), ".") < 2 {
			t.Fatalf("%q: %s", s, v)
		}
		_ = v.CanRun(v)
	})
}
