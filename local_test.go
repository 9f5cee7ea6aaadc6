package hcs_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/gohcs/hcs"
)

// TestLocalAndNewLocal checks that the shared Host cannot be configured
// after the fact and that NewLocal's options always apply: under Wine the
// call reaches the mock computecore.dll, elsewhere it fails with
// ErrNotSupported, and either way the new Host logs it.
func TestLocalAndNewLocal(t *testing.T) {
	first, second := hcs.Local(), hcs.Local()
	if first != second {
		t.Error("Local returned two Hosts")
	}
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, b := hcs.NewLocal(hcs.WithLogger(logger)), hcs.NewLocal()
	if a == b || a == first {
		t.Error("NewLocal returned a Host it returned before, or Local's")
	}
	_, errA := a.ListSystems(context.Background(), nil)
	if !strings.Contains(buf.String(), "op=list") {
		t.Errorf("the Host made with WithLogger did not log its call (error %v); log:\n%s", errA, buf.String())
	}
	buf.Reset()
	_, errB := b.ListSystems(context.Background(), nil)
	_, errL := hcs.Local().ListSystems(context.Background(), nil)
	if buf.Len() != 0 {
		t.Errorf("Hosts made without a logger logged:\n%s", buf.String())
	}
	if (errA == nil) != (errB == nil) || (errB == nil) != (errL == nil) {
		t.Errorf("the Hosts disagree: %v, %v, %v", errA, errB, errL)
	}
}
