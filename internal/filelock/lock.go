// Package filelock locks files between processes, exclusively or shared:
// flock on Unix, LockFileEx on Windows. The hcs command locks the
// simulator's state file with it, package images its content store.
package filelock

import (
	"context"
	"os"
	"time"
)

// Lock polling: the first retry comes after retryMin, and the interval
// doubles up to retryMax. A wait longer than Notice is announced.
const (
	retryMin = 5 * time.Millisecond
	retryMax = 100 * time.Millisecond
	// Notice is how long Lock waits before it calls its waiting function.
	Notice = time.Second
)

// Lock locks f, exclusively or shared, waiting until it can or ctx ends.
// It calls waiting once if it has waited Notice (waiting may be nil). It
// returns ctx's error, without the lock, when ctx ended before the lock
// was obtained or just as it was: a cancelled caller must not go on.
func Lock(ctx context.Context, f *os.File, exclusive bool, waiting func()) error {
	start := time.Now()
	retry := retryMin
	announced := false
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		ok, err := TryLock(f, exclusive)
		if err != nil {
			return err
		}
		if ok {
			if err := ctx.Err(); err != nil {
				_ = Unlock(f)
				return err
			}
			return nil
		}
		if !announced && waiting != nil && time.Since(start) >= Notice {
			waiting()
			announced = true
		}
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		retry = min(2*retry, retryMax)
	}
}
