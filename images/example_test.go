package images_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/gohcs/hcs/images"
	"github.com/gohcs/hcs/layers"
)

// Pull an image for this host, and list the store.
func Example() {
	ctx := context.Background()
	dir, err := os.UserCacheDir()
	if err != nil {
		log.Fatal(err)
	}
	store, err := images.Open(filepath.Join(dir, "example-images"))
	if err != nil {
		log.Fatal(err)
	}
	host := images.OSVersion{Major: 10, Minor: 0, Build: 20348} // ltsc2022, for the simulator
	if runtime.GOOS == "windows" {
		if host, err = images.HostOSVersion(); err != nil {
			log.Fatal(err)
		}
	}
	im, err := store.Pull(ctx, "mcr.microsoft.com/windows/nanoserver:ltsc2022", images.PullOptions{
		OSVersion: host,
		Progress: func(p images.PullProgress) {
			if p.Status == images.PullDone {
				fmt.Printf("%s %s: %d bytes\n", p.Kind, p.Digest.Short(), p.Size)
			}
		},
	})
	if err != nil {
		log.Fatal(err) // errors.Is(err, images.ErrNoMatch): nothing this host runs
	}
	fmt.Println(im.Ref, im.Platform, len(im.Layers), "layers")

	all, err := store.List(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, im := range all {
		fmt.Println(im.Ref, im.Digest.Short(), im.Size())
	}
}

// Which image builds a host runs with process isolation.
func ExampleOSVersion_CanRun() {
	win11, _ := images.ParseOSVersion("10.0.22631.4169")
	for _, image := range []string{"10.0.17763.6054", "10.0.20348.2582", "10.0.26100.1742"} {
		v, _ := images.ParseOSVersion(image)
		fmt.Printf("%s (%s): %v\n", v, v.Release(), win11.CanRun(v))
	}
	// Output:
	// 10.0.17763.6054 (ltsc2019): false
	// 10.0.20348.2582 (ltsc2022): true
	// 10.0.26100.1742 (ltsc2025): false
}

// Read a layer of a pulled image: its tar, decompressed, with both digests
// checked when the end is reached.
func ExampleStore_OpenLayer() {
	ctx := context.Background()
	store, err := images.Open(filepath.Join(os.TempDir(), "example-images"))
	if err != nil {
		log.Fatal(err)
	}
	im, err := store.Get(ctx, "mcr.microsoft.com/windows/nanoserver:ltsc2022")
	if err != nil {
		log.Fatal(err) // errors.Is(err, images.ErrNotFound): pull it first
	}
	for i, l := range im.Layers {
		tar, err := store.OpenLayer(ctx, l)
		if err != nil {
			log.Fatal(err)
		}
		n, err := io.Copy(io.Discard, tar) // layertar.Translate reads it to the end too
		tar.Close()
		if err != nil {
			log.Fatal(err) // errors.Is(err, images.ErrDigestMismatch): damaged; pull again
		}
		fmt.Printf("layer %d (chain %s): %d bytes of tar\n", i, im.ChainIDs()[i].Short(), n)
	}
}

// Unpack a pulled image into layer folders, and run a container on them.
func ExampleStore_Unpack() {
	ctx := context.Background()
	store, err := images.Open(filepath.Join(os.TempDir(), "example-images"))
	if err != nil {
		log.Fatal(err)
	}
	im, err := store.Get(ctx, "mcr.microsoft.com/windows/nanoserver:ltsc2022")
	if err != nil {
		log.Fatal(err) // errors.Is(err, images.ErrNotFound): pull it first
	}
	lh := layers.Local() // elevated, on Windows; sim.Layers() on the simulator
	root := filepath.Join(os.TempDir(), "example-layers")
	u, err := store.Unpack(ctx, im, lh, root, images.UnpackOptions{
		Progress: func(p images.UnpackProgress) {
			fmt.Printf("layer %d (%s): %s\n", p.Index, p.ChainID.Short(), p.Status)
		},
	})
	if err != nil {
		log.Fatal(err) // names the layer; nothing half-done is left
	}
	defer u.Close() // once the container is gone

	scratch := filepath.Join(os.TempDir(), "example-scratch")
	if err := lh.CreateScratch(ctx, scratch, u.Layers(), 0); err != nil {
		log.Fatal(err)
	}
	defer lh.Destroy(ctx, scratch)
	m, err := lh.Mount(ctx, scratch, u.Layers())
	if err != nil {
		log.Fatal(err)
	}
	defer m.Release(ctx)
	fmt.Println("container storage at", m.Volume()) // see package container for the document
}

// Remove an image, and the layer folders Unpack made of it that no other
// image uses.
func ExampleStore_Remove() {
	ctx := context.Background()
	store, err := images.Open(filepath.Join(os.TempDir(), "example-images"))
	if err != nil {
		log.Fatal(err)
	}
	rm, err := store.Remove(ctx, "mcr.microsoft.com/windows/nanoserver:ltsc2022", images.RemoveOptions{
		Layers: layers.Local(),
		Root:   filepath.Join(os.TempDir(), "example-layers"),
	})
	if errors.Is(err, images.ErrInUse) {
		log.Fatal("a container runs on it: stop it first")
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("removed %s: %d blobs, %d layer folders\n", rm.Ref, len(rm.Deleted), len(rm.Layers))
}

// Delete what no image uses: blobs of failed pulls and of references
// pulled again after they moved, and partial downloads.
func ExampleStore_Prune() {
	ctx := context.Background()
	store, err := images.Open(filepath.Join(os.TempDir(), "example-images"))
	if err != nil {
		log.Fatal(err)
	}
	pr, err := store.Prune(ctx, images.PruneOptions{
		Waiting: func() { log.Print("waiting for the pulls in progress") },
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("deleted %d blobs and %d partial downloads: %d bytes\n", len(pr.Deleted), len(pr.Partial), pr.Freed)
}

// Pull retrying a flaky registry's manifest requests more patiently than
// the default: eight retries, waiting a second more each time, or what
// the registry's Retry-After asks when it is under two minutes.
func ExampleDefaultBackoff() {
	opts := images.PullOptions{
		OSVersion: images.OSVersion{Major: 10, Minor: 0, Build: 20348},
		Retries:   8,
		Backoff: func(n int, retryAfter time.Duration) time.Duration {
			if retryAfter > 0 && retryAfter < 2*time.Minute {
				return retryAfter
			}
			if retryAfter > 0 {
				return -1 // give up
			}
			return time.Duration(n) * time.Second
		},
	}
	fmt.Println(opts.Backoff(3, 0), opts.Backoff(1, 30*time.Second), images.DefaultBackoff(1, time.Hour))
	// Output: 3s 30s -1ns
}

// Allow foreign layers from a mirror of the organisation's besides
// Microsoft's hosts, and from a plain-http test server.
func ExampleForeignHosts() {
	mirror := images.ForeignHosts("*.layers.example.com", "http://127.0.0.1:5000")
	opts := images.PullOptions{
		OSVersion: images.OSVersion{Major: 10, Minor: 0, Build: 20348},
		ForeignURLs: func(u *url.URL) bool {
			return images.DefaultForeignURL(u) || mirror(u)
		},
	}
	for _, s := range []string{
		"https://mcr.microsoft.com/v2/windows/servercore/blobs/sha256:31f9df80",
		"https://eu.layers.example.com/base.tar.gz",
		"http://127.0.0.1:5000/layers/base",
		"http://mcr.microsoft.com/v2/windows/servercore/blobs/sha256:31f9df80",
		"https://169.254.169.254/latest",
	} {
		u, _ := url.Parse(s)
		fmt.Println(opts.ForeignURLs(u), s)
	}
	// Output:
	// true https://mcr.microsoft.com/v2/windows/servercore/blobs/sha256:31f9df80
	// true https://eu.layers.example.com/base.tar.gz
	// true http://127.0.0.1:5000/layers/base
	// false http://mcr.microsoft.com/v2/windows/servercore/blobs/sha256:31f9df80
	// false https://169.254.169.254/latest
}
