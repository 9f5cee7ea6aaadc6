package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gohcs/hcs/images"
	"github.com/gohcs/hcs/internal/registrytest"
	"github.com/gohcs/hcs/internal/winetest"
)

// TestPullInterrupted interrupts hcs pull while a layer downloads: it
// exits 130, says the download resumes, and the store has no image.
func TestPullInterrupted(t *testing.T) {
	reg, err := registrytest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	started, release := make(chan struct{}), make(chan struct{})
	defer close(release) // before the registry closes
	layer := reg.Layers["app"].Digest
	reg.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !registrytest.IsBlob(r, layer) {
			return false
		}
		close(started)
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return true
	})
	store := filepath.Join(winetest.TempDir(t), "store")
	t.Setenv("DOCKER_CONFIG", winetest.TempDir(t))
	t.Setenv("HCS_FOREIGN_HOSTS", reg.Foreign)
	var out, errOut syncBuffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() {
		code <- a.execute(ctx, []string{"--sim", "pull", "--store", store, reg.Ref(registrytest.Nanoserver)})
	}()
	select {
	case <-started:
	case c := <-code:
		t.Fatalf("hcs pull ended (exit status %d) before the layer's download; stderr:\n%s", c, errOut.String())
	}
	cancel()
	if c := <-code; c != exitInterrupted {
		t.Errorf("exit status %d, want %d; stderr:\n%s", c, exitInterrupted, errOut.String())
	}
	if want := "interrupted; hcs pull resumes the partial downloads\n"; !strings.HasSuffix(errOut.String(), want) {
		t.Errorf("stderr:\n%s\nwant it to end with %q", errOut.String(), want)
	}
	s, err := images.Open(store)
	if err != nil {
		t.Fatal(err)
	}
	if ims, err := s.List(context.Background()); err != nil || len(ims) != 0 {
		t.Errorf("store after the interrupted pull: %v, %v", ims, err)
	}
}

// TestPullDisplay draws the terminal display: a line per blob, redrawn
// in place.
func TestPullDisplay(t *testing.T) {
	var buf syncBuffer
	d := &pullDisplay{w: &buf, tty: true, lastSeen: map[images.Digest]images.PullStatus{}}
	layer := images.Digest("sha256:3f2a1b0c9d8e" + strings.Repeat("0", 52))
	config := images.Digest("sha256:aaaaaaaaaaaa" + strings.Repeat("0", 52))
	d.update(images.PullProgress{Digest: config, Kind: "config", Status: images.PullCached, Size: 419})
	d.update(images.PullProgress{Digest: layer, Kind: "layer", Status: images.PullDownloading, Size: 3 << 20, Bytes: 1 << 20, Resumed: 512 << 10})
	d.draw()
	d.update(images.PullProgress{Digest: layer, Kind: "layer", Status: images.PullDone, Size: 3 << 20, Resumed: 512 << 10})
	d.draw()
	want := "\r\x1b[Kconfig aaaaaaaaaaaa: cached 419B\n" +
		"\r\x1b[Klayer 3f2a1b0c9d8e: downloading 1MiB/3MiB (resumed at 512KiB)\n" +
		"\x1b[2A" +
		"\r\x1b[Kconfig aaaaaaaaaaaa: cached 419B\n" +
		"\r\x1b[Klayer 3f2a1b0c9d8e: done 3MiB\n"
	if got := buf.String(); got != want {
		t.Errorf("display\n got %q\nwant %q", got, want)
	}
	if got := d.downloaded(); got != 3<<20-512<<10 {
		t.Errorf("downloaded %d", got)
	}
}

// TestPullForeignHosts pulls an image whose foreign layer is served by a
// local server: refused by default (the registry does not have it
// either), pulled with --allow-foreign-host; a bad host is a usage error.
func TestPullForeignHosts(t *testing.T) {
	reg, err := registrytest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	store := filepath.Join(winetest.TempDir(t), "store")
	t.Setenv("DOCKER_CONFIG", winetest.TempDir(t))
	t.Setenv("HCS_FOREIGN_HOSTS", "")
	pull := func(args ...string) (int, string) {
		var out, errOut syncBuffer
		a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}
		args = append([]string{"--sim", "pull", "--store", store}, args...)
		return a.execute(context.Background(), append(args, reg.Ref(registrytest.App))), errOut.String()
	}
	if code, stderr := pull(); code != exitFailure || !strings.Contains(stderr, "foreign URL "+reg.Foreign+"/layers/") || !strings.Contains(stderr, "--allow-foreign-host") {
		t.Errorf("exit status %d, stderr:\n%s\nwant a failure naming the refused URL", code, stderr)
	}
	if code, stderr := pull("--allow-foreign-host", "example.com/path"); code != exitUsage || !strings.Contains(stderr, "--allow-foreign-host") {
		t.Errorf("exit status %d, stderr:\n%s\nwant a usage error", code, stderr)
	}
	if code, stderr := pull("--allow-foreign-host", reg.Foreign); code != 0 {
		t.Errorf("exit status %d, stderr:\n%s", code, stderr)
	}
}
