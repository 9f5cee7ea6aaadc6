package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs/images"
)

// simOSVersion is the Windows version images are pulled for when hcs
// drives the simulator: Windows Server 2022, whose images (ltsc2022) are
// the most used, and which Windows 11 hosts run too.
const simOSVersion = "10.0.20348"

func (a *app) pullCommand() *cobra.Command {
	var osVersion, arch string
	cmd := &cobra.Command{
		Use:   "pull IMAGE",
		Short: "Download an image into the image store",
		Long: `Download the Windows image IMAGE and its layers into the image store, verifying
every digest. IMAGE is a reference as docker takes it (registry/repository:tag
or @digest; docker.io is the default registry). Credentials come from the
Docker config, as docker and crane read them ($DOCKER_CONFIG, ~/.docker).

From a multi-platform image, hcs pull picks the windows image for --arch that
the host runs with process isolation: one built for the host's Windows build
(hosts before Windows Server 2022), or, from 10.0.20348 on, for a build from
the last long-term release before the host's up to the host's own, the host's
own build first. On Windows the host's version is this machine's; with the
simulator (elsewhere, or with --sim) it is ` + simOSVersion + ` (ltsc2022). When no
image fits, hcs pull says which builds the host runs and which the image
offers.

A registry's transient failures (a dropped connection, 429, 5xx) of manifest
requests are retried up to four times, honouring Retry-After up to a minute.
A foreign (non-distributable) layer, as Windows base layers have been, is
downloaded from the URLs its manifest lists only over https from Microsoft's
hosts (mcr.microsoft.com and *.mcr.microsoft.com, go.microsoft.com), else
from its registry; --allow-foreign-host adds hosts.
Layers already in the store are not downloaded again, by this image or
another; a download that breaks off is resumed by the next hcs pull. Progress
goes to stderr: a live display on a terminal, one line per change otherwise.
hcs images lists what the store holds; hcs rmi removes an image.`,
		Example: `  hcs pull mcr.microsoft.com/windows/nanoserver:ltsc2022
  hcs pull --os-version 10.0.26100 mcr.microsoft.com/windows/servercore:ltsc2025
  hcs pull --store ./images mcr.microsoft.com/windows/nanoserver@sha256:...`,
		Args: cobra.ExactArgs(1),
		// The references a user would pull are not on this machine.
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	out := formatFlag(cmd, formatTable, formatTable, formatJSON, formatYAML)
	store := storeFlag(cmd)
	foreign := foreignFlag(cmd)
	cmd.Flags().StringVar(&osVersion, "os-version", "",
		"the host's Windows version to pick an image for (default: this machine's on Windows, "+simOSVersion+" with the simulator)")
	cmd.Flags().StringVar(&arch, "arch", "amd64", "the image's architecture")
	cmd.RunE = a.runE(func(cmd *cobra.Command, args []string) error {
		host, err := a.hostOSVersion(osVersion)
		if err != nil {
			return err
		}
		allow, err := foreign()
		if err != nil {
			return err
		}
		s, err := openStore(*store)
		if err != nil {
			return a.failure("pull", "", err)
		}
		show := a.newPullDisplay()
		im, err := s.Pull(cmd.Context(), args[0], images.PullOptions{OSVersion: host, Architecture: arch, ForeignURLs: allow, Progress: show.update})
		show.stop()
		if errors.Is(err, context.Canceled) && cmd.Context().Err() != nil {
			return &exitError{code: exitInterrupted, msg: "hcs pull " + args[0] + ": interrupted; hcs pull resumes the partial downloads"}
		}
		if err != nil {
			return a.failure("pull", "", err)
		}
		if *out != formatTable {
			return writeData(a.stdout, *out, im)
		}
		fmt.Fprintf(a.stdout, "pulled %s: %s, manifest %s, %d layers, %s (%s downloaded)\n",
			sanitize(im.Ref), sanitize(im.Platform.String()), im.Digest, len(im.Layers), humanBytes(float64(im.Size())), humanBytes(float64(show.downloaded())))
		return nil
	})
	return cmd
}

// hostOSVersion returns the Windows version to pull for: flag when given,
// else this machine's on Windows unless the simulator was chosen (--sim,
// --sim-state, $HCS_SIM_STATE), else the simulator's.
func (a *app) hostOSVersion(flag string) (images.OSVersion, error) {
	if flag != "" {
		v, err := images.ParseOSVersion(flag)
		if err != nil {
			return v, &usageError{fmt.Sprintf("--os-version %q: want MAJOR.MINOR.BUILD[.REVISION], such as %s", flag, simOSVersion)}
		}
		return v, nil
	}
	if runtime.GOOS == "windows" && !a.simChosen() {
		v, err := images.HostOSVersion()
		if err != nil {
			return v, a.failure("pull", "", err)
		}
		return v, nil
	}
	return images.ParseOSVersion(simOSVersion)
}

// pullDisplay shows a pull's progress on stderr: on a terminal, a line per
// blob redrawn in place ten times a second; otherwise a line each time a
// blob's status changes.
type pullDisplay struct {
	w    io.Writer
	tty  bool
	done chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	blobs    []images.PullProgress // by first report
	drawn    int                   // lines on screen
	fetched  int64                 // bytes downloaded (resumed ones excluded)
	lastSeen map[images.Digest]images.PullStatus
}

func (a *app) newPullDisplay() *pullDisplay {
	d := &pullDisplay{w: a.stderr, done: make(chan struct{}), lastSeen: map[images.Digest]images.PullStatus{}}
	if a.stderrIsTerminal() {
		d.tty = true
		d.wg.Go(d.redraw)
	}
	return d
}

// update takes a progress report (Pull serialises the calls).
func (d *pullDisplay) update(p images.PullProgress) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := slices.IndexFunc(d.blobs, func(q images.PullProgress) bool { return q.Digest == p.Digest })
	if i < 0 {
		d.blobs = append(d.blobs, p)
		i = len(d.blobs) - 1
	}
	if p.Status == images.PullDone {
		d.fetched += p.Size - p.Resumed
	}
	d.blobs[i] = p
	if d.tty || d.lastSeen[p.Digest] == p.Status && p.Status != images.PullFailed {
		return
	}
	d.lastSeen[p.Digest] = p.Status
	if p.Status == images.PullQueued {
		return
	}
	fmt.Fprintln(d.w, describeProgress(p))
}

// describeProgress words a blob's progress: "layer 3f2a1b0c9d8e: done
// 1.2MiB", with what a terminal would obey escaped (a failure quotes the
// server).
func describeProgress(p images.PullProgress) string {
	return sanitize(progressText(p))
}

func progressText(p images.PullProgress) string {
	s := fmt.Sprintf("%s %s: %s", p.Kind, p.Digest.Short(), p.Status)
	switch p.Status {
	case images.PullDownloading:
		s += fmt.Sprintf(" %s/%s", humanBytes(float64(p.Bytes)), humanBytes(float64(p.Size)))
		if p.Resumed > 0 {
			s += fmt.Sprintf(" (resumed at %s)", humanBytes(float64(p.Resumed)))
		}
	case images.PullWaiting:
		s += " for another hcs pull"
	case images.PullDone, images.PullCached:
		s += " " + humanBytes(float64(p.Size))
	case images.PullFailed:
		s += ": " + p.Err.Error()
	}
	return s
}

func (d *pullDisplay) redraw() {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-d.done:
			d.draw()
			return
		case <-tick.C:
			d.draw()
		}
	}
}

// draw rewrites the display's lines.
func (d *pullDisplay) draw() {
	d.mu.Lock()
	defer d.mu.Unlock()
	var b strings.Builder
	if d.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", d.drawn)
	}
	for _, p := range d.blobs {
		fmt.Fprintf(&b, "\r\x1b[K%s\n", describeProgress(p))
	}
	d.drawn = len(d.blobs)
	io.WriteString(d.w, b.String())
}

// stop ends the display, drawn one last time.
func (d *pullDisplay) stop() {
	close(d.done)
	d.wg.Wait()
}

// downloaded returns the bytes the pull downloaded.
func (d *pullDisplay) downloaded() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.fetched
}
