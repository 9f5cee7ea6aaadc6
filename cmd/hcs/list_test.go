package main

import (
	"testing"
	"time"
)

func TestUptimeBetween(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := uptimeBetween(start, start.Add(time.Second)); got != 10_000_000 {
		t.Errorf("uptime of a second: %d, want 10000000", got)
	}
	// The clocks disagree: the sample predates the start.
	if got := uptimeBetween(start, start.Add(-time.Second)); got != 0 {
		t.Errorf("uptime with skew: %d, want 0", got)
	}
}
