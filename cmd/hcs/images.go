package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs/images"
)

func (a *app) imagesCommand() *cobra.Command {
	var layers bool
	cmd := &cobra.Command{
		Use:   "images",
		Short: "List the images in the image store",
		Long: `List the images hcs pull downloaded: REFERENCE, ID (the manifest's digest,
which hcs rmi takes too), OS VERSION (the Windows build the image is for),
LAYERS, SIZE (config and compressed layers), SHARED (the part of SIZE in
layers other images use too) and PULLED.

With --layers, list the layers instead, each with the images that use it.
With -o json or yaml, each image has its reference, digests, platform,
config, layers (with their DiffIDs and, for foreign layers, URLs), created
and pulled times, and sharedSize; with --layers, each layer has its digest,
size and images.

hcs images prune deletes what no image uses.`,
		Example: `  hcs images
  hcs images --layers
  hcs images -o json | jq -r '.[].ref'`,
		Args:              cobra.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	cmd.AddCommand(a.imagesPruneCommand())
	out := formatFlag(cmd, formatTable, formatTable, formatJSON, formatYAML)
	store := storeFlag(cmd)
	cmd.Flags().BoolVar(&layers, "layers", false, "list the layers, with the images that use each")
	cmd.RunE = a.runE(func(cmd *cobra.Command, _ []string) error {
		s, err := openStore(*store)
		if err != nil {
			return a.failure("images", "", err)
		}
		ims, err := s.List(cmd.Context())
		if err != nil {
			return a.failure("images", "", err)
		}
		users := layerUsers(ims)
		if layers {
			rows := layerRows(ims, users)
			if *out != formatTable {
				return writeData(a.stdout, *out, rows)
			}
			tw := newTable(a.stdout)
			fmt.Fprintln(tw, "LAYER\tSIZE\tIMAGES")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Digest.Short(), humanBytes(float64(r.Size)), cell(strings.Join(r.Images, ", ")))
			}
			return tw.Flush()
		}
		rows := make([]imageRow, len(ims))
		for i, im := range ims {
			rows[i] = imageRow{Image: im}
			for _, l := range im.Layers {
				if len(users[l.Digest]) > 1 {
					rows[i].SharedSize += l.Size
				}
			}
		}
		if *out != formatTable {
			return writeData(a.stdout, *out, rows)
		}
		tw := newTable(a.stdout)
		fmt.Fprintln(tw, "REFERENCE\tID\tOS VERSION\tLAYERS\tSIZE\tSHARED\tPULLED")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s ago\n", cell(r.Ref), r.Digest.Short(), cell(r.Platform.OSVersion), len(r.Layers),
				humanBytes(float64(r.Size())), humanBytes(float64(r.SharedSize)), humanDuration(time.Since(r.Pulled)))
		}
		return tw.Flush()
	})
	return cmd
}

// imageRow is an image as hcs images shows it.
type imageRow struct {
	images.Image
	// SharedSize is the size of its layers that other images use too.
	SharedSize int64 `json:"sharedSize"`
}

// layerRow is a layer as hcs images --layers shows it.
type layerRow struct {
	Digest images.Digest `json:"digest"`
	Size   int64         `json:"size"`
	Images []string      `json:"images"`
}

// layerUsers maps each layer to the references of the images that use it.
func layerUsers(ims []images.Image) map[images.Digest][]string {
	users := map[images.Digest][]string{}
	for _, im := range ims {
		for _, l := range im.Layers {
			if !slices.Contains(users[l.Digest], im.Ref) {
				users[l.Digest] = append(users[l.Digest], im.Ref)
			}
		}
	}
	return users
}

// layerRows lists the store's layers, those most shared first.
func layerRows(ims []images.Image, users map[images.Digest][]string) []layerRow {
	var rows []layerRow
	seen := map[images.Digest]bool{}
	for _, im := range ims {
		for _, l := range im.Layers {
			if !seen[l.Digest] {
				seen[l.Digest] = true
				rows = append(rows, layerRow{Digest: l.Digest, Size: l.Size, Images: users[l.Digest]})
			}
		}
	}
	slices.SortStableFunc(rows, func(a, b layerRow) int { return len(b.Images) - len(a.Images) })
	return rows
}
