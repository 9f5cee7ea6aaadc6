package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestMain runs either the tests or, when the test binary is started under
// the name hcs, the hcs command itself: the scripts in testdata/script run
// it that way, from a copy of the test binary on PATH. (testscript.Main
// would do the same, but its cleanup uses os.RemoveAll, which fails under
// Wine.) The in-process tests are checked for leaked goroutines.
//
// Run as hcs with $HCS_TEST_LOG set, the command appends the events of
// testHook to that file, one line each, for scripts to wait for.
func TestMain(m *testing.M) {
	if strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe") == "hcs" {
		if path := os.Getenv(testLogEnv); path != "" {
			testHook = func(event string) { logEvent(path, event) }
		}
		main()
	}
	os.Exit(runTests(m))
}

// testLogEnv names the environment variable that gives the file of the
// test events of hcs.
const testLogEnv = "HCS_TEST_LOG"

// logEvent appends the line event to the file path, which several hcs
// commands may write at once: each line is one append. A failure is
// reported on stderr, where the script that waits in vain for the line
// shows it.
func logEvent(path, event string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err == nil {
		_, err = f.WriteString(event + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "hcs test log: %v\n", err)
	}
}

func runTests(m *testing.M) int {
	bin, err := os.MkdirTemp("", "hcs-bin-")
	if err == nil {
		// Scripts run hcs as another user too (see cmdUnder).
		err = os.Chmod(bin, 0o755)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	exe := filepath.Join(bin, "hcs")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	defer func() {
		// os.Remove, not os.RemoveAll: see internal/winetest.
		os.Remove(exe)
		os.Remove(bin)
	}()
	if err := copyExecutable(exe); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	return code
}

// setTestHook sets testHook to hook until the test ends.
func setTestHook(t *testing.T, hook func(event string)) {
	t.Helper()
	if testHook != nil {
		t.Fatal("testHook is set already")
	}
	testHook = hook
	t.Cleanup(func() { testHook = nil })
}

// copyExecutable copies the test binary to path.
func copyExecutable(path string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	src, err := os.Open(self)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	return err
}
