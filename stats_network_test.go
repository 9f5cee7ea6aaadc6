package hcs

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gohcs/hcs/schema"
)

// endpoint is a Network entry for tests: bytes and packets received and
// sent, and the drop counters when drops is set.
func endpoint(id string, rx, tx, prx, ptx uint64, drops ...uint64) schema.NetworkStats {
	e := schema.NetworkStats{EndpointID: id, BytesReceived: u64(rx), BytesSent: u64(tx),
		PacketsReceived: u64(prx), PacketsSent: u64(ptx)}
	if len(drops) == 2 {
		e.DroppedPacketsIncoming, e.DroppedPacketsOutgoing = u64(drops[0]), u64(drops[1])
	}
	return e
}

// withNetwork returns the statistics of s carrying the endpoints eps (nil
// for no Network array).
func withNetwork(s sample, eps []schema.NetworkStats) *schema.Statistics {
	st := s.stats()
	st.Network = eps
	return st
}

const (
	epA = "5b7e1f3c-8a9d-4c2e-b1f0-6d5e4c3b2a19"
	epB = "0f9e8d7c-6b5a-4938-a7b6-c5d4e3f2a1b0"
	epC = "41c2d3e4-f5a6-4b7c-8d9e-0a1b2c3d4e5f"
)

func TestStatsNetwork(t *testing.T) {
	// Two samples 10 s apart of a system up 60 s, then 70 s.
	before, after := full(0, 60*time.Second, 0, 0), full(10*time.Second, 70*time.Second, 0, 0)
	type want struct {
		restarted bool
		interval  time.Duration
		endpoints []EndpointUsage // nil Network when endpoints is nil and none is set
		none      bool            // Network must be nil
	}
	for _, tc := range []struct {
		name      string
		prev, cur []schema.NetworkStats
		prevS     *sample // default before
		want      want
	}{
		{
			name: "several endpoints",
			prev: []schema.NetworkStats{endpoint(epA, 1000, 500, 10, 5, 1, 0), endpoint(epB, 0, 0, 0, 0)},
			cur:  []schema.NetworkStats{endpoint(epA, 21000, 2500, 30, 25, 11, 2), endpoint(epB, 4096, 1024, 4, 2)},
			want: want{interval: 10 * time.Second, endpoints: []EndpointUsage{
				{EndpointID: epA, ReceiveBytesPerSecond: 2000, TransmitBytesPerSecond: 200,
					ReceivePacketsPerSecond: 2, TransmitPacketsPerSecond: 2,
					Dropped: &DropUsage{ReceivePerSecond: 1, TransmitPerSecond: 0.2}},
				{EndpointID: epB, ReceiveBytesPerSecond: 409.6, TransmitBytesPerSecond: 102.4,
					ReceivePacketsPerSecond: 0.4, TransmitPacketsPerSecond: 0.2},
			}},
		},
		{
			name: "an endpoint appears: counted from the next sample",
			prev: []schema.NetworkStats{endpoint(epA, 0, 0, 0, 0)},
			cur:  []schema.NetworkStats{endpoint(epC, 1e6, 1e6, 1e3, 1e3), endpoint(epA, 100, 0, 1, 0)},
			want: want{interval: 10 * time.Second, endpoints: []EndpointUsage{
				{EndpointID: epA, ReceiveBytesPerSecond: 10, ReceivePacketsPerSecond: 0.1},
			}},
		},
		{
			name: "an endpoint disappears",
			prev: []schema.NetworkStats{endpoint(epA, 0, 0, 0, 0), endpoint(epB, 0, 0, 0, 0)},
			cur:  []schema.NetworkStats{endpoint(epB, 50, 50, 5, 5)},
			want: want{interval: 10 * time.Second, endpoints: []EndpointUsage{
				{EndpointID: epB, ReceiveBytesPerSecond: 5, TransmitBytesPerSecond: 5,
					ReceivePacketsPerSecond: 0.5, TransmitPacketsPerSecond: 0.5},
			}},
		},
		{
			name: "the last endpoint disappears",
			prev: []schema.NetworkStats{endpoint(epA, 0, 0, 0, 0)},
			cur:  []schema.NetworkStats{},
			want: want{interval: 10 * time.Second, endpoints: []EndpointUsage{}},
		},
		{
			name: "a counter reset: it counts from zero, the others go on",
			prev: []schema.NetworkStats{endpoint(epA, 5000, 5000, 50, 50, 7, 7), endpoint(epB, 100, 100, 1, 1)},
			cur:  []schema.NetworkStats{endpoint(epA, 300, 6000, 3, 60, 0, 9), endpoint(epB, 200, 200, 2, 2)},
			want: want{restarted: true, interval: 10 * time.Second, endpoints: []EndpointUsage{
				{EndpointID: epA, ReceiveBytesPerSecond: 30, TransmitBytesPerSecond: 100,
					ReceivePacketsPerSecond: 0.3, TransmitPacketsPerSecond: 1,
					Dropped: &DropUsage{ReceivePerSecond: 0, TransmitPerSecond: 0.2}},
				{EndpointID: epB, ReceiveBytesPerSecond: 10, TransmitBytesPerSecond: 10,
					ReceivePacketsPerSecond: 0.1, TransmitPacketsPerSecond: 0.1},
			}},
		},
		{
			name:  "the system restarted: every endpoint counts from the restart, new ones too",
			prevS: &sample{at: 0, uptime: u64(uint64(600 * time.Second / 100))},
			prev:  []schema.NetworkStats{endpoint(epA, 1e9, 1e9, 1e6, 1e6)},
			cur:   []schema.NetworkStats{endpoint(epA, 400, 200, 4, 2), endpoint(epC, 800, 0, 8, 0, 4, 0)},
			// after is up 70 s, more than the 10 s interval: the rates are over 10 s.
			want: want{restarted: true, interval: 10 * time.Second, endpoints: []EndpointUsage{
				{EndpointID: epA, ReceiveBytesPerSecond: 40, TransmitBytesPerSecond: 20,
					ReceivePacketsPerSecond: 0.4, TransmitPacketsPerSecond: 0.2},
				{EndpointID: epC, ReceiveBytesPerSecond: 80, ReceivePacketsPerSecond: 0.8,
					Dropped: &DropUsage{ReceivePerSecond: 0.4}},
			}},
		},
		{
			name: "endpoints match ignoring case",
			prev: []schema.NetworkStats{endpoint(epA, 0, 0, 0, 0)},
			cur:  []schema.NetworkStats{endpoint(strings.ToUpper(epA), 10, 10, 10, 10)},
			want: want{interval: 10 * time.Second, endpoints: []EndpointUsage{
				{EndpointID: strings.ToUpper(epA), ReceiveBytesPerSecond: 1, TransmitBytesPerSecond: 1,
					ReceivePacketsPerSecond: 1, TransmitPacketsPerSecond: 1},
			}},
		},
		{
			name: "no EndpointID, a duplicate, a missing counter: left out",
			prev: []schema.NetworkStats{endpoint("", 0, 0, 0, 0), endpoint(epA, 0, 0, 0, 0), endpoint(epB, 0, 0, 0, 0)},
			cur: []schema.NetworkStats{endpoint("", 10, 10, 10, 10), endpoint(epA, 10, 0, 0, 0),
				endpoint(epA, 99, 99, 99, 99), {EndpointID: epB, BytesReceived: u64(10)}},
			want: want{interval: 10 * time.Second, endpoints: []EndpointUsage{
				{EndpointID: epA, ReceiveBytesPerSecond: 1},
			}},
		},
		{
			name: "drops in one sample only",
			prev: []schema.NetworkStats{endpoint(epA, 0, 0, 0, 0)},
			cur:  []schema.NetworkStats{endpoint(epA, 0, 0, 0, 0, 5, 5)},
			want: want{interval: 10 * time.Second, endpoints: []EndpointUsage{{EndpointID: epA}}},
		},
		{name: "no Network in the previous sample", cur: []schema.NetworkStats{}, want: want{none: true}},
		{name: "no Network in the current sample", prev: []schema.NetworkStats{}, want: want{none: true}},
		{name: "no endpoints", prev: []schema.NetworkStats{}, cur: []schema.NetworkStats{}, want: want{endpoints: []EndpointUsage{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := before
			if tc.prevS != nil {
				p = *tc.prevS
			}
			u, err := UsageBetween(withNetwork(p, tc.prev), withNetwork(after, tc.cur), 1)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want.none {
				if u.Network != nil {
					t.Errorf("Network = %+v, want nil", u.Network)
				}
				return
			}
			if u.Restarted != tc.want.restarted {
				t.Errorf("Restarted = %v, want %v", u.Restarted, tc.want.restarted)
			}
			if tc.want.interval != 0 && u.Interval != tc.want.interval {
				t.Errorf("Interval = %v, want %v", u.Interval, tc.want.interval)
			}
			checkNetwork(t, u.Network, tc.want.endpoints)
		})
	}
}

// TestStatsNetworkStale checks that a stale sample is refused whatever its
// network counters.
func TestStatsNetworkStale(t *testing.T) {
	s := withNetwork(full(0, time.Minute, 0, 0), []schema.NetworkStats{endpoint(epA, 1, 1, 1, 1)})
	if _, err := UsageBetween(s, s, 1); !errors.Is(err, ErrStaleSample) {
		t.Errorf("UsageBetween of one sample twice: %v, want ErrStaleSample", err)
	}
}

// TestStatsNetworkNeverNegative checks that no network rate is negative,
// infinite or NaN, whatever the counters do.
func TestStatsNetworkNeverNegative(t *testing.T) {
	values := []uint64{0, 1, math.MaxUint64}
	for _, p := range values {
		for _, c := range values {
			prev := withNetwork(full(0, time.Minute, 0, 0), []schema.NetworkStats{endpoint(epA, p, p, p, p, p, p)})
			cur := withNetwork(full(time.Millisecond, time.Minute, 0, 0), []schema.NetworkStats{endpoint(epA, c, c, c, c, c, c)})
			u, err := UsageBetween(prev, cur, 1)
			if err != nil {
				t.Fatal(err)
			}
			e := u.Network.Endpoints[0]
			for _, v := range []float64{e.ReceiveBytesPerSecond, e.TransmitBytesPerSecond, e.ReceivePacketsPerSecond,
				e.TransmitPacketsPerSecond, e.Dropped.ReceivePerSecond, e.Dropped.TransmitPerSecond, u.Network.ReceiveBytesPerSecond} {
				if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("prev %d, cur %d: rate %v", p, c, v)
				}
			}
		}
	}
}

func checkNetwork(t *testing.T, got *NetworkUsage, want []EndpointUsage) {
	t.Helper()
	if got == nil {
		t.Fatalf("Network = nil, want %d endpoints", len(want))
	}
	if got.Endpoints == nil || len(got.Endpoints) != len(want) {
		t.Fatalf("Endpoints = %+v, want %+v", got.Endpoints, want)
	}
	var total EndpointUsage
	for i, w := range want {
		g := got.Endpoints[i]
		if g.EndpointID != w.EndpointID || !near(g.ReceiveBytesPerSecond, w.ReceiveBytesPerSecond) ||
			!near(g.TransmitBytesPerSecond, w.TransmitBytesPerSecond) || !near(g.ReceivePacketsPerSecond, w.ReceivePacketsPerSecond) ||
			!near(g.TransmitPacketsPerSecond, w.TransmitPacketsPerSecond) {
			t.Errorf("endpoint %d = %+v, want %+v", i, g, w)
		}
		if (g.Dropped == nil) != (w.Dropped == nil) ||
			g.Dropped != nil && (!near(g.Dropped.ReceivePerSecond, w.Dropped.ReceivePerSecond) ||
				!near(g.Dropped.TransmitPerSecond, w.Dropped.TransmitPerSecond)) {
			t.Errorf("endpoint %d drops = %+v, want %+v", i, g.Dropped, w.Dropped)
		}
		total.ReceiveBytesPerSecond += w.ReceiveBytesPerSecond
		total.TransmitBytesPerSecond += w.TransmitBytesPerSecond
		total.ReceivePacketsPerSecond += w.ReceivePacketsPerSecond
		total.TransmitPacketsPerSecond += w.TransmitPacketsPerSecond
	}
	if !near(got.ReceiveBytesPerSecond, total.ReceiveBytesPerSecond) || !near(got.TransmitBytesPerSecond, total.TransmitBytesPerSecond) ||
		!near(got.ReceivePacketsPerSecond, total.ReceivePacketsPerSecond) || !near(got.TransmitPacketsPerSecond, total.TransmitPacketsPerSecond) {
		t.Errorf("totals = %+v, want the sums of %+v", *got, want)
	}
}
