package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs/images"
)

func (a *app) rmiCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rmi IMAGE...",
		Short: "Remove images from the image store",
		Long: `Remove each IMAGE from the image store, and delete its layers, config and
manifest unless another image uses them. IMAGE is a reference as hcs images
lists it (or as given to hcs pull), or an ID: the manifest digest or at least
4 of its leading hex digits. hcs rmi waits for pulls into the store, and for
hcs runs unpacking images, from any process, to finish first, and says so.

Layers hcs run unpacked from the image go too, unless another image has them:
their layer folders in the layer root (see hcs run: --layer-root, by default
STATE.layers beside the simulator's state file STATE.json, or layers in the
image store with the local HCS). An image whose layers a running hcs run uses
is not removed: hcs rmi says so and leaves it as it is.

For each image it prints the reference removed, the blobs deleted and the
layer folders destroyed. An image that cannot be removed is reported and the
others are still removed; the exit status is then 1. hcs images prune deletes
the blobs no image uses that hcs rmi does not reach: those of failed pulls and
of references pulled again after they moved.`,
		Example: `  hcs rmi mcr.microsoft.com/windows/nanoserver:ltsc2022
  hcs rmi 3f2a1b0c9d8e`,
		Args: cobra.MinimumNArgs(1),
	}
	store := storeFlag(cmd)
	root := cmd.Flags().String("layer-root", "", "the folder hcs run unpacked images into (default: see above)")
	_ = cmd.MarkFlagDirname("layer-root")
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return imageRefs(cmd, *store, args)
	}
	cmd.RunE = a.runE(func(cmd *cobra.Command, args []string) error {
		s, err := openStore(*store)
		if err != nil {
			return a.failure("rmi", "", err)
		}
		opts, err := a.rmiLayers(cmd, *root, s)
		if err != nil {
			return a.failure("rmi", "", err)
		}
		opts.Waiting = func() { a.warn("hcs rmi: waiting for the pulls and hcs runs unpacking into the image store") }
		var failed error
		for _, ref := range args {
			rm, err := s.Remove(cmd.Context(), ref, opts)
			if rm != nil {
				fmt.Fprintf(a.stdout, "untagged %s\n", sanitize(rm.Ref))
				for _, d := range rm.Deleted {
					fmt.Fprintf(a.stdout, "deleted %s\n", d)
				}
				for _, dir := range rm.Layers {
					fmt.Fprintf(a.stdout, "deleted layer folder %s\n", sanitize(dir))
				}
			}
			if err != nil {
				if cmd.Context().Err() != nil {
					return a.failure("rmi", ref, err)
				}
				a.warn("hcs rmi %s: %v", ref, err)
				failed = errors.Join(failed, err)
			}
		}
		if failed != nil {
			return &exitError{code: exitFailure}
		}
		return nil
	})
	return cmd
}

// rmiLayers returns the options that make hcs rmi destroy the layer
// folders hcs run unpacked: the layer root and the layer service, when the
// root exists; none otherwise, without opening the host.
func (a *app) rmiLayers(cmd *cobra.Command, flag string, store *images.Store) (images.RemoveOptions, error) {
	root, err := a.layerRoot(flag, store)
	if err != nil {
		return images.RemoveOptions{}, err
	}
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		return images.RemoveOptions{}, nil
	}
	s, err := a.open(cmd.Context(), readState)
	if err != nil || s.layers == nil {
		return images.RemoveOptions{}, err
	}
	return images.RemoveOptions{Layers: s.layers, Root: root}, nil
}

// imageRefs completes the references of the images in the store dir, but
// those already typed.
func imageRefs(cmd *cobra.Command, dir string, typed []string) ([]cobra.Completion, cobra.ShellCompDirective) {
	s, err := openStore(dir)
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	ims, err := s.List(cmd.Context())
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var refs []cobra.Completion
	for _, im := range ims {
		if !slices.Contains(typed, im.Ref) && !needsEscape(im.Ref) {
			refs = append(refs, cobra.CompletionWithDesc(im.Ref, im.Platform.OSVersion))
		}
	}
	return refs, cobra.ShellCompDirectiveNoFileComp
}
