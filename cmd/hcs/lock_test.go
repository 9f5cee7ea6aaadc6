package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gohcs/hcs/internal/filelock"
	"github.com/gohcs/hcs/internal/winetest"
)

// holdLock locks the state file path exclusively, as another hcs command
// would, until the test ends.
func holdLock(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if ok, err := filelock.TryLock(f, true); !ok || err != nil {
		t.Fatalf("locking %s.lock: %v, %v", path, ok, err)
	}
	t.Cleanup(func() { filelock.Unlock(f) })
}

// TestLockWaitInterrupted checks that a command waiting for the state
// file's lock says so after a while and ends when interrupted: the test
// interrupts it once it has said so. The lock stays held, so the command
// can only end by the interruption.
func TestLockWaitInterrupted(t *testing.T) {
	path := filepath.Join(winetest.TempDir(t), "sim.json")
	holdLock(t, path)
	notice := "hcs: waiting for another hcs command holding " + path + ".lock\n"
	for _, args := range [][]string{
		{"list"},
		{"start", "web"},
		{"stats", "--watch", "web"},
	} {
		var out syncBuffer
		errOut := &syncBuffer{pattern: regexp.MustCompile(regexp.QuoteMeta(notice)), match: make(chan []string, 10)}
		a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: errOut}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		start := time.Now()
		go func() { done <- a.execute(ctx, append([]string{"--sim-state", path}, args...)) }()
		select {
		case <-errOut.match:
		case code := <-done:
			t.Fatalf("%v: exit status %d before interrupted; stderr:\n%s", args, code, errOut.String())
		}
		// The notice comes once the command has waited filelock.Notice: it
		// cannot come sooner, however fast or slow the machine.
		if d := time.Since(start); d < filelock.Notice {
			t.Errorf("%v: notice after %v, before %v of waiting", args, d, filelock.Notice)
		}
		cancel()
		if code := <-done; code != exitInterrupted {
			t.Errorf("%v: exit status %d, want %d; stderr:\n%s", args, code, exitInterrupted, errOut.String())
		}
		if strings.Count(errOut.String(), notice) != 1 {
			t.Errorf("%v: stderr:\n%s\nwant once: %s", args, errOut.String(), notice)
		}
		if want := "hcs " + args[0] + ": interrupted\n"; !strings.HasSuffix(errOut.String(), want) {
			t.Errorf("%v: stderr:\n%s\nwant it to end with: %s", args, errOut.String(), want)
		}
	}
}

// TestCancelledCommandSkipsHCS checks that a command whose context ended
// before it had the state file's lock makes no call.
func TestCancelledCommandSkipsHCS(t *testing.T) {
	dir := winetest.TempDir(t)
	path := filepath.Join(dir, "sim.json")
	doc := filepath.Join(dir, "web.json")
	if err := os.WriteFile(doc, []byte(`{"Owner":"me","Container":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut syncBuffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code := a.execute(ctx, []string{"--sim-state", path, "create", "--id", "web", "-f", doc}); code != exitInterrupted {
		t.Errorf("exit status %d, want %d; stderr:\n%s", code, exitInterrupted, errOut.String())
	}
	a = &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}
	if code := a.execute(context.Background(), []string{"--sim-state", path, "list", "-o", "json"}); code != 0 {
		t.Fatalf("list: exit status %d; stderr:\n%s", code, errOut.String())
	}
	if strings.Contains(out.String(), "web") {
		t.Errorf("the cancelled create created web:\n%s", out.String())
	}
}
