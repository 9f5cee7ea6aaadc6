package layers_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/container"
	"github.com/gohcs/hcs/hcssim"
	"github.com/gohcs/hcs/layers"
)

// From layer folders to a process's output, with this module alone: make a
// scratch layer over an image's layers, mount it, build the container's
// document, run the container and a process in it, and tear it all down.
// Here on the simulator; on Windows, layers.Local() and hcs.Local() drive
// the real thing with the same runInContainer (under Wine, this module's
// tests run it so, on the mock DLLs).
func Example() {
	ctx := context.Background()
	sim := hcssim.New()
	defer sim.Close()
	lh, host := sim.Layers(), sim.Host() // layers.Local(), hcs.Local() on Windows

	// An unpacked base layer: Files\ and Hives\. On Windows, the folder of
	// nanoserver under C:\ProgramData\docker\windowsfilter, say.
	dir, err := os.MkdirTemp("", "layers-example-")
	if err != nil {
		log.Fatal(err)
	}
	base := filepath.Join(dir, "nanoserver")
	for _, sub := range []string{"Files", "Hives"} {
		if err := os.MkdirAll(filepath.Join(base, sub), 0o755); err != nil {
			log.Fatal(err)
		}
	}

	out, err := runInContainer(ctx, lh, host, []string{base}, filepath.Join(dir, "scratch"),
		"cmd", "/c", "echo", "hello", "from", "a", "container")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out)

	// This example's own base layer goes too.
	if err := lh.Destroy(ctx, base); err != nil {
		log.Fatal(err)
	}
	if err := os.Remove(dir); err != nil {
		log.Fatal(err)
	}
	// Output: hello from a container
}

// runInContainer runs args in a new container over the image layers
// parents (nearest first, base last) and returns its output. The container
// writes into a new scratch layer in the folder scratch. Everything it
// makes it removes, in reverse order, on success and on failure: the
// container, then the mount (which the layer service refuses while the
// container runs), then the scratch layer.
func runInContainer(ctx context.Context, lh *layers.Host, host *hcs.Host, parents []string, scratch string,
	args ...string) (out string, err error) {
	if err := lh.CreateScratch(ctx, scratch, parents, 0); err != nil {
		return "", err
	}
	defer func() { err = errors.Join(err, lh.Destroy(ctx, scratch)) }()
	m, err := lh.Mount(ctx, scratch, parents)
	if err != nil {
		return "", err
	}
	defer func() { err = errors.Join(err, m.Release(ctx)) }()

	doc, err := (&container.Config{
		Owner:                       "example",
		Storage:                     m.Storage(),
		HostName:                    "web",
		TerminateOnLastHandleClosed: true,
	}).Document()
	if err != nil {
		return "", err
	}
	sys, err := host.CreateSystem(ctx, "web-"+filepath.Base(scratch), doc)
	if err != nil {
		return "", err
	}
	defer sys.Close()
	defer func() {
		if terr := sys.Terminate(ctx); terr != nil && !errors.Is(terr, hcs.ErrAlreadyStopped) {
			err = errors.Join(err, terr)
		}
		if _, werr := sys.Wait(ctx); werr != nil {
			err = errors.Join(err, werr)
		}
	}()
	if err := sys.Start(ctx); err != nil {
		return "", err
	}
	b, err := sys.Output(ctx, &hcs.Cmd{Args: args})
	return strings.TrimSpace(string(b)), err
}
