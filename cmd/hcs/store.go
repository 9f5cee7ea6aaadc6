package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs/images"
)

// storeEnv names the image store when --store does not.
const storeEnv = "HCS_IMAGE_STORE"

// storeFlag adds --store to an image command and returns where it goes.
func storeFlag(cmd *cobra.Command) *string {
	dir := new(string)
	cmd.Flags().StringVar(dir, "store", os.Getenv(storeEnv),
		"the image store's folder (default $"+storeEnv+", else "+defaultStoreHelp()+")")
	_ = cmd.MarkFlagDirname("store")
	return dir
}

// defaultStoreHelp says where the store lives by default, for help.
func defaultStoreHelp() string {
	if runtime.GOOS == "windows" {
		return `%ProgramData%\hcs\images`
	}
	return "hcs/images in the user cache directory"
}

// openStore opens the image store dir, or the default one: on Windows
// %ProgramData%\hcs\images, beside the layers HCS uses (hcs runs elevated
// there); elsewhere hcs/images in the user's cache directory, since the
// store holds what can be pulled again.
func openStore(dir string) (*images.Store, error) {
	if dir == "" {
		switch base := os.Getenv("ProgramData"); {
		case runtime.GOOS == "windows" && base == "":
			return nil, errors.New("no place for the image store (%ProgramData% is not set): use --store")
		case runtime.GOOS == "windows":
			dir = filepath.Join(base, "hcs", "images")
		default:
			cache, err := os.UserCacheDir()
			if err != nil {
				return nil, fmt.Errorf("no place for the image store (%v): use --store", err)
			}
			dir = filepath.Join(cache, "hcs", "images")
		}
	}
	return images.Open(dir)
}
