//go:build windows

package hcs_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

// decoyDLL is the decoy computecore.dll make wine builds
// (internal/winetest/decoy), relative to this package's directory.
const decoyDLL = ".build/wine/decoy/computecore.dll"

// TestDLLSearchSystem32Only shows that hcs.Local loads computecore.dll from
// System32 only: with a decoy computecore.dll beside the executable, in the
// current directory and on PATH, a fresh process still loads System32's
// copy (the mock, under Wine). A second fresh process, loading the DLL by
// name with the default search order, gets the decoy: the placement would
// fool a loader that did not restrict the search.
func TestDLLSearchSystem32Only(t *testing.T) {
	if why := mockctl.Why(); why != "" {
		t.Skip("needs the mock computecore.dll installed by the Wine harness: " + why)
	}
	if _, err := os.Stat(decoyDLL); err != nil {
		t.Skipf("needs the decoy DLL built by make wine: %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	binDir, cwdDir := looseTempDir(t), looseTempDir(t)
	child := filepath.Join(binDir, filepath.Base(exe))
	copyFile(t, exe, child)
	copyFile(t, decoyDLL, filepath.Join(binDir, "computecore.dll"))
	copyFile(t, decoyDLL, filepath.Join(cwdDir, "computecore.dll"))

	for _, mode := range []string{"local", "naive"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(child, "-test.run=^TestDLLSearchChild$", "-test.v", "-test.timeout=2m")
			cmd.Dir = cwdDir
			cmd.Env = append(os.Environ(), "HCS_DECOY_CHILD="+mode, "PATH="+cwdDir+";"+binDir+";"+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "--- PASS: TestDLLSearchChild") {
				t.Fatalf("child (%s): %v\n%s", mode, err, out)
			}
			for _, line := range strings.Split(string(out), "\n") {
				if strings.Contains(line, "loaded ") {
					t.Log(strings.TrimSpace(line))
				}
			}
		})
	}
}

// TestWaitWithoutTimers: a program whose only goroutine waits for an HCS
// completion, with no timer pending, must not be declared deadlocked by
// the Go runtime (golang/go#55015: the runtime does not count a foreign
// thread that will call back). The child runs without -test.timeout, so it
// has no timer.
func TestWaitWithoutTimers(t *testing.T) {
	if why := mockctl.Why(); why != "" {
		t.Skip("needs the mock computecore.dll installed by the Wine harness: " + why)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestDLLSearchChild$", "-test.v")
	cmd.Env = append(os.Environ(), "HCS_DECOY_CHILD=notimer")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestDLLSearchChild") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// TestDLLSearchChild is the fresh process of TestDLLSearchSystem32Only.
func TestDLLSearchChild(t *testing.T) {
	mode := os.Getenv("HCS_DECOY_CHILD")
	if mode == "" {
		t.Skip("run by TestDLLSearchSystem32Only in a fresh process")
	}
	sys32, err := windows.GetSystemDirectory()
	if err != nil {
		t.Fatal(err)
	}
	switch mode {
	case "local":
		// The production path: everything hcs.Local does.
		if _, err := hcs.Local().ListSystems(context.Background(), nil); err != nil {
			t.Fatalf("hcs.Local().ListSystems: %v (the decoy has no HCS entry point)", err)
		}
		path, marker := loadedComputecore(t)
		t.Logf("loaded %s (DecoyMarker export: %v)", path, marker)
		if !strings.EqualFold(filepath.Dir(path), sys32) {
			t.Errorf("computecore.dll loaded from %s, want %s", path, sys32)
		}
		if marker {
			t.Error("the loaded computecore.dll is the decoy")
		}
		if !mockctl.Available() {
			t.Error("the loaded computecore.dll is not the mock")
		}
	case "notimer":
		// For TestWaitWithoutTimers: the process has no timer.
		mockctl.SetCompletionDelay(20 * time.Millisecond)
		if _, err := hcs.Local().ListSystems(context.Background(), nil); err != nil {
			t.Fatalf("ListSystems: %v", err)
		}
	case "naive":
		// The control: a plain LoadLibrary searches the executable's
		// folder first.
		if _, err := windows.LoadLibrary("computecore.dll"); err != nil {
			t.Fatalf("LoadLibrary: %v", err)
		}
		path, marker := loadedComputecore(t)
		t.Logf("loaded %s by a plain LoadLibrary (DecoyMarker export: %v)", path, marker)
		if !marker || strings.EqualFold(filepath.Dir(path), sys32) {
			t.Errorf("a plain LoadLibrary loaded %s, not the decoy: the test's decoy placement proves nothing", path)
		}
	default:
		t.Fatalf("HCS_DECOY_CHILD=%q", mode)
	}
}

// loadedComputecore returns the path of the computecore.dll loaded in this
// process and whether it exports the decoy's marker.
func loadedComputecore(t *testing.T) (string, bool) {
	name, _ := windows.UTF16PtrFromString("computecore.dll")
	var mod windows.Handle
	if err := windows.GetModuleHandleEx(windows.GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT, name, &mod); err != nil {
		t.Fatalf("computecore.dll is not loaded: %v", err)
	}
	buf := make([]uint16, windows.MAX_LONG_PATH)
	n, err := windows.GetModuleFileName(mod, &buf[0], uint32(len(buf)))
	if err != nil {
		t.Fatalf("GetModuleFileName: %v", err)
	}
	_, err = windows.GetProcAddress(mod, "DecoyMarker")
	return windows.UTF16ToString(buf[:n]), err == nil
}

// looseTempDir is t.TempDir whose removal may fail: Wine refuses, for a
// while, to delete a DLL a process that exited had loaded.
func looseTempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "hcs-dll-search-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
