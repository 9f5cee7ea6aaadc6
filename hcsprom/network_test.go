package hcsprom

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/schema"
)

// statsCollector sends the metrics of one statistics sample, which the
// test sets between scrapes, through the Collector's own code.
type statsCollector struct {
	c  *Collector
	st *schema.Statistics
}

func (s *statsCollector) Describe(ch chan<- *prometheus.Desc) { s.c.Describe(ch) }

func (s *statsCollector) Collect(ch chan<- prometheus.Metric) {
	s.c.sendStatistics(ch, hcs.SystemInfo{ID: "web", Owner: "docker"}, s.st)
}

func netStats(entries ...schema.NetworkStats) *schema.Statistics {
	return &schema.Statistics{Network: entries}
}

func endpoint(id string, rx, tx, prx, ptx uint64, drops ...uint64) schema.NetworkStats {
	e := schema.NetworkStats{EndpointID: id, BytesReceived: &rx, BytesSent: &tx, PacketsReceived: &prx, PacketsSent: &ptx}
	if len(drops) == 2 {
		e.DroppedPacketsIncoming, e.DroppedPacketsOutgoing = &drops[0], &drops[1]
	}
	return e
}

var networkMetrics = []string{
	"hcs_system_network_receive_bytes_total", "hcs_system_network_transmit_bytes_total",
	"hcs_system_network_receive_packets_total", "hcs_system_network_transmit_packets_total",
	"hcs_system_network_receive_packets_dropped_total", "hcs_system_network_transmit_packets_dropped_total",
}

// series returns the value of each network series of a scrape by
// "metric interface", the metric name without its hcs_system_network_
// prefix.
func series(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	mfs := gather(t, c)
	for _, name := range networkMetrics {
		for _, m := range mfs[name].GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["id"] != "web" || labels["owner"] != "docker" {
				t.Errorf("%s labels %v", name, labels)
			}
			out[strings.TrimPrefix(name, "hcs_system_network_")+" "+labels["interface"]] = m.GetCounter().GetValue()
		}
	}
	return out
}

func wantSeries(t *testing.T, got, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected series %s = %v", k, got[k])
		}
	}
}

// TestCollectorNetwork checks the network metrics of statistics with
// several endpoints, endpoints that appear and disappear between scrapes,
// a counter that resets, drop counters HCS leaves out, and entries that
// cannot be told apart.
func TestCollectorNetwork(t *testing.T) {
	const (
		a = "5b7e1f3c-8a9d-4c2e-b1f0-6d5e4c3b2a19"
		b = "0f9e8d7c-6b5a-4938-a7b6-c5d4e3f2a1b0"
		c = "41c2d3e4-f5a6-4b7c-8d9e-0a1b2c3d4e5f"
	)
	A, B, C := strings.ToUpper(a), strings.ToUpper(b), strings.ToUpper(c)
	sc := &statsCollector{c: NewCollector(nil)}

	// Two endpoints; the second without drop counters.
	sc.st = netStats(endpoint(a, 1000, 500, 10, 5, 2, 1), endpoint(b, 64, 32, 1, 1))
	wantSeries(t, series(t, sc), map[string]float64{
		"receive_bytes_total " + A: 1000, "transmit_bytes_total " + A: 500,
		"receive_packets_total " + A: 10, "transmit_packets_total " + A: 5,
		"receive_packets_dropped_total " + A: 2, "transmit_packets_dropped_total " + A: 1,
		"receive_bytes_total " + B: 64, "transmit_bytes_total " + B: 32,
		"receive_packets_total " + B: 1, "transmit_packets_total " + B: 1,
	})

	// A disappears, C appears, B's counters reset: the collector exports
	// what HCS reports, and rate() takes the drop as a reset.
	sc.st = netStats(endpoint(b, 8, 4, 1, 0), endpoint(c, 1, 2, 3, 4, 0, 0))
	wantSeries(t, series(t, sc), map[string]float64{
		"receive_bytes_total " + B: 8, "transmit_bytes_total " + B: 4,
		"receive_packets_total " + B: 1, "transmit_packets_total " + B: 0,
		"receive_bytes_total " + C: 1, "transmit_bytes_total " + C: 2,
		"receive_packets_total " + C: 3, "transmit_packets_total " + C: 4,
		"receive_packets_dropped_total " + C: 0, "transmit_packets_dropped_total " + C: 0,
	})

	// No endpoint, then no Network array: no network series.
	for _, st := range []*schema.Statistics{{Network: []schema.NetworkStats{}}, {}} {
		sc.st = st
		wantSeries(t, series(t, sc), map[string]float64{})
	}

	// An entry without EndpointId, and a repeated one (in another case):
	// left out, so that no two series clash; a missing counter is not
	// sent. The pedantic registry of gather fails on a clash.
	missing := schema.NetworkStats{EndpointID: c, BytesReceived: schema.Ptr[uint64](7)}
	sc.st = netStats(endpoint("", 1, 1, 1, 1), endpoint(a, 5, 5, 5, 5), endpoint(A, 9, 9, 9, 9), missing)
	wantSeries(t, series(t, sc), map[string]float64{
		"receive_bytes_total " + A: 5, "transmit_bytes_total " + A: 5,
		"receive_packets_total " + A: 5, "transmit_packets_total " + A: 5,
		"receive_bytes_total " + C: 7,
	})

	// An endpoint id that is not valid UTF-8 does not make the collector
	// panic.
	sc.st = netStats(endpoint("bad\xff", 1, 1, 1, 1))
	if got := series(t, sc); len(got) != 4 || got["receive_bytes_total BAD\uFFFD"] != 1 {
		t.Errorf("series %v", got)
	}
	if problems, err := testutil.CollectAndLint(sc); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
