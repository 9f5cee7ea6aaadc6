//go:build windows

package hcs_test

import (
	"context"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

// TestStressMock runs the stress cycles through the FFI on the mock
// computecore.dll (under Wine): the same checks, plus the mock's count of
// live handles and of result strings never freed. make stress runs it with
// -gcflags=all=-d=checkptr.
func TestStressMock(t *testing.T) {
	if why := mockctl.Why(); why != "" {
		t.Skip("needs the mock computecore.dll installed by the Wine harness: " + why)
	}
	mockctl.Reset()
	const latency = time.Millisecond
	mockctl.SetCompletionDelay(latency)
	defer mockctl.SetCompletionDelay(0)
	runStress(t, hcs.Local(), 3*latency, func(ctx context.Context) map[string]int {
		for mockctl.CallbacksInFlight() != 0 && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
		return map[string]int{
			"mock handles":             int(mockctl.LiveHandles()),
			"mock result strings":      int(mockctl.OutstandingResults()),
			"mock callbacks in flight": int(mockctl.CallbacksInFlight()),
		}
	})
}
