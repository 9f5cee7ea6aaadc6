package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs/images"
)

// hcs run IMAGE: the image resolved through the store, pulled as --pull
// says, and unpacked into the layer root; then the steps of hcs run
// --layer.

// pullPolicy is hcs run --pull: when to pull the image, as docker run's.
type pullPolicy string

const (
	pullMissing pullPolicy = "missing" // when the store lacks it, or its layers
	pullAlways  pullPolicy = "always"  // every time
	pullNever   pullPolicy = "never"   // never: the store must have it
)

var pullPolicies = []string{string(pullMissing), string(pullAlways), string(pullNever)}

func (p *pullPolicy) String() string { return string(*p) }
func (p *pullPolicy) Type() string   { return "when" }

func (p *pullPolicy) Set(s string) error {
	switch pullPolicy(s) {
	case pullMissing, pullAlways, pullNever:
		*p = pullPolicy(s)
		return nil
	}
	return fmt.Errorf("want %s", strings.Join(pullPolicies, ", "))
}

// imageFlags adds the flags of hcs run that concern its image.
func (r *runner) imageFlags(cmd *cobra.Command) {
	r.pull = pullMissing
	f := cmd.Flags()
	f.Var(&r.pull, "pull", "pull the image: "+strings.Join(pullPolicies, ", ")+" (as docker run)")
	_ = cmd.RegisterFlagCompletionFunc("pull", cobra.FixedCompletions(pullPolicies, cobra.ShellCompDirectiveNoFileComp))
	r.storeDir = storeFlag(cmd)
	r.foreign = foreignFlag(cmd)
	f.StringVar(&r.layerRoot, "layer-root", "", "the folder the image's layers are unpacked into (default: see above)")
	_ = cmd.MarkFlagDirname("layer-root")
}

// layerRoot returns the folder hcs run unpacks images into, and hcs rmi
// destroys their layers in: flag when given; with the simulator's state
// file, a folder beside it (STATE.layers for STATE.json: the simulator's
// layers are its own); else layers in the image store.
func (a *app) layerRoot(flag string, store *images.Store) (string, error) {
	switch {
	case flag != "":
		return flag, nil
	case a.host == nil && (a.simChosen() || runtime.GOOS != "windows"): // the simulator, as open chooses
		path, err := a.statePath()
		if err != nil {
			return "", err
		}
		return strings.TrimSuffix(path, filepath.Ext(path)) + ".layers", nil
	}
	return filepath.Join(store.Dir(), "layers"), nil
}

// resolve finds the image in the store, pulling it as --pull says. It
// runs before the simulator's state is locked: a pull takes its time.
func (r *runner) resolve(ctx context.Context) error {
	store, err := openStore(*r.storeDir)
	if err != nil {
		return err
	}
	r.store = store
	if r.pull != pullAlways {
		im, err := store.Get(ctx, r.image)
		switch {
		case err == nil:
			r.im = im
			return nil
		case !errors.Is(err, images.ErrNotFound):
			return err
		case r.pull == pullNever:
			return fmt.Errorf("%w (hcs pull it, or --pull missing)", err)
		}
	}
	return r.pullImage(ctx)
}

// pullImage pulls the image into the store, showing the progress on
// stderr unless --quiet.
func (r *runner) pullImage(ctx context.Context) error {
	host, err := r.a.hostOSVersion("")
	if err != nil {
		return err
	}
	allow, err := r.foreign()
	if err != nil {
		return err
	}
	opts := images.PullOptions{OSVersion: host, ForeignURLs: allow}
	var show *pullDisplay
	if !r.quiet {
		show = r.a.newPullDisplay()
		opts.Progress = show.update
	}
	im, err := r.store.Pull(ctx, r.image, opts)
	if show != nil {
		show.stop()
	}
	r.pulled = true
	if err != nil {
		return err
	}
	r.im = im
	r.progress("pulled %s (%s, manifest %s)", sanitize(im.Ref), sanitize(im.Platform.String()), im.Digest.Short())
	return nil
}

// unpack unpacks the image into the layer root and returns its layer
// folders, nearest first. When the store's copy of a layer is damaged
// or missing, it pulls the image again, once, unless --pull never.
func (r *runner) unpack(ctx context.Context) ([]string, error) {
	root, err := r.a.layerRoot(r.layerRoot, r.store)
	if err != nil {
		return nil, err
	}
	opts := images.UnpackOptions{Progress: r.unpackProgress}
	if r.s.sim != nil {
		opts.Base = images.BaseStaged // what the simulator's layer service takes
	}
	// The layer service's calls cannot be interrupted: say why an
	// interrupted unpacking does not end at once.
	defer context.AfterFunc(ctx, func() {
		r.a.warn("hcs run %s: interrupted: the layer being unpacked is removed once the layer service's call in progress ends (Ctrl-C again exits at once)", showID(r.id))
	})()
	u, err := r.store.Unpack(ctx, r.im, r.s.layers, root, opts)
	if err != nil && r.pull != pullNever && !r.pulled && ctx.Err() == nil &&
		(errors.Is(err, images.ErrDigestMismatch) || errors.Is(err, fs.ErrNotExist)) {
		r.a.warn("hcs run %s: %v", showID(r.id), err)
		r.progress("the image store's copy of %s is damaged or incomplete: pulling it again", sanitize(r.im.Ref))
		if err = r.pullImage(ctx); err == nil {
			u, err = r.store.Unpack(ctx, r.im, r.s.layers, root, opts)
		}
	}
	if err != nil {
		return nil, err
	}
	r.unpacked = u
	return u.Layers(), nil
}

// unpackProgress reports the unpacking of a layer, unless --quiet: when
// it is unpacked, found unpacked already, or waited for.
func (r *runner) unpackProgress(p images.UnpackProgress) {
	layer := fmt.Sprintf("layer %d/%d (%s)", p.Index+1, len(r.im.Layers), p.ChainID.Short())
	switch p.Status {
	case images.UnpackCached:
		r.progress("%s: unpacked already in %s", layer, p.Dir)
	case images.UnpackWaiting:
		r.progress("%s: waiting for another hcs command unpacking it", layer)
	case images.UnpackDone:
		r.progress("%s: unpacked into %s", layer, p.Dir)
	}
}
