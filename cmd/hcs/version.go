package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func (a *app) versionCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of hcs",
		Long: `Print the version of the module hcs was built from, the Go version and
platform, and the commit when the build recorded one.`,
		Example: "  hcs version\n  hcs version -o json",
		Args:    cobra.NoArgs,
	}
	out := formatFlag(cmd, formatTable, formatTable, formatJSON, formatYAML)
	cmd.RunE = a.runE(func(*cobra.Command, []string) error {
		v := buildVersion()
		if *out != formatTable {
			return writeData(a.stdout, *out, v)
		}
		fmt.Fprintf(a.stdout, "hcs %s\n%s %s/%s\n", v.Version, v.Go, v.OS, v.Arch)
		if v.Revision != "" {
			fmt.Fprintf(a.stdout, "revision %s%s\n", v.Revision, map[bool]string{true: " (modified)"}[v.Modified])
		}
		return nil
	})
	return cmd
}

// versionInfo is what hcs version reports.
type versionInfo struct {
	Version  string `json:"Version"`
	Go       string `json:"Go"`
	OS       string `json:"OS"`
	Arch     string `json:"Arch"`
	Revision string `json:"Revision,omitempty"`
	Modified bool   `json:"Modified,omitempty"`
}

// buildVersion reads the version from the build information.
func buildVersion() versionInfo {
	v := versionInfo{Version: moduleVersion(), Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Revision = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	return v
}

// moduleVersion returns the version of the module hcs was built from:
// v1.2.3 for go install ...@v1.2.3, "(devel)" in a working tree.
func moduleVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
