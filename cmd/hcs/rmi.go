package main

import (
	"errors"
	"fmt"
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
4 of its leading hex digits. hcs rmi waits for pulls into the store, from any
process, to finish first.

For each image it prints the reference removed and the blobs deleted. An
image that cannot be removed is reported and the others are still removed;
the exit status is then 1.`,
		Example: `  hcs rmi mcr.microsoft.com/windows/nanoserver:ltsc2022
  hcs rmi 3f2a1b0c9d8e`,
		Args: cobra.MinimumNArgs(1),
	}
	store := storeFlag(cmd)
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return imageRefs(cmd, *store, args)
	}
	cmd.RunE = a.runE(func(cmd *cobra.Command, args []string) error {
		s, err := openStore(*store)
		if err != nil {
			return a.failure("rmi", "", err)
		}
		var failed error
		for _, ref := range args {
			rm, err := s.Remove(cmd.Context(), ref, images.RemoveOptions{})
			if rm != nil {
				fmt.Fprintf(a.stdout, "untagged %s\n", sanitize(rm.Ref))
				for _, d := range rm.Deleted {
					fmt.Fprintf(a.stdout, "deleted %s\n", d)
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
