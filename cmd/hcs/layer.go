package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs/layers"
)

// hcs layer: the pieces of hcs run, one at a time.

func (a *app) layerCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "layer",
		Short: "Manage container layers: ids, scratch layers, mounts",
		Long: `Manage the layers containers run on, one step at a time: hcs run does all of
them. A layer is a folder: a read-only layer of an image (Files, Hives, and
a layerchain.json naming the layers below it) or a scratch layer (a
sandbox.vhdx), made with create-scratch. Parent layers are given with
--layer, nearest first, base last, or as the top layer alone when its
layerchain.json names the rest.

A mount outlives the command: hcs layer mount prints the volume a container
document names in Container.Storage.Path (with -o json, the whole Storage),
and hcs layer unmount releases it, from any invocation. On Windows these
need an elevated prompt.`,
		Example: `  hcs layer create-scratch --layer C:\layers\app C:\scratch\web
  hcs layer mount --layer C:\layers\app C:\scratch\web
  hcs layer unmount C:\scratch\web && hcs layer destroy C:\scratch\web`,
	}
	cmd.AddCommand(a.layerIDCommand(), a.layerCreateScratchCommand(), a.layerMountCommand(),
		a.layerUnmountCommand(), a.layerDestroyCommand())
	return cmd
}

// layerHost returns the layer service of the command's session.
func (a *app) layerHost(cmd *cobra.Command, acc access) (*layers.Host, error) {
	s, err := a.open(cmd.Context(), acc)
	if err != nil {
		return nil, err
	}
	if s.layers == nil {
		return nil, errors.New("this host has no layer service")
	}
	return s.layers, nil
}

// parentLayers returns the parent layers --layer gives: a single one with
// a layerchain.json brings the layers below it.
func parentLayers(dirs []string) ([]string, error) {
	if len(dirs) == 1 {
		return layers.Chain(dirs[0])
	}
	return dirs, nil
}

func (a *app) layerIDCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "id DIR...",
		Short: "Print the id HCS knows each layer folder by",
		Long: `Print, one per line, the id of each layer folder: the GUID vmcompute.dll's
NameToGuid gives for the folder's name, which container documents name the
layer by. The simulator's ids differ from those of Windows.`,
		Args: cobra.MinimumNArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, dirs []string) error {
			lh, err := a.layerHost(cmd, readState)
			if err != nil {
				return err
			}
			for _, dir := range dirs {
				id, err := lh.LayerID(cmd.Context(), dir)
				if err != nil {
					return a.failure("layer id", "", err)
				}
				fmt.Fprintln(a.stdout, id)
			}
			return nil
		}),
	}
}

func (a *app) layerCreateScratchCommand() *cobra.Command {
	var (
		parents []string
		size    string
	)
	cmd := &cobra.Command{
		Use:   "create-scratch --layer DIR [--layer DIR...] [--size SIZE] SCRATCH",
		Short: "Make a folder a scratch layer over an image's layers",
		Long: `Make folder SCRATCH a scratch layer over the image's layers, the writable
layer a container runs on once mounted. The folder is created if missing.
--size sets the size of its disk (20GB by default, the least), in bytes or
with a unit: KB, MB, GB, TB (powers of 1024).`,
		Args: cobra.ExactArgs(1),
	}
	cmd.Flags().StringArrayVar(&parents, "layer", nil, "a parent layer folder, nearest first (required)")
	cmd.Flags().StringVar(&size, "size", "", "the size of the scratch layer's disk")
	_ = cmd.MarkFlagRequired("layer")
	cmd.RunE = a.runE(func(cmd *cobra.Command, args []string) error {
		bytes, err := parseSize(size)
		if err != nil {
			return err
		}
		lh, err := a.layerHost(cmd, writeState)
		if err != nil {
			return err
		}
		ps, err := parentLayers(parents)
		if err == nil {
			err = lh.CreateScratch(cmd.Context(), args[0], ps, bytes)
		}
		return a.failure("layer create-scratch", "", err)
	})
	return cmd
}

func (a *app) layerMountCommand() *cobra.Command {
	var parents []string
	cmd := &cobra.Command{
		Use:   "mount --layer DIR [--layer DIR...] SCRATCH",
		Short: "Mount a scratch layer over an image's layers",
		Long: `Mount scratch layer SCRATCH over the image's layers and print its volume
path, or with -o json the Storage of a container document that runs on it.
The mount stays until hcs layer unmount.`,
		Args: cobra.ExactArgs(1),
	}
	cmd.Flags().StringArrayVar(&parents, "layer", nil, "a parent layer folder, nearest first (required)")
	_ = cmd.MarkFlagRequired("layer")
	out := formatFlag(cmd, formatTable, formatTable, formatJSON, formatYAML)
	cmd.RunE = a.runE(func(cmd *cobra.Command, args []string) error {
		lh, err := a.layerHost(cmd, writeState)
		if err != nil {
			return err
		}
		ps, err := parentLayers(parents)
		if err != nil {
			return a.failure("layer mount", "", err)
		}
		m, err := lh.Mount(cmd.Context(), args[0], ps)
		if err != nil {
			return a.failure("layer mount", "", err)
		}
		if *out == formatTable {
			fmt.Fprintln(a.stdout, m.Volume())
			return nil
		}
		return writeData(a.stdout, *out, m.Storage())
	})
	return cmd
}

func (a *app) layerUnmountCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "unmount SCRATCH...",
		Short: "Unmount scratch layers, whoever mounted them",
		Long: `Unmount each scratch layer, mounted by hcs layer mount, by a hcs run that
was killed, or by another program. A container running on it must be
stopped first.`,
		Args: cobra.MinimumNArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, dirs []string) error {
			return a.eachLayer(cmd, dirs, func(lh *layers.Host, dir string) error {
				return lh.Unmount(cmd.Context(), dir)
			})
		}),
	}
}

func (a *app) layerDestroyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "destroy DIR...",
		Short: "Remove layer folders",
		Long: `Remove each layer folder, scratch or read-only, with all it holds. A folder
that does not exist is removed already; a mounted layer, or one below a
mounted layer, is refused.`,
		Args: cobra.MinimumNArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, dirs []string) error {
			return a.eachLayer(cmd, dirs, func(lh *layers.Host, dir string) error {
				return lh.Destroy(cmd.Context(), dir)
			})
		}),
	}
}

// eachLayer runs act on each layer folder of dirs, reporting each failure;
// it fails when any did, after trying them all.
func (a *app) eachLayer(cmd *cobra.Command, dirs []string, act func(*layers.Host, string) error) error {
	lh, err := a.layerHost(cmd, writeState)
	if err != nil {
		return err
	}
	command := "layer " + cmd.Name()
	failed := false
	for _, dir := range dirs {
		if err := act(lh, dir); err != nil {
			ferr := a.failure(command, "", err)
			var exit *exitError
			if errors.As(ferr, &exit) && exit.code == exitInterrupted {
				return ferr
			}
			fmt.Fprintln(a.stderr, ferr)
			failed = true
		}
	}
	if failed {
		return &exitError{code: exitFailure}
	}
	return nil
}

// parseSize parses a size in bytes, with an optional unit KB, MB, GB or TB
// (K, M, G, T, KiB, ... alike; powers of 1024). Empty is 0.
func parseSize(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	num := strings.TrimRight(strings.ToUpper(s), "IB")
	shift := 0
	if n := len(num); n > 0 {
		if i := strings.IndexByte("KMGT", num[n-1]); i >= 0 {
			shift, num = 10*(i+1), num[:n-1]
		}
	}
	v, err := strconv.ParseUint(strings.TrimSpace(num), 10, 64)
	if err != nil || v > (1<<64-1)>>shift {
		return 0, &usageError{fmt.Sprintf("--size %q: want a size such as 20GB or 21474836480", s)}
	}
	return v << shift, nil
}
