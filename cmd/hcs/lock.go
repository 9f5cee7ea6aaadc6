package main

import (
	"context"
	"os"
	"time"
)

// Lock polling: the first retry comes after lockRetryMin, and the interval
// doubles up to lockRetryMax. A wait longer than lockNotice is announced.
const (
	lockRetryMin = 5 * time.Millisecond
	lockRetryMax = 100 * time.Millisecond
	lockNotice   = time.Second
)

// lockFile locks f, exclusively or shared, waiting until it can or ctx ends.
// It calls waiting once if it has waited lockNotice (waiting may be nil).
// It returns ctx's error, without the lock, when ctx ended before the lock
// was obtained or just as it was; a cancelled command must not go on to
// call HCS.
func lockFile(ctx context.Context, f *os.File, exclusive bool, waiting func()) error {
	start := time.Now()
	retry := lockRetryMin
	announced := false
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		ok, err := tryLockFile(f, exclusive)
		if err != nil {
			return err
		}
		if ok {
			if err := ctx.Err(); err != nil {
				_ = unlockFile(f)
				return err
			}
			return nil
		}
		if !announced && waiting != nil && time.Since(start) >= lockNotice {
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
		retry = min(2*retry, lockRetryMax)
	}
}
