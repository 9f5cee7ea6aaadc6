package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/container"
	"github.com/gohcs/hcs/hcssim"
	"github.com/gohcs/hcs/images"
	"github.com/gohcs/hcs/internal/filetree"
	"github.com/gohcs/hcs/internal/registrytest"
	"github.com/gohcs/hcs/schema"
)

// The demo is a use of the public API to copy from: read runDemo top to
// bottom. It runs on a fresh simulator, never on the state file or the
// local HCS.

func (a *app) demoCommand() *cobra.Command {
	var fast bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Walk through the library on a simulated HCS in ten seconds",
		Long: `Walk through package hcs on a fresh simulated HCS, narrating each step:
pull an image with package images from a registry that the demo runs in its
own process (a small synthetic Windows image, not a real one: the demo uses
no network), unpack its layers into layer folders, mount a scratch layer
over them with package layers, build a container document on it with
package container, create the compute system,
subscribe to its events, start it, run processes, read its statistics twice
and compute its processor use, pause and resume it, list systems by owner,
shut it down, see its exit event, unmount the storage, remove the image
and its layer folders, and check that nothing is left open.

The code is cmd/hcs/demo.go in the module: a real use of the API to copy from.
The demo touches neither the local HCS nor the simulator's state file.`,
		Example: "  hcs demo\n  go run github.com/gohcs/hcs/cmd/hcs@latest demo",
		Args:    cobra.NoArgs,
	}
	cmd.Flags().BoolVar(&fast, "fast", false, "skip the pauses between steps")
	cmd.RunE = a.runE(func(cmd *cobra.Command, _ []string) error {
		pace := demoPace
		if fast {
			pace = 0
		}
		err := runDemo(cmd.Context(), a.stdout, pace)
		if err != nil && cmd.Context().Err() != nil {
			return &exitError{code: exitInterrupted, msg: "hcs demo: interrupted"}
		}
		if err != nil {
			return a.failure("demo", "", err)
		}
		return nil
	})
	return cmd
}

// demoPace is the pause after each step of the demo, to make it watchable.
const demoPace = 600 * time.Millisecond

// runDemo narrates the tour on w, pausing pace after each step.
func runDemo(ctx context.Context, w io.Writer, pace time.Duration) error {
	step := 0
	say := func(format string, args ...any) {
		step++
		if step > 1 && pace > 0 {
			time.Sleep(pace)
		}
		fmt.Fprintf(w, "\n%2d. %s\n", step, fmt.Sprintf(format, args...))
	}
	show := func(format string, args ...any) {
		fmt.Fprintf(w, "    %s\n", fmt.Sprintf(format, args...))
	}

	fmt.Fprintln(w, "hcs demo: package github.com/gohcs/hcs at work on a simulated HCS (package hcssim).")
	fmt.Fprintln(w, "On Windows, hcs.Local() gives the real one; the code is the same.")

	// A simulator behaves like HCS: asynchronous operations, states,
	// events, processes, the real error codes. Its Host is an *hcs.Host.
	sim := hcssim.New(hcssim.WithLatency(5 * time.Millisecond))
	defer sim.Close()
	host := sim.Host()

	// The image comes from a registry served by this process: a test
	// server of this module (internal/registrytest) holding small
	// synthetic Windows images. With a real registry the code is the same.
	say("Pull an image from a registry that runs inside this demo (package images).")
	reg, err := registrytest.Start()
	if err != nil {
		return err
	}
	defer reg.Close()
	show("the registry at %s is a test server in this process, serving a small synthetic Windows image", reg.Host)
	show("(a few files with Windows metadata, not a real Windows): the demo uses no network")
	dir, err := os.MkdirTemp("", "hcs-demo-")
	if err != nil {
		return err
	}
	defer filetree.Remove(dir) // what is left in it after a failure too
	store, err := images.Open(filepath.Join(dir, "store"))
	if err != nil {
		return err
	}
	transport := remote.DefaultTransport.(*http.Transport).Clone()
	defer transport.CloseIdleConnections()
	im, err := store.Pull(ctx, reg.Ref(registrytest.App), images.PullOptions{
		OSVersion: images.OSVersion{Major: 10, Build: 20348}, // ltsc2022; images.HostOSVersion() on Windows
		Transport: transport,
		Keychain:  authn.NewMultiKeychain(), // anonymous: no credentials of this machine
		// The base layer is foreign, served by a second local server.
		ForeignURLs: images.ForeignHosts(reg.Foreign),
	})
	if err != nil {
		return err
	}
	show("pulled %s: %s, %d layers, %s", im.Ref, im.Platform, len(im.Layers), humanBytes(float64(im.Size())))

	say("Unpack its layers into layer folders, each once, by chain id (Store.Unpack).")
	// With the simulator, layer folders are real folders; sim.Layers() is
	// layers.Local() on Windows.
	lh := sim.Layers()
	root := filepath.Join(dir, "layers")
	unpacked, err := store.Unpack(ctx, im, lh, root, images.UnpackOptions{
		Base: images.BaseStaged, // BackupWrite on Windows; the simulator takes the staging layout
		Progress: func(p images.UnpackProgress) {
			if p.Status == images.UnpackDone {
				show("layer %d: %s of tar, into the folder of its chain id, %s…", p.Index, humanBytes(float64(p.Bytes)), p.ChainID.Short())
			}
		},
	})
	if err != nil {
		return err
	}
	defer unpacked.Close()       // holds the layers against removal: after the container is gone
	parents := unpacked.Layers() // nearest first, base last

	say("Mount the container's storage: a scratch layer over the image's layers (package layers).")
	scratch := filepath.Join(dir, "scratch")
	if err := lh.CreateScratch(ctx, scratch, parents, 0); err != nil {
		return err
	}
	defer lh.Destroy(context.WithoutCancel(ctx), scratch)
	mount, err := lh.Mount(ctx, scratch, parents)
	if err != nil {
		return err
	}
	defer mount.Release(context.WithoutCancel(ctx)) // after the container is gone
	id, err := lh.LayerID(ctx, parents[len(parents)-1])
	if err != nil {
		return err
	}
	show("base layer %s, id %s", im.ChainIDs()[0].Short(), id)
	show("scratch layer mounted at %s", mount.Volume())

	say("Build a process-isolated container document on it with package container.")
	const owner = "hcs-demo"
	doc, err := (&container.Config{
		Owner:    owner,
		Storage:  mount.Storage(), // the volume and the image's layers with their ids
		HostName: "web",
		// If this program dies, HCS terminates the system with the handle.
		TerminateOnLastHandleClosed: true,
	}).Document()
	if err != nil {
		return err
	}
	text, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	show("%s", text)

	say("Create the compute system %q from it.", "demo-web")
	sys, err := host.CreateSystem(ctx, "demo-web", doc)
	if err != nil {
		return err
	}
	defer sys.Close()
	props, err := sys.Properties(ctx)
	if err != nil {
		return err
	}
	show("created: %s %s, state %s, runtime id %s", props.SystemType, props.ID, props.State, props.RuntimeID)

	say("Subscribe to its events, before acting on it.")
	exited := make(chan hcs.Event, 1)
	events := sys.Events(ctx) // an iter.Seq; the subscription starts here, events queue until ranged over
	go func() {
		defer close(exited)
		for ev := range events { // ends after the terminal event
			if ev.Type.Terminal() {
				exited <- ev
			}
		}
	}()
	show("subscribed: sys.Events returns an iter.Seq[hcs.Event]; a goroutine ranges over it and keeps the exit event")

	say("Start it.")
	if err := sys.Start(ctx); err != nil {
		return err
	}
	if props, err = sys.Properties(ctx); err != nil {
		return err
	}
	show("state %s", props.State)

	say("Run a process in it, with its output piped back.")
	var out bytes.Buffer
	state, err := sys.Run(ctx, &hcs.Cmd{Args: []string{"cmd", "/c", "echo", "hello", "from", "demo-web"}, Stdout: &out})
	if err != nil {
		return err
	}
	show("$ cmd /c echo hello from demo-web")
	show("%s", strings.TrimSpace(out.String()))
	show("exit code %d", state.ExitCode())
	_, err = sys.Run(ctx, &hcs.Cmd{Args: []string{"exit", "3"}})
	var exitErr *hcs.ExitError
	if !errors.As(err, &exitErr) {
		return fmt.Errorf("exit 3: want an *hcs.ExitError, got %v", err)
	}
	show("$ exit 3")
	show("exit code %d, as an *hcs.ExitError: %v", exitErr.ExitCode(), exitErr)

	say("Read its statistics twice, a second apart, and compute the usage between them.")
	first, err := sys.Statistics(ctx)
	if err != nil {
		return err
	}
	show("sample 1: processor time %v, uptime %v", runtime100ns(first.Processor.TotalRuntime100ns), runtime100ns(first.Uptime100ns))
	time.Sleep(max(pace+400*time.Millisecond, 50*time.Millisecond))
	second, err := sys.Statistics(ctx)
	if err != nil {
		return err
	}
	show("sample 2: processor time %v, uptime %v", runtime100ns(second.Processor.TotalRuntime100ns), runtime100ns(second.Uptime100ns))
	usage, err := hcs.UsageBetween(first, second, 1) // the simulator models one processor
	if err != nil {
		return err
	}
	show("hcs.UsageBetween: CPU %.1f%% (user %.1f%%, kernel %.1f%%) over %v", usage.CPU.Percent,
		usage.CPU.UserPercent, usage.CPU.KernelPercent, usage.Interval.Round(time.Millisecond))
	show("memory commit %s, private working set %s; storage %s/s read, %s/s written",
		humanBytes(float64(usage.Memory.CommitBytes)), humanBytes(float64(usage.Memory.PrivateWorkingSetBytes)),
		humanBytes(usage.Storage.ReadBytesPerSecond), humanBytes(usage.Storage.WriteBytesPerSecond))
	if n := usage.Network; n != nil {
		show("network %s/s received, %s/s sent, over %d endpoint(s)",
			humanBytes(n.ReceiveBytesPerSecond), humanBytes(n.TransmitBytesPerSecond), len(n.Endpoints))
	}

	say("Pause it, then resume it.")
	if err := sys.Pause(ctx); err != nil {
		return err
	}
	if props, err = sys.Properties(ctx); err != nil {
		return err
	}
	show("state %s", props.State)
	if err := sys.Resume(ctx); err != nil {
		return err
	}
	if props, err = sys.Properties(ctx); err != nil {
		return err
	}
	show("state %s", props.State)

	say("List the compute systems by owner, with another owner's system beside ours.")
	other, err := host.CreateSystem(ctx, "demo-other", `{"Owner":"someone-else","Container":{},"ShouldTerminateOnLastHandleClosed":true}`)
	if err != nil {
		return err
	}
	all, err := host.ListSystems(ctx, nil)
	if err != nil {
		other.Close()
		return err
	}
	show("all systems: %d", len(all))
	mine, err := host.ListByOwner(ctx, owner)
	other.Close() // its last handle: HCS terminates it, as its document asks
	if err != nil {
		return err
	}
	for _, info := range mine {
		show("owned by %s: %s %s %s", owner, info.ID, info.Type, info.State)
	}

	say("Shut it down cleanly.")
	if err := sys.Shutdown(ctx); err != nil {
		return err
	}
	show("shutdown complete")

	say("The exit event arrives on the subscription.")
	ev, ok := <-exited
	if !ok {
		return errors.New("the event stream ended without an exit event")
	}
	var status schema.SystemExitStatus
	if err := ev.Decode(&status); err != nil {
		return err
	}
	show("event %s: ExitType %s", ev.Type, status.ExitType)
	exit, err := sys.Wait(ctx)
	if err != nil {
		return err
	}
	show("sys.Wait agrees: %s", exit.ExitType)

	say("Close the handle, unmount the storage, remove the image and its layers, and check that nothing is left.")
	sys.Close()
	if err := host.Drain(ctx); err != nil {
		return err
	}
	if err := mount.Release(ctx); err != nil { // refused while the container ran
		return err
	}
	if err := lh.Destroy(ctx, scratch); err != nil {
		return err
	}
	if err := unpacked.Close(); err != nil {
		return err
	}
	rm, err := store.Remove(ctx, im.Ref, images.RemoveOptions{Layers: lh, Root: root}) // refused while held
	if err != nil {
		return err
	}
	show("removed %s: %d blobs and %d layer folders", rm.Ref, len(rm.Deleted), len(rm.Layers))
	show("systems left: %d, handles open: %d, layers mounted: %d", len(sim.Systems()), sim.LiveHandles(), len(sim.MountedLayers()))
	if n := sim.LiveHandles(); n != 0 || len(sim.Systems()) != 0 || len(sim.MountedLayers()) != 0 {
		return fmt.Errorf("%d handles, %d systems and %d mounted layers left", n, len(sim.Systems()), len(sim.MountedLayers()))
	}
	fmt.Fprintln(w, "\nDone. Next: go doc github.com/gohcs/hcs, and hcs --help.")
	return nil
}

// runtime100ns formats a time HCS counts in 100 ns units.
func runtime100ns(n *uint64) time.Duration {
	if n == nil {
		return 0
	}
	return (time.Duration(*n) * 100).Round(time.Millisecond)
}
