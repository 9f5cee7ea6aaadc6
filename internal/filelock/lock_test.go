package filelock

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gohcs/hcs/internal/winetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// open opens path again: locks conflict between separate opens of a file,
// in one process as between two.
func open(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestExclusion(t *testing.T) {
	path := filepath.Join(winetest.TempDir(t), "lock")
	a, b := open(t, path), open(t, path)
	if ok, err := TryLock(a, false); !ok || err != nil {
		t.Fatalf("shared lock: %v, %v", ok, err)
	}
	if ok, err := TryLock(b, false); !ok || err != nil {
		t.Fatalf("second shared lock: %v, %v", ok, err)
	}
	if err := Unlock(b); err != nil {
		t.Fatal(err)
	}
	if ok, err := TryLock(b, true); ok || err != nil {
		t.Fatalf("exclusive lock beside a shared one: %v, %v", ok, err)
	}
	if err := Unlock(a); err != nil {
		t.Fatal(err)
	}
	if ok, err := TryLock(b, true); !ok || err != nil {
		t.Fatalf("exclusive lock once free: %v, %v", ok, err)
	}
	if ok, err := TryLock(a, false); ok || err != nil {
		t.Fatalf("shared lock beside an exclusive one: %v, %v", ok, err)
	}
	Unlock(b)
}

// TestLockWaits checks that Lock waits for the holder, announces a long
// wait once, and gives up when its context ends.
func TestLockWaits(t *testing.T) {
	path := filepath.Join(winetest.TempDir(t), "lock")
	a, b := open(t, path), open(t, path)
	if ok, err := TryLock(a, true); !ok || err != nil {
		t.Fatalf("%v, %v", ok, err)
	}
	var announced atomic.Int32
	released := make(chan struct{})
	waiting := func() {
		if announced.Add(1) == 1 {
			Unlock(a) // the holder lets go once the wait is announced
			close(released)
		}
	}
	if err := Lock(context.Background(), b, true, waiting); err != nil {
		t.Fatal(err)
	}
	<-released
	if n := announced.Load(); n != 1 {
		t.Errorf("announced %d times, want 1", n)
	}
	Unlock(b)

	TryLock(a, true)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := Lock(ctx, b, false, nil); err != context.DeadlineExceeded {
		t.Errorf("Lock with a held lock and an ending context: %v", err)
	}
	Unlock(a)
}
