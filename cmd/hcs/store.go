package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

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

// foreignEnv lists, comma-separated, hosts foreign layers may be
// downloaded from besides Microsoft's, when --allow-foreign-host does not.
const foreignEnv = "HCS_FOREIGN_HOSTS"

// foreignFlag adds --allow-foreign-host to a command that pulls, and
// returns the function making its PullOptions.ForeignURLs.
func foreignFlag(cmd *cobra.Command) func() (func(*url.URL) bool, error) {
	var hosts []string
	for h := range strings.SplitSeq(os.Getenv(foreignEnv), ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	cmd.Flags().StringArrayVar(&hosts, "allow-foreign-host", hosts,
		"also download foreign layers from `HOST` (host, host:port or *.domain; https only unless given as http://HOST; repeatable; default $"+foreignEnv+", comma-separated)")
	_ = cmd.RegisterFlagCompletionFunc("allow-foreign-host", cobra.NoFileCompletions)
	return func() (func(*url.URL) bool, error) {
		for _, h := range hosts {
			if err := images.CheckForeignHost(h); err != nil {
				return nil, &usageError{"--allow-foreign-host: " + err.Error()}
			}
		}
		if len(hosts) == 0 {
			return images.DefaultForeignURL, nil
		}
		more := images.ForeignHosts(hosts...)
		return func(u *url.URL) bool { return images.DefaultForeignURL(u) || more(u) }, nil
	}
}
