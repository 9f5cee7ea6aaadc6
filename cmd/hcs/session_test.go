package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/gohcs/hcs/internal/winetest"
)

// TestNoticeOnTerminal checks that hcs says it uses the simulator on a
// terminal even when the state file exists, and not once chosen.
func TestNoticeOnTerminal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("on Windows hcs drives the local HCS unless told otherwise: it has no notice to give")
	}
	dir := winetest.TempDir(t)
	t.Setenv(stateEnv, "")
	t.Setenv("XDG_CACHE_HOME", dir)
	t.Setenv("HOME", dir)
	run := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errWriter{w: &errOut, tty: true}}
		if code := a.execute(context.Background(), args); code != 0 {
			t.Fatalf("%v: exit status %d: %s", args, code, errOut.String())
		}
		return errOut.String()
	}
	run("list") // the first use
	path, err := (&app{}).statePath()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, emptyState, 0o600); err != nil {
		t.Fatal(err)
	}
	notice := regexp.MustCompile(`^hcs: HCS runs on Windows only: using the simulator, its state in .*sim\.json ` +
		`\(--sim or \$HCS_SIM_STATE hides this notice\)\n$`)
	if got := run("list"); !notice.MatchString(got) {
		t.Errorf("on a terminal, stderr %q", got)
	}
	if got := run("--sim", "list"); got != "" {
		t.Errorf("with --sim, stderr %q", got)
	}
	if got := run("__complete", "start", ""); strings.Contains(got, "simulator") {
		t.Errorf("completing, stderr %q", got)
	}
}
