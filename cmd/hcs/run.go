package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/container"
	"github.com/gohcs/hcs/images"
	"github.com/gohcs/hcs/layers"
	"github.com/gohcs/hcs/schema"
)

func (a *app) runCommand() *cobra.Command {
	var (
		r                runner
		interactive, tty bool
		env, volumes     []string
		workdir          string
	)
	cmd := &cobra.Command{
		Use:   "run [flags] (IMAGE | --layer DIR...) -- COMMAND [ARG...]",
		Short: "Run a process in a new container made from an image or layer folders, then remove the container",
		Long: `Run a process in a new process-isolated container, as docker run --rm does:
make a scratch layer over the image's layers, mount it, create and start the
container, run the process with its standard streams attached, then remove
everything — also when a step fails, and on Ctrl-C. hcs run exits with the
process's exit code; each step is reported on the standard error.

IMAGE is an image of the image store (a reference, or an ID as hcs images
lists it), pulled first when the store lacks it (--pull missing, as docker
run; --pull always pulls every time, --pull never refuses), for this host as
hcs pull picks it. Its layers are unpacked into layer folders once, by chain
id, and reused by every later run and every image sharing them: in
--layer-root, by default STATE.layers beside the simulator's state file
STATE.json (the simulator's layers are its own), or layers in the image
store with the local HCS. An unpacking that is interrupted or fails leaves
nothing a later one would use; one whose layer is damaged in the store pulls
it again. While the container runs, hcs rmi refuses to remove the image.

--layer instead names layer folders, nearest first: the image's top layer
first, its base layer (nanoserver, servercore) last. A single --layer
whose folder has a layerchain.json (as Docker's layer folders under
C:\ProgramData\docker\windowsfilter and hcs run's unpacked layers do) brings
the layers below it.

The scratch layer is made in a new temporary folder and removed at the end,
unless --scratch names one: a folder that is not a scratch layer yet is made
one and removed at the end; a scratch layer already there is used and kept.

-v HOST:CONTAINER[:ro] maps a host directory into the container, CONTAINER
being a path with a drive letter (C:\data). -i, -t, -e and -w are those of
hcs exec. Interrupted, hcs run terminates the process and the container and
removes what it made before exiting with status 130; a second Ctrl-C exits
at once and leaves them (see hcs layer unmount).

While the process runs, other hcs commands run too. On the simulator, layer
folders are real folders (a base layer is a folder with a Files subfolder)
and the process is one of the simulator's built-in commands (see hcs exec).
The container is made to be terminated when hcs exits
(ShouldTerminateOnLastHandleClosed): on the simulator, other hcs commands
therefore do not see it, as they do not see other such systems.`,
		Example: `  hcs run mcr.microsoft.com/windows/nanoserver:ltsc2022 -- cmd /c echo hello
  hcs run --pull never -it 3f2a1b0c9d8e -- cmd
  hcs run --layer C:\ProgramData\docker\windowsfilter\<id> -- cmd /c echo hello
  hcs run -v C:\data:C:\data:ro -e MODE=test --layer C:\layers\app -- app.exe`,
		Args: cobra.MinimumNArgs(1),
	}
	f := cmd.Flags()
	f.StringArrayVar(&r.layerDirs, "layer", nil, "a read-only layer folder, nearest first (instead of IMAGE)")
	f.StringVar(&r.scratch, "scratch", "", "the scratch layer's folder (default: a new temporary folder)")
	f.StringVar(&r.id, "id", "", "the container's identifier (default: hcs-run- and a random suffix)")
	f.StringArrayVarP(&volumes, "volume", "v", nil, "map a host directory: HOST:CONTAINER[:ro]")
	f.BoolVarP(&r.quiet, "quiet", "q", false, "do not report the steps on the standard error")
	r.imageFlags(cmd)
	processFlags(cmd, &interactive, &tty, &env, &workdir)
	_ = cmd.MarkFlagDirname("layer")
	_ = cmd.MarkFlagDirname("scratch")
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if a.dashTyped() || len(args) > 0 || cmd.Flags().Changed("layer") {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return imageRefs(cmd, *r.storeDir, args)
	}
	cmd.RunE = a.runE(func(cmd *cobra.Command, args []string) error {
		switch dash := cmd.ArgsLenAtDash(); {
		case len(r.layerDirs) > 0 && dash != 0:
			return &usageError{"want --layer DIR... or IMAGE, not both, then -- COMMAND [ARG...]"}
		case len(r.layerDirs) == 0 && dash != 1:
			return &usageError{"want IMAGE -- COMMAND [ARG...], or --layer DIR... -- COMMAND [ARG...]"}
		case len(r.layerDirs) == 0:
			r.image, args = args[0], args[1:]
			if len(args) == 0 {
				return &usageError{"want a COMMAND after --"}
			}
		}
		if !cmd.Flags().Changed("id") {
			r.id = "hcs-run-" + randomHex(4)
		} else if err := checkID(r.id); err != nil {
			return &usageError{"--id: " + err.Error()}
		}
		if err := a.checkTerminal(interactive, tty); err != nil {
			return err
		}
		params, err := processParams(args, env, workdir)
		if err != nil {
			return err
		}
		for _, v := range volumes {
			d, err := parseVolume(v)
			if err != nil {
				return err
			}
			r.dirs = append(r.dirs, d)
		}
		r.a = a
		return r.run(cmd.Context(), params, interactive, tty)
	})
	return cmd
}

// runner is one hcs run: what it was asked for, and what it made, to be
// removed.
type runner struct {
	a         *app
	layerDirs []string
	scratch   string
	id        string
	dirs      []container.MappedDirectory
	quiet     bool
	// image is IMAGE, when not --layer; pull, storeDir, foreign and
	// layerRoot are the flags about it.
	image     string
	pull      pullPolicy
	storeDir  *string
	foreign   func() (func(*url.URL) bool, error)
	layerRoot string

	// store and im are the image store and the image; pulled says that
	// this run pulled it; unpacked holds its layers until the end.
	store    *images.Store
	im       *images.Image
	pulled   bool
	unpacked *images.Unpacked

	s *session
	// madeScratch says that hcs run made the scratch layer, and removes
	// it; tempDir is the temporary folder it made it in, if so.
	madeScratch bool
	tempDir     string
	mount       *layers.Mount
	sys         *hcs.System
}

// teardownTimeout bounds the removal of what hcs run made.
const teardownTimeout = 2 * time.Minute

// run does the steps of hcs run, then removes what it made, whatever
// happened.
func (r *runner) run(ctx context.Context, params *schema.ProcessParameters, interactive, tty bool) error {
	a := r.a
	if r.image != "" {
		// Before the simulator's state is locked: a pull takes its time.
		if err := r.resolve(ctx); err != nil {
			return r.failure(ctx, err)
		}
	}
	s, err := a.open(ctx, writeState)
	if err != nil {
		return err
	}
	if s.layers == nil {
		return r.failure(ctx, errors.New("this host has no layer service"))
	}
	r.s = s
	// The result of the process is made out before the teardown, which
	// stops the container: a system that stopped under the process is
	// told apart from one stopped by hcs run.
	var result error
	err = r.up(ctx)
	if err == nil {
		err = a.unlock()
	}
	if err == nil {
		// Not following the state file: the container, which HCS
		// terminates with hcs run's handle (ShouldTerminateOnLastHandleClosed),
		// is saved as such, and gone for other invocations.
		state, perr := a.runProcess(ctx, r.sys, params, interactive, tty)
		result = a.processResult(ctx, "run", r.id, r.sys, state, perr)
	} else {
		result = r.failure(ctx, err)
	}
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), teardownTimeout)
	defer cancel()
	downErr := a.relock(tctx)
	if downErr == nil {
		downErr = r.down(tctx)
	}
	if downErr == nil {
		return result
	}
	msg := "hcs run " + r.id + ": removing what it made: " + downErr.Error()
	var exit *exitError
	if errors.As(result, &exit) {
		// The process's exit code, or the first failure, stands.
		if exit.msg != "" {
			msg = exit.msg + "\n" + msg
		}
		return &exitError{code: exit.code, msg: msg}
	}
	if result != nil {
		fmt.Fprintln(a.stderr, result)
	}
	return &exitError{code: exitFailure, msg: msg}
}

// failure is the error hcs run ends with when a step before the process
// failed.
func (r *runner) failure(ctx context.Context, err error) error {
	var usage *usageError
	switch {
	case errors.As(err, &usage):
		return err
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return &exitError{code: exitInterrupted, msg: "hcs run " + r.id + ": interrupted"}
	}
	return r.a.failure("run", r.id, err)
}

// progress reports a step on the standard error, unless --quiet.
func (r *runner) progress(format string, args ...any) {
	if !r.quiet {
		fmt.Fprintf(r.a.stderr, "hcs run %s: %s\n", r.id, fmt.Sprintf(format, args...))
	}
}

// up makes the scratch layer, mounts it, and creates and starts the
// container.
func (r *runner) up(ctx context.Context) error {
	parents := r.layerDirs
	switch {
	case r.im != nil:
		var err error
		if parents, err = r.unpack(ctx); err != nil {
			return err
		}
	case len(parents) == 1:
		chain, err := layers.Chain(parents[0])
		if err != nil {
			return err
		}
		parents = chain
	}
	lh := r.s.layers
	if err := r.makeScratch(ctx, parents); err != nil {
		return err
	}
	m, err := lh.Mount(ctx, r.scratch, parents)
	if err != nil {
		return err
	}
	r.mount = m
	r.progress("mounted scratch layer %s over %s at %s", m.Scratch(), plural(len(parents), "layer"), m.Volume())
	doc, err := (&container.Config{
		Owner:                       "hcs run",
		Storage:                     m.Storage(),
		MappedDirectories:           r.dirs,
		TerminateOnLastHandleClosed: true,
	}).Document()
	if err != nil {
		return err
	}
	if r.sys, err = r.s.host.CreateSystem(ctx, r.id, doc); err != nil {
		return err
	}
	if err := r.a.during(ctx, "starting "+r.id, r.sys.Start); err != nil {
		return err
	}
	r.progress("started container %s", r.id)
	return nil
}

// makeScratch makes the scratch layer, or finds the one --scratch names.
func (r *runner) makeScratch(ctx context.Context, parents []string) error {
	if r.scratch != "" {
		if _, err := os.Stat(filepath.Join(r.scratch, "sandbox.vhdx")); err == nil {
			r.progress("using scratch layer %s", r.scratch)
			return nil
		}
	} else {
		dir, err := os.MkdirTemp("", "hcs-run-")
		if err != nil {
			return err
		}
		r.scratch, r.tempDir = dir, dir
	}
	if err := r.s.layers.CreateScratch(ctx, r.scratch, parents, 0); err != nil {
		return err
	}
	r.madeScratch = true
	return nil
}

// down removes what up made, in reverse order: the container, the mount,
// the scratch layer. It goes on after a failure where it can, reports what
// it removed, and returns the failures.
func (r *runner) down(ctx context.Context) error {
	// A step whose context ended is undone in the background: let it be.
	if err := r.s.layers.Drain(ctx); err != nil {
		return err
	}
	var (
		errs    []error
		removed []string
	)
	if r.sys != nil {
		err := r.sys.Terminate(ctx)
		if err == nil || errors.Is(err, hcs.ErrAlreadyStopped) {
			_, err = r.sys.Wait(ctx)
		}
		r.sys.Close()
		if err != nil {
			errs = append(errs, err)
		} else {
			removed = append(removed, "the container")
		}
	}
	released := true
	if r.mount != nil {
		if err := r.mount.Release(ctx); err != nil {
			errs = append(errs, err)
			released = false
		} else {
			removed = append(removed, "the mount")
		}
	}
	switch {
	case r.madeScratch && released:
		if err := r.s.layers.Destroy(ctx, r.scratch); err != nil {
			errs = append(errs, err)
		} else {
			removed = append(removed, "the scratch layer")
		}
	case r.tempDir != "" && !r.madeScratch:
		// CreateScratch failed, and removed what it made in the folder.
		if err := os.Remove(r.tempDir); err != nil {
			errs = append(errs, err)
		}
	}
	if len(removed) > 0 {
		r.progress("removed %s", strings.Join(removed, ", "))
	}
	if r.unpacked != nil {
		// hcs rmi may remove the image from now on.
		if err := r.unpacked.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// parseVolume parses -v HOST:CONTAINER[:ro|:rw]. CONTAINER is a path with a
// drive letter, so the separator is the colon before one; HOST may have a
// drive letter too.
func parseVolume(spec string) (container.MappedDirectory, error) {
	var d container.MappedDirectory
	rest := spec
	if i := strings.LastIndexByte(rest, ':'); i > 0 {
		switch strings.ToLower(rest[i+1:]) {
		case "ro":
			d.ReadOnly, rest = true, rest[:i]
		case "rw":
			rest = rest[:i]
		}
	}
	// The last colon followed by a drive path starts CONTAINER.
	split := -1
	for i := len(rest) - 4; i > 0; i-- {
		if rest[i] == ':' && isDriveLetter(rest[i+1]) && rest[i+2] == ':' && (rest[i+3] == '\\' || rest[i+3] == '/') {
			split = i
			break
		}
	}
	if split < 0 {
		return d, &usageError{fmt.Sprintf(`-v %q: want HOST:CONTAINER[:ro], CONTAINER a path with a drive letter such as C:\data`, spec)}
	}
	d.HostPath, d.ContainerPath = rest[:split], rest[split+1:]
	if abs, err := filepath.Abs(d.HostPath); err == nil && !isWindowsDrivePath(d.HostPath) {
		d.HostPath = abs
	}
	return d, nil
}

// isDriveLetter reports whether c is a letter.
func isDriveLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// isWindowsDrivePath reports whether p starts with a drive letter and a
// colon.
func isWindowsDrivePath(p string) bool { return len(p) >= 2 && isDriveLetter(p[0]) && p[1] == ':' }

// randomHex returns n random bytes in hexadecimal.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}
