package hcsprom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
	"github.com/gohcs/hcs/schema"
)

// testTimeout bounds every wait of the tests.
const testTimeout = 30 * time.Second

// clock is a settable clock for the simulator.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newSim returns a simulator and a Host on it. At the end of the test, it
// checks that every handle was closed.
func newSim(t *testing.T, opts ...hcssim.Option) (*hcssim.Sim, *hcs.Host) {
	t.Helper()
	sim := hcssim.New(opts...)
	host := sim.Host()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if err := host.Drain(ctx); err != nil {
			t.Errorf("Drain: %v", err)
		}
		if err := sim.WaitIdle(ctx); err != nil {
			t.Errorf("WaitIdle: %v", err)
		}
		if n := sim.LiveHandles(); n != 0 {
			t.Errorf("%d handles left open", n)
		}
		sim.Close()
	})
	return sim, host
}

// create creates a container (or a virtual machine when vm is set) of
// owner, starts it unless state is "Created", pauses it when state is
// "Paused", and closes its handle: the system lives on in the simulator.
func create(t testing.TB, host *hcs.Host, id, owner, state string, vm bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	kind := "Container"
	if vm {
		kind = "VirtualMachine"
	}
	sys, err := host.CreateSystem(ctx, id, fmt.Sprintf(`{"Owner":%q,%q:{}}`, owner, kind))
	if err != nil {
		t.Error(err)
		return
	}
	defer sys.Close()
	if state == "Created" {
		return
	}
	if err := sys.Start(ctx); err != nil {
		t.Error(err)
		return
	}
	if state == "Paused" {
		if err := sys.Pause(ctx); err != nil {
			t.Error(err)
		}
	}
}

// terminate terminates the system id. It reports failures with t.Error,
// so it may run on any goroutine.
func terminate(t testing.TB, host *hcs.Host, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	sys, err := host.OpenSystem(ctx, id)
	if err != nil {
		t.Error(err)
		return
	}
	defer sys.Close()
	if err := sys.Terminate(ctx); err != nil {
		t.Error(err)
	}
}

// errorCounts returns the value of hcs_scrape_errors_total by op.
func errorCounts(c *Collector) map[string]float64 {
	counts := map[string]float64{}
	for _, op := range []string{opList, opOpen, opStatistics, opTimeout} {
		counts[op] = testutil.ToFloat64(c.scrapeErrors.WithLabelValues(op))
	}
	return counts
}

func wantErrors(t *testing.T, c *Collector, want map[string]float64) {
	t.Helper()
	got := errorCounts(c)
	for _, op := range []string{opList, opOpen, opStatistics, opTimeout} {
		if got[op] != want[op] {
			t.Errorf("hcs_scrape_errors_total{op=%q} = %v, want %v", op, got[op], want[op])
		}
	}
}

// gather scrapes c once through a pedantic registry, which checks the
// metrics against their descriptions, and returns the metric families by
// name. It reports failures with t.Error, so it may run on any goroutine.
func gather(t *testing.T, c prometheus.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Error(err)
		return nil
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Error(err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		byName[mf.GetName()] = mf
	}
	return byName
}

// ids returns the values of the id label of a family, as a set.
func ids(mf *dto.MetricFamily) map[string]bool {
	set := map[string]bool{}
	for _, m := range mf.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "id" {
				set[l.GetValue()] = true
			}
		}
	}
	return set
}

// TestCollectorMetrics checks every metric against the simulator's
// statistics, which advance with its clock: a system running for 100 s is
// busy a quarter of the time, two thirds of it in user mode, reads 100
// and writes 50 blocks of 4 KiB per second, and its network endpoint
// receives 200 packets of 1 KiB and sends 100 of 512 bytes per second,
// dropping one incoming packet every 10 s.
func TestCollectorMetrics(t *testing.T) {
	clk := &clock{now: time.Date(2026, 4, 21, 12, 0, 0, 0, time.UTC)}
	_, host := newSim(t, hcssim.WithClock(clk.Now))
	create(t, host, "web", "docker", "Running", false)
	create(t, host, "vm", "tests", "Paused", true)
	create(t, host, "new", "docker", "Created", false)
	clk.Advance(100 * time.Second)

	c := NewCollector(host)
	const want = `
# HELP hcs_system_cpu_seconds_total Processor time the compute system used since it started, by mode (user or kernel).
# TYPE hcs_system_cpu_seconds_total counter
hcs_system_cpu_seconds_total{id="vm",mode="kernel",owner="tests"} 0
hcs_system_cpu_seconds_total{id="vm",mode="user",owner="tests"} 0
hcs_system_cpu_seconds_total{id="web",mode="kernel",owner="docker"} 8.3333334
hcs_system_cpu_seconds_total{id="web",mode="user",owner="docker"} 16.6666666
# HELP hcs_system_info Compute systems of the host: always 1, labelled with the system's identity.
# TYPE hcs_system_info gauge
hcs_system_info{id="new",owner="docker",runtime_os="Windows",type="Container"} 1
hcs_system_info{id="vm",owner="tests",runtime_os="Windows",type="VirtualMachine"} 1
hcs_system_info{id="web",owner="docker",runtime_os="Windows",type="Container"} 1
# HELP hcs_system_memory_commit_bytes Memory the compute system has committed.
# TYPE hcs_system_memory_commit_bytes gauge
hcs_system_memory_commit_bytes{id="vm",owner="tests"} 2.68435456e+08
hcs_system_memory_commit_bytes{id="web",owner="docker"} 2.68435456e+08
# HELP hcs_system_memory_commit_peak_bytes Largest memory commit of the compute system since it started.
# TYPE hcs_system_memory_commit_peak_bytes gauge
hcs_system_memory_commit_peak_bytes{id="vm",owner="tests"} 3.145728e+08
hcs_system_memory_commit_peak_bytes{id="web",owner="docker"} 3.145728e+08
# HELP hcs_system_memory_private_working_set_bytes Private working set of the compute system: memory resident and not shared.
# TYPE hcs_system_memory_private_working_set_bytes gauge
hcs_system_memory_private_working_set_bytes{id="vm",owner="tests"} 2.01326592e+08
hcs_system_memory_private_working_set_bytes{id="web",owner="docker"} 2.01326592e+08
# HELP hcs_system_network_receive_bytes_total Bytes the network endpoint of the compute system received.
# TYPE hcs_system_network_receive_bytes_total counter
hcs_system_network_receive_bytes_total{id="vm",interface="1042EC24-D2FD-591C-A4AE-E7F4DA6BDB6D",owner="tests"} 0
hcs_system_network_receive_bytes_total{id="web",interface="0187F23C-6513-5472-897C-475428B56E2F",owner="docker"} 2.048e+07
# HELP hcs_system_network_receive_packets_dropped_total Incoming packets the network endpoint of the compute system dropped.
# TYPE hcs_system_network_receive_packets_dropped_total counter
hcs_system_network_receive_packets_dropped_total{id="vm",interface="1042EC24-D2FD-591C-A4AE-E7F4DA6BDB6D",owner="tests"} 0
hcs_system_network_receive_packets_dropped_total{id="web",interface="0187F23C-6513-5472-897C-475428B56E2F",owner="docker"} 10
# HELP hcs_system_network_receive_packets_total Packets the network endpoint of the compute system received.
# TYPE hcs_system_network_receive_packets_total counter
hcs_system_network_receive_packets_total{id="vm",interface="1042EC24-D2FD-591C-A4AE-E7F4DA6BDB6D",owner="tests"} 0
hcs_system_network_receive_packets_total{id="web",interface="0187F23C-6513-5472-897C-475428B56E2F",owner="docker"} 20000
# HELP hcs_system_network_transmit_bytes_total Bytes the network endpoint of the compute system sent.
# TYPE hcs_system_network_transmit_bytes_total counter
hcs_system_network_transmit_bytes_total{id="vm",interface="1042EC24-D2FD-591C-A4AE-E7F4DA6BDB6D",owner="tests"} 0
hcs_system_network_transmit_bytes_total{id="web",interface="0187F23C-6513-5472-897C-475428B56E2F",owner="docker"} 5.12e+06
# HELP hcs_system_network_transmit_packets_dropped_total Outgoing packets the network endpoint of the compute system dropped.
# TYPE hcs_system_network_transmit_packets_dropped_total counter
hcs_system_network_transmit_packets_dropped_total{id="vm",interface="1042EC24-D2FD-591C-A4AE-E7F4DA6BDB6D",owner="tests"} 0
hcs_system_network_transmit_packets_dropped_total{id="web",interface="0187F23C-6513-5472-897C-475428B56E2F",owner="docker"} 0
# HELP hcs_system_network_transmit_packets_total Packets the network endpoint of the compute system sent.
# TYPE hcs_system_network_transmit_packets_total counter
hcs_system_network_transmit_packets_total{id="vm",interface="1042EC24-D2FD-591C-A4AE-E7F4DA6BDB6D",owner="tests"} 0
hcs_system_network_transmit_packets_total{id="web",interface="0187F23C-6513-5472-897C-475428B56E2F",owner="docker"} 10000
# HELP hcs_system_state State of the compute system: 1 for its current state, 0 for the others.
# TYPE hcs_system_state gauge
hcs_system_state{id="new",owner="docker",state="Created"} 1
hcs_system_state{id="new",owner="docker",state="Paused"} 0
hcs_system_state{id="new",owner="docker",state="Running"} 0
hcs_system_state{id="new",owner="docker",state="SavedAsTemplate"} 0
hcs_system_state{id="new",owner="docker",state="Stopped"} 0
hcs_system_state{id="new",owner="docker",state="Unknown"} 0
hcs_system_state{id="vm",owner="tests",state="Created"} 0
hcs_system_state{id="vm",owner="tests",state="Paused"} 1
hcs_system_state{id="vm",owner="tests",state="Running"} 0
hcs_system_state{id="vm",owner="tests",state="SavedAsTemplate"} 0
hcs_system_state{id="vm",owner="tests",state="Stopped"} 0
hcs_system_state{id="vm",owner="tests",state="Unknown"} 0
hcs_system_state{id="web",owner="docker",state="Created"} 0
hcs_system_state{id="web",owner="docker",state="Paused"} 0
hcs_system_state{id="web",owner="docker",state="Running"} 1
hcs_system_state{id="web",owner="docker",state="SavedAsTemplate"} 0
hcs_system_state{id="web",owner="docker",state="Stopped"} 0
hcs_system_state{id="web",owner="docker",state="Unknown"} 0
# HELP hcs_system_storage_read_bytes_total Bytes the compute system read from storage since it started.
# TYPE hcs_system_storage_read_bytes_total counter
hcs_system_storage_read_bytes_total{id="vm",owner="tests"} 0
hcs_system_storage_read_bytes_total{id="web",owner="docker"} 4.096e+07
# HELP hcs_system_storage_reads_total Storage read operations of the compute system since it started, normalized by HCS (ReadCountNormalized).
# TYPE hcs_system_storage_reads_total counter
hcs_system_storage_reads_total{id="vm",owner="tests"} 0
hcs_system_storage_reads_total{id="web",owner="docker"} 10000
# HELP hcs_system_storage_write_bytes_total Bytes the compute system wrote to storage since it started.
# TYPE hcs_system_storage_write_bytes_total counter
hcs_system_storage_write_bytes_total{id="vm",owner="tests"} 0
hcs_system_storage_write_bytes_total{id="web",owner="docker"} 2.048e+07
# HELP hcs_system_storage_writes_total Storage write operations of the compute system since it started, normalized by HCS (WriteCountNormalized).
# TYPE hcs_system_storage_writes_total counter
hcs_system_storage_writes_total{id="vm",owner="tests"} 0
hcs_system_storage_writes_total{id="web",owner="docker"} 5000
# HELP hcs_system_uptime_seconds Time since the compute system started.
# TYPE hcs_system_uptime_seconds gauge
hcs_system_uptime_seconds{id="vm",owner="tests"} 100
hcs_system_uptime_seconds{id="web",owner="docker"} 100
# HELP hcs_scrape_errors_total Errors while scraping HCS, by operation (list, open, statistics, timeout); systems that vanish or stop during a scrape are not errors.
# TYPE hcs_scrape_errors_total counter
hcs_scrape_errors_total{op="list"} 0
hcs_scrape_errors_total{op="open"} 0
hcs_scrape_errors_total{op="statistics"} 0
hcs_scrape_errors_total{op="timeout"} 0
`
	// Everything but hcs_scrape_duration_seconds, whose value varies.
	names := []string{
		"hcs_system_cpu_seconds_total", "hcs_system_info",
		"hcs_system_memory_commit_bytes", "hcs_system_memory_commit_peak_bytes",
		"hcs_system_memory_private_working_set_bytes", "hcs_system_state",
		"hcs_system_storage_read_bytes_total", "hcs_system_storage_reads_total",
		"hcs_system_storage_write_bytes_total", "hcs_system_storage_writes_total",
		"hcs_system_uptime_seconds", "hcs_scrape_errors_total",
		"hcs_system_network_receive_bytes_total", "hcs_system_network_transmit_bytes_total",
		"hcs_system_network_receive_packets_total", "hcs_system_network_transmit_packets_total",
		"hcs_system_network_receive_packets_dropped_total", "hcs_system_network_transmit_packets_dropped_total",
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(c, "hcs_scrape_duration_seconds"); n != 1 {
		t.Errorf("%d hcs_scrape_duration_seconds, want 1", n)
	}
	// The collector is consistent: Describe covers what Collect sends,
	// with no duplicate series, as a pedantic registry checks.
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	gather(t, c)
}

func TestCollectorQuery(t *testing.T) {
	_, host := newSim(t)
	create(t, host, "a1", "a", "Running", false)
	create(t, host, "a2", "a", "Running", false)
	create(t, host, "b1", "b", "Running", false)
	c := NewCollector(host, WithQuery(&schema.SystemQuery{Owners: []string{"a"}}))
	// Concurrent scrapes are independent.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			mfs := gather(t, c)
			for _, name := range []string{"hcs_system_info", "hcs_system_cpu_seconds_total", "hcs_system_uptime_seconds"} {
				if got := ids(mfs[name]); len(got) != 2 || !got["a1"] || !got["a2"] {
					t.Errorf("%s ids = %v, want a1 and a2", name, got)
				}
			}
		})
	}
	wg.Wait()
	wantErrors(t, c, nil)
}

// TestWithQueryCopies checks that WithQuery keeps a deep copy: changing the
// caller's query afterwards, down to the bytes of an unknown member, changes
// nothing the collector selects.
func TestWithQueryCopies(t *testing.T) {
	// The copy names every field; a new one in the schema must be added.
	if n := reflect.TypeFor[schema.SystemQuery]().NumField(); n != 5 {
		t.Fatalf("schema.SystemQuery has %d fields; cloneQuery copies 5", n)
	}
	q := &schema.SystemQuery{
		IDs:     []string{"a1"},
		Names:   []string{"n"},
		Types:   []schema.SystemType{schema.SystemTypeContainer},
		Owners:  []string{"a"},
		Unknown: map[string]json.RawMessage{"Future": json.RawMessage(`"x"`)},
	}
	want, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	var cfg config
	WithQuery(q)(&cfg)
	q.IDs[0], q.Names[0], q.Types[0], q.Owners[0] = "b1", "m", schema.SystemTypeVirtualMachine, "b"
	q.Unknown["Future"][1] = 'y'
	q.Unknown["Other"] = json.RawMessage(`1`)
	q.Owners = append(q.Owners, "c")
	got, err := json.Marshal(cfg.query)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("the collector's query became %s, want %s", got, want)
	}

	WithQuery(nil)(&cfg)
	if cfg.query != nil {
		t.Errorf("WithQuery(nil) gave %+v, want nil", cfg.query)
	}

	// An end-to-end check: the query selects as given, not as modified.
	_, host := newSim(t)
	create(t, host, "a1", "a", "Running", false)
	create(t, host, "b1", "b", "Running", false)
	q = &schema.SystemQuery{Owners: []string{"a"}}
	c := NewCollector(host, WithQuery(q))
	q.Owners[0] = "b"
	if got := ids(gather(t, c)["hcs_system_info"]); len(got) != 1 || !got["a1"] {
		t.Errorf("hcs_system_info ids = %v, want a1", got)
	}
}

// TestCollectorSkipsVanishedSystems makes each kind of "the system is
// going away" error happen during a scrape: the system is left out and no
// error is counted.
func TestCollectorSkipsVanishedSystems(t *testing.T) {
	for _, tt := range []struct {
		name   string
		call   hcssim.Call
		hr     hcs.HRESULT
		sync   bool // RejectNext rather than FailNext
		exit   bool // ExitDuringNext rather than a failure
		opened bool // inject after the system is opened: into the statistics call
	}{
		{name: "open not found", call: hcssim.CallOpenSystem, hr: hcs.HCS_E_SYSTEM_NOT_FOUND},
		{name: "open access denied", call: hcssim.CallOpenSystem, hr: hcs.E_ACCESSDENIED},
		{name: "open invalid handle", call: hcssim.CallSetSystemCallback, hr: hcs.E_HANDLE},
		{name: "open properties not found", call: hcssim.CallGetProperties, hr: hcs.HCS_E_SYSTEM_NOT_FOUND},
		{name: "exits while opened", call: hcssim.CallGetProperties, exit: true},
		{name: "statistics not found", call: hcssim.CallGetProperties, hr: hcs.HCS_E_SYSTEM_NOT_FOUND, opened: true},
		{name: "statistics invalid state", call: hcssim.CallGetProperties, hr: hcs.HCS_E_INVALID_STATE, opened: true},
		{name: "statistics already stopped", call: hcssim.CallGetProperties, hr: hcs.HCS_E_SYSTEM_ALREADY_STOPPED, opened: true},
		{name: "statistics legacy already stopped", call: hcssim.CallGetProperties, hr: hcs.ERROR_VMCOMPUTE_SYSTEM_ALREADY_STOPPED, opened: true},
		{name: "statistics access denied", call: hcssim.CallGetProperties, hr: hcs.HCS_E_ACCESS_DENIED, opened: true},
		{name: "statistics invalid handle", call: hcssim.CallGetProperties, hr: hcs.E_HANDLE, sync: true, opened: true},
		{name: "exits during statistics", call: hcssim.CallGetProperties, exit: true, opened: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sim, host := newSim(t)
			create(t, host, "gone", "o", "Running", false)
			c := NewCollector(host)
			inject := func() {
				switch {
				case tt.exit:
					sim.ExitDuringNext(tt.call)
				case tt.sync:
					sim.RejectNext(tt.call, tt.hr)
				default:
					sim.FailNext(tt.call, tt.hr, "going away")
				}
			}
			if tt.opened {
				c.hooks.opened = func(string) { inject() }
			} else {
				inject()
			}
			mfs := gather(t, c)
			for name, mf := range mfs {
				if strings.HasPrefix(name, "hcs_system_") {
					t.Errorf("%s reported for a vanished system: %v", name, mf)
				}
			}
			wantErrors(t, c, nil)
		})
	}
}

// TestCollectorStopsDuringScrape stops a system between its opening and
// its statistics, for real: it is left out, with no error.
func TestCollectorStopsDuringScrape(t *testing.T) {
	_, host := newSim(t)
	create(t, host, "stays", "o", "Running", false)
	create(t, host, "stops", "o", "Running", false)
	c := NewCollector(host)
	c.hooks.opened = func(id string) {
		if id == "stops" {
			terminate(t, host, id)
		}
	}
	mfs := gather(t, c)
	if got := ids(mfs["hcs_system_cpu_seconds_total"]); len(got) != 1 || !got["stays"] {
		t.Errorf("statistics of %v, want stays only", got)
	}
	if got := ids(mfs["hcs_system_info"]); len(got) != 1 || !got["stays"] {
		t.Errorf("info of %v, want stays only", got)
	}
	wantErrors(t, c, nil)

	// Stopped and forgotten now that the scrape closed its handle.
	mfs = gather(t, c)
	if got := ids(mfs["hcs_system_info"]); len(got) != 1 || !got["stays"] {
		t.Errorf("second scrape: info of %v, want stays only", got)
	}
}

// TestCollectorCountsErrors checks that the other failures are counted by
// operation, and that the system concerned keeps its info and state.
func TestCollectorCountsErrors(t *testing.T) {
	sim, host := newSim(t)
	create(t, host, "s1", "o", "Running", false)
	c := NewCollector(host)

	sim.FailNext(hcssim.CallEnumerate, hcs.E_FAIL, "broken")
	mfs := gather(t, c)
	if len(mfs["hcs_system_info"].GetMetric()) != 0 {
		t.Error("systems reported after the listing failed")
	}
	wantErrors(t, c, map[string]float64{opList: 1})

	c.hooks.opened = func(string) {
		sim.FailNext(hcssim.CallGetProperties, hcs.HCS_E_CONNECTION_TIMEOUT, "slow")
	}
	mfs = gather(t, c)
	c.hooks.opened = nil
	if got := ids(mfs["hcs_system_info"]); !got["s1"] {
		t.Error("hcs_system_info missing for a system whose statistics failed")
	}
	if got := ids(mfs["hcs_system_cpu_seconds_total"]); len(got) != 0 {
		t.Errorf("statistics reported for %v after they failed", got)
	}
	wantErrors(t, c, map[string]float64{opList: 1, opStatistics: 1})

	sim.FailNext(hcssim.CallOpenSystem, hcs.E_OUTOFMEMORY, "")
	gather(t, c)
	wantErrors(t, c, map[string]float64{opList: 1, opStatistics: 1, opOpen: 1})

	// Opening queries the properties: a failure there is an open error.
	sim.FailNext(hcssim.CallGetProperties, hcs.E_FAIL, "")
	gather(t, c)
	wantErrors(t, c, map[string]float64{opList: 1, opStatistics: 1, opOpen: 2})

	// The service disconnected: a listing error.
	sim.Disconnect()
	gather(t, c)
	sim.Reconnect()
	wantErrors(t, c, map[string]float64{opList: 2, opStatistics: 1, opOpen: 2})

	// Back to normal.
	mfs = gather(t, c)
	if got := ids(mfs["hcs_system_cpu_seconds_total"]); !got["s1"] {
		t.Error("no statistics after recovery")
	}
	wantErrors(t, c, map[string]float64{opList: 2, opStatistics: 1, opOpen: 2})
}

// TestCollectorChurn scrapes while systems are created, started,
// terminated and forgotten: whatever a scrape meets, it counts no error,
// and every system it reports statistics for is one it lists.
func TestCollectorChurn(t *testing.T) {
	sim, host := newSim(t)
	for i := range 20 {
		create(t, host, fmt.Sprintf("base%02d", i), "churn", "Running", false)
	}
	// A little latency so that systems change between the listing and
	// the statistics.
	sim.SetLatency(2 * time.Millisecond)
	// No timeout: a slow machine makes slow scrapes, not errors.
	c := NewCollector(host, WithConcurrency(4), WithTimeout(time.Hour))

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("tmp%d-%d", w, i)
				create(t, host, id, "churn", "Running", false)
				terminate(t, host, id) // forgotten once its last handle closes
			}
		})
	}
	deadline := time.Now().Add(time.Second)
	scrapes := 0
	for time.Now().Before(deadline) || scrapes < 5 {
		mfs := gather(t, c)
		info := ids(mfs["hcs_system_info"])
		for id := range ids(mfs["hcs_system_cpu_seconds_total"]) {
			if !info[id] {
				t.Errorf("statistics of %s without its info", id)
			}
		}
		for i := range 20 {
			if id := fmt.Sprintf("base%02d", i); !info[id] {
				t.Errorf("stable system %s missing", id)
			}
		}
		scrapes++
	}
	close(stop)
	wg.Wait()
	wantErrors(t, c, nil)
	t.Logf("%d scrapes", scrapes)
}

// scrapeClock stands in for the clock of a collector's scrapes (see
// useClock): a scrape's timeout ends only when the test calls expire, and
// its clock stands still until then, when it advances by the timeout.
type scrapeClock struct {
	t     *testing.T
	start time.Time

	mu       sync.Mutex
	timeout  time.Duration // what the collector asked for
	deadline *deadlineCtx  // the scrape's, once it has begun
	begun    chan struct{} // closed once the scrape has begun
	expired  bool
}

// useClock makes c's next scrape, its only one, run on a new scrapeClock.
func useClock(t *testing.T, c *Collector) *scrapeClock {
	clk := &scrapeClock{t: t, start: time.Date(2026, 4, 21, 12, 0, 0, 0, time.UTC), begun: make(chan struct{})}
	c.hooks.now = clk.now
	c.hooks.withTimeout = clk.withTimeout
	return clk
}

func (clk *scrapeClock) now() time.Time {
	clk.mu.Lock()
	defer clk.mu.Unlock()
	if clk.expired {
		return clk.start.Add(clk.timeout)
	}
	return clk.start
}

func (clk *scrapeClock) withTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	clk.mu.Lock()
	defer clk.mu.Unlock()
	if clk.deadline != nil {
		clk.t.Error("a second scrape on a scrapeClock")
		return context.WithCancel(parent)
	}
	clk.timeout = d
	clk.deadline = &deadlineCtx{Context: parent, done: make(chan struct{})}
	close(clk.begun)
	return clk.deadline, func() {}
}

// expire ends the scrape's timeout; the clock advances by it.
func (clk *scrapeClock) expire() {
	<-clk.begun
	clk.mu.Lock()
	defer clk.mu.Unlock()
	clk.expired = true
	close(clk.deadline.done)
}

// deadlineCtx is a context whose deadline has passed once done is closed:
// its Err is then context.DeadlineExceeded, as a real timeout's.
type deadlineCtx struct {
	context.Context
	done chan struct{}
}

func (ctx *deadlineCtx) Done() <-chan struct{} { return ctx.done }

func (ctx *deadlineCtx) Err() error {
	select {
	case <-ctx.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// hold makes every asynchronous call of sim stay pending until release is
// called, which fails them with HCS_E_SERVICE_DISCONNECT: the caller has
// given up on them by then, and its cleanups end.
func hold(sim *hcssim.Sim) (release func()) {
	sim.SetLatency(time.Hour)
	return func() {
		sim.SetLatency(0)
		sim.Disconnect()
		sim.Reconnect()
	}
}

// TestCollectorConcurrency scrapes 500 systems with a concurrency of 250:
// the scrape queries 250 systems at once, and never more, and reports
// every system. Each query waits, once it has opened its system, until
// 250 do: then they all go on.
func TestCollectorConcurrency(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 500 systems")
	}
	_, host := newSim(t)
	const systems, concurrency = 500, 250
	for i := range systems {
		create(t, host, fmt.Sprintf("sys%03d", i), "bulk", "Running", false)
	}
	c := NewCollector(host, WithConcurrency(concurrency))
	useClock(t, c) // no timeout ends this scrape
	var inflight, peak atomic.Int64
	c.hooks.inflight = func(delta int) {
		n := inflight.Add(int64(delta))
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
	}
	var (
		mu      sync.Mutex
		waiting int
		wave    = make(chan struct{})
		full    = make(chan struct{}) // concurrency queries wait
	)
	c.hooks.opened = func(string) {
		mu.Lock()
		waiting++
		w := wave
		if waiting == concurrency {
			full <- struct{}{}
		}
		mu.Unlock()
		<-w
	}
	done := make(chan map[string]*dto.MetricFamily)
	go func() { done <- gather(t, c) }()
	for range systems / concurrency {
		<-full
		if n := inflight.Load(); n != concurrency {
			t.Errorf("%d systems queried at once, want %d", n, concurrency)
		}
		mu.Lock()
		waiting = 0
		close(wave)
		wave = make(chan struct{})
		mu.Unlock()
	}
	mfs := <-done
	if got := peak.Load(); got != concurrency {
		t.Errorf("at most %d systems queried at once, want %d", got, concurrency)
	}
	if got := len(ids(mfs["hcs_system_cpu_seconds_total"])); got != systems {
		t.Errorf("statistics of %d systems, want %d", got, systems)
	}
	wantErrors(t, c, nil)
}

// TestCollectorTimeout checks that a scrape whose timeout ends while calls
// are pending returns without them: it reports the statistics of the
// systems it has queried, the others by their info and state, counts one
// timeout and reports its duration. The test ends the timeout itself (see
// scrapeClock) once 3 systems have been queried and the queries of 2
// others wait for HCS, which holds their calls.
func TestCollectorTimeout(t *testing.T) {
	sim, host := newSim(t)
	const systems, concurrency, queried = 20, 2, 3
	for i := range systems {
		create(t, host, fmt.Sprintf("sys%02d", i), "slow", "Running", false)
	}
	const timeout = 7 * time.Second
	c := NewCollector(host, WithConcurrency(concurrency), WithTimeout(timeout))
	clk := useClock(t, c)
	// Each query waits at its start until the test admits it, until the
	// test lets them all go.
	var (
		started = make(chan struct{})
		admit   = make(chan struct{})
		ended   = make(chan struct{}, systems)
		free    = make(chan struct{})
		mu      sync.Mutex
		opened  []string
	)
	c.hooks.inflight = func(delta int) {
		if delta < 0 {
			ended <- struct{}{}
			return
		}
		select {
		case started <- struct{}{}:
			<-admit
		case <-free:
		}
	}
	c.hooks.opened = func(id string) {
		mu.Lock()
		defer mu.Unlock()
		opened = append(opened, id)
	}

	done := make(chan map[string]*dto.MetricFamily)
	go func() { done <- gather(t, c) }()
	for range queried {
		<-started
		admit <- struct{}{}
		<-ended
	}
	mu.Lock()
	want := map[string]bool{}
	for _, id := range opened {
		want[id] = true
	}
	mu.Unlock()
	release := hold(sim)
	for range concurrency {
		<-started
		admit <- struct{}{}
	}
	close(free)
	// The two queries are waiting for HCS: their calls are pending.
	for sim.PendingOperations() < concurrency {
		time.Sleep(time.Millisecond) // polls: no event says a call is pending
	}
	select {
	case <-done:
		t.Fatal("the scrape ended before its timeout, with calls pending")
	default:
	}
	clk.expire()
	mfs := <-done
	release()

	if clk.timeout != timeout {
		t.Errorf("scrape timeout %v, want %v", clk.timeout, timeout)
	}
	if got := len(ids(mfs["hcs_system_info"])); got != systems {
		t.Errorf("info of %d systems, want %d", got, systems)
	}
	if got := len(mfs["hcs_system_state"].GetMetric()); got != systems*len(states) {
		t.Errorf("%d hcs_system_state series, want %d", got, systems*len(states))
	}
	if got := ids(mfs["hcs_system_cpu_seconds_total"]); !maps.Equal(got, want) {
		t.Errorf("statistics of %v, want those of the systems queried before the timeout, %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	wantErrors(t, c, map[string]float64{opTimeout: 1})
	if d := mfs["hcs_scrape_duration_seconds"].GetMetric()[0].GetGauge().GetValue(); d != timeout.Seconds() {
		t.Errorf("hcs_scrape_duration_seconds = %v, want %v: the scrape began, its clock advanced by its timeout, it ended", d, timeout.Seconds())
	}
}

// TestCollectorListingTimeout holds the listing past a timeout, on the
// real clock: the scrape ends once the timeout has passed, counts one
// timeout and reports no system.
func TestCollectorListingTimeout(t *testing.T) {
	sim, host := newSim(t)
	create(t, host, "web", "o", "Running", false)
	const timeout = time.Millisecond
	c := NewCollector(host, WithTimeout(timeout))
	release := hold(sim)
	start := time.Now()
	mfs := gather(t, c)
	elapsed := time.Since(start)
	release()
	if n := len(mfs["hcs_system_info"].GetMetric()); n != 0 {
		t.Errorf("%d systems reported after the listing timed out", n)
	}
	wantErrors(t, c, map[string]float64{opTimeout: 1})
	// The scrape ends after its timeout, and within the time gather took:
	// bounds that hold however slow the machine is.
	if d := mfs["hcs_scrape_duration_seconds"].GetMetric()[0].GetGauge().GetValue(); d < timeout.Seconds() || d > elapsed.Seconds() {
		t.Errorf("hcs_scrape_duration_seconds = %v, want between %v and %v", d, timeout.Seconds(), elapsed.Seconds())
	}
}

func TestCollectorOptions(t *testing.T) {
	c := NewCollector(nil, WithConcurrency(0), WithTimeout(-1))
	if c.cfg.concurrency != DefaultConcurrency || c.cfg.timeout != DefaultTimeout {
		t.Errorf("concurrency, timeout = %d, %v; want the defaults", c.cfg.concurrency, c.cfg.timeout)
	}
	c = NewCollector(nil, WithConcurrency(3), WithTimeout(time.Second))
	if c.cfg.concurrency != 3 || c.cfg.timeout != time.Second {
		t.Errorf("concurrency, timeout = %d, %v; want 3, 1s", c.cfg.concurrency, c.cfg.timeout)
	}
}

// TestCollectorLocalHost scrapes the local host. Off Windows every call
// fails with ErrNotSupported: a listing error, and no panic. On Windows (or
// under Wine, against the mock computecore.dll) it scrapes a system it
// creates, through the real calling path.
func TestCollectorLocalHost(t *testing.T) {
	host := hcs.Local()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if _, err := host.ListSystems(ctx, nil); err != nil {
		if !errors.Is(err, hcs.ErrNotSupported) {
			t.Skipf("no usable local HCS: %v", err)
		}
		c := NewCollector(host)
		mfs := gather(t, c)
		if n := len(mfs["hcs_system_info"].GetMetric()); n != 0 {
			t.Errorf("%d systems reported", n)
		}
		wantErrors(t, c, map[string]float64{opList: 1})
		return
	}

	const owner = "gohcs-hcsprom-test"
	id := fmt.Sprintf("hcsprom-test-%d", time.Now().UnixNano())
	sys, err := host.CreateSystem(ctx, id, fmt.Sprintf(`{"Owner":%q,"Container":{}}`, owner))
	if err != nil {
		t.Skipf("cannot create a compute system here: %v", err)
	}
	defer func() {
		if err := sys.Terminate(ctx); err != nil {
			t.Error(err)
		}
		sys.Close()
		if err := host.Drain(ctx); err != nil {
			t.Error(err)
		}
	}()
	if err := sys.Start(ctx); err != nil {
		t.Fatal(err)
	}
	c := NewCollector(host, WithQuery(&schema.SystemQuery{Owners: []string{owner}}))
	mfs := gather(t, c)
	for _, name := range []string{"hcs_system_info", "hcs_system_state", "hcs_system_cpu_seconds_total", "hcs_system_uptime_seconds"} {
		if got := ids(mfs[name]); len(got) != 1 || !got[id] {
			t.Errorf("%s ids = %v, want %s only", name, got, id)
		}
	}
	wantErrors(t, c, nil)
}
