package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs/images"
)

func (a *app) imagesPruneCommand() *cobra.Command {
	var keepPartial bool
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Delete the blobs no image in the image store uses",
		Long: `Delete the blobs of the image store that no image uses: what a failed or
interrupted hcs pull downloaded, the old manifest and layers of a reference
pulled again after it moved, what an hcs rmi that failed half way left; and,
unless --keep-partial, the partial downloads that the next hcs pull of their
image would resume. (hcs rmi deletes an image's own blobs already.) Layer
folders hcs run unpacked are left alone: hcs rmi destroys those.

hcs images prune waits for pulls into the store, and for hcs runs unpacking
images, from any process, to finish first, and says so. It prints each blob
deleted and the space freed. A store one of whose images cannot be read is
not pruned: remove that image, or pull it again.`,
		Example: `  hcs images prune
  hcs images prune --keep-partial`,
		Args:              cobra.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	store := storeFlag(cmd)
	cmd.Flags().BoolVar(&keepPartial, "keep-partial", false, "keep the partial downloads of interrupted pulls")
	cmd.RunE = a.runE(func(cmd *cobra.Command, _ []string) error {
		s, err := openStore(*store)
		if err != nil {
			return a.failure("images prune", "", err)
		}
		pr, err := s.Prune(cmd.Context(), images.PruneOptions{
			KeepPartial: keepPartial,
			Waiting:     func() { a.warn("hcs images prune: waiting for the pulls and hcs runs unpacking into the image store") },
		})
		if pr != nil {
			for _, d := range pr.Deleted {
				fmt.Fprintf(a.stdout, "deleted %s\n", d)
			}
			for _, d := range pr.Partial {
				fmt.Fprintf(a.stdout, "deleted the partial download of %s\n", d)
			}
			fmt.Fprintf(a.stdout, "freed %s\n", humanBytes(float64(pr.Freed)))
		}
		if err != nil {
			return a.failure("images prune", "", err)
		}
		return nil
	})
	return cmd
}
