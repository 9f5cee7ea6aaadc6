package hcsprom

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/schema"
)

// The defaults of the options.
const (
	// DefaultConcurrency is how many compute systems a scrape queries at
	// once unless WithConcurrency says otherwise.
	DefaultConcurrency = 8
	// DefaultTimeout is how long a scrape may take unless WithTimeout says
	// otherwise.
	DefaultTimeout = 10 * time.Second
)

// The values of the op label of hcs_scrape_errors_total.
const (
	opList       = "list"
	opOpen       = "open"
	opStatistics = "statistics"
	opTimeout    = "timeout"
)

// states are the system states hcs_system_state always reports, in this
// order; a state HCS reports that is not listed is added for its system.
var states = []schema.State{
	schema.StateCreated,
	schema.StateRunning,
	schema.StatePaused,
	schema.StateStopped,
	schema.StateSavedAsTemplate,
	schema.StateUnknown,
}

// An Option configures a Collector.
type Option func(*config)

type config struct {
	query       *schema.SystemQuery
	concurrency int
	timeout     time.Duration
	logger      *slog.Logger
}

// WithQuery restricts the collector to the compute systems q selects, such
// as those of one owner:
//
//	hcsprom.WithQuery(&schema.SystemQuery{Owners: []string{"containerd-shim-runhcs-v1.exe"}})
//
// The default, nil, selects every system. WithQuery copies q, so the
// caller may modify or reuse it afterwards.
func WithQuery(q *schema.SystemQuery) Option {
	q = cloneQuery(q)
	return func(c *config) { c.query = q }
}

// cloneQuery returns a deep copy of q, or nil for nil.
func cloneQuery(q *schema.SystemQuery) *schema.SystemQuery {
	if q == nil {
		return nil
	}
	c := &schema.SystemQuery{
		IDs:    slices.Clone(q.IDs),
		Names:  slices.Clone(q.Names),
		Types:  slices.Clone(q.Types),
		Owners: slices.Clone(q.Owners),
	}
	if q.Unknown != nil {
		c.Unknown = make(map[string]json.RawMessage, len(q.Unknown))
		for k, v := range q.Unknown {
			c.Unknown[k] = slices.Clone(v)
		}
	}
	return c
}

// WithConcurrency sets how many compute systems a scrape queries at once:
// at most n statistics calls (and the opens before them) are in flight.
// n < 1 selects DefaultConcurrency.
func WithConcurrency(n int) Option {
	return func(c *config) { c.concurrency = n }
}

// WithTimeout sets how long a scrape may take, listing included. Systems
// not queried by then are left out of that scrape and the scrape counts one
// error with op "timeout". d <= 0 selects DefaultTimeout. Keep it below
// Prometheus's scrape_timeout, so that a slow HCS yields a partial scrape
// rather than none.
func WithTimeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// WithLogger makes the collector log the errors it counts in
// hcs_scrape_errors_total at warning level, and the systems it skips at
// debug level. A nil logger, the default, logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// Collector is a [prometheus.Collector] for the compute systems of an HCS
// host. Each scrape lists the systems, then opens each running or paused
// one, reads its statistics and closes it, a few systems at a time. A
// Collector is safe for concurrent use: concurrent scrapes run
// independently.
//
// See the package documentation for the metrics.
type Collector struct {
	host *hcs.Host
	cfg  config

	cpu, commit, commitPeak, workingSet    *prometheus.Desc
	readBytes, writeBytes, reads, writes   *prometheus.Desc
	rxBytes, txBytes, rxPackets, txPackets *prometheus.Desc
	rxDropped, txDropped                   *prometheus.Desc
	uptime, info, state, scrapeDuration    *prometheus.Desc
	scrapeErrors                           *prometheus.CounterVec

	hooks testHooks
}

// testHooks let tests observe and steer a scrape; nil outside tests.
type testHooks struct {
	inflight func(delta int) // a system query starts (+1) or ends (-1)
	opened   func(id string) // a system was opened, its statistics not asked yet
	// withTimeout and now stand in for context.WithTimeout and time.Now:
	// the scrape's timeout and the clock of its duration.
	withTimeout func(context.Context, time.Duration) (context.Context, context.CancelFunc)
	now         func() time.Time
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a Collector for the compute systems of host,
// configured by opts. Register it with a prometheus.Registerer; it calls
// HCS only when scraped.
func NewCollector(host *hcs.Host, opts ...Option) *Collector {
	cfg := config{concurrency: DefaultConcurrency, timeout: DefaultTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.concurrency < 1 {
		cfg.concurrency = DefaultConcurrency
	}
	if cfg.timeout <= 0 {
		cfg.timeout = DefaultTimeout
	}
	system := []string{"id", "owner"}
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, append(system[:2:2], labels...), nil)
	}
	c := &Collector{
		host: host,
		cfg:  cfg,
		cpu: desc("hcs_system_cpu_seconds_total",
			"Processor time the compute system used since it started, by mode (user or kernel).", "mode"),
		commit: desc("hcs_system_memory_commit_bytes",
			"Memory the compute system has committed."),
		commitPeak: desc("hcs_system_memory_commit_peak_bytes",
			"Largest memory commit of the compute system since it started."),
		workingSet: desc("hcs_system_memory_private_working_set_bytes",
			"Private working set of the compute system: memory resident and not shared."),
		readBytes: desc("hcs_system_storage_read_bytes_total",
			"Bytes the compute system read from storage since it started."),
		writeBytes: desc("hcs_system_storage_write_bytes_total",
			"Bytes the compute system wrote to storage since it started."),
		reads: desc("hcs_system_storage_reads_total",
			"Storage read operations of the compute system since it started, normalized by HCS (ReadCountNormalized)."),
		writes: desc("hcs_system_storage_writes_total",
			"Storage write operations of the compute system since it started, normalized by HCS (WriteCountNormalized)."),
		rxBytes: desc("hcs_system_network_receive_bytes_total",
			"Bytes the network endpoint of the compute system received.", "interface"),
		txBytes: desc("hcs_system_network_transmit_bytes_total",
			"Bytes the network endpoint of the compute system sent.", "interface"),
		rxPackets: desc("hcs_system_network_receive_packets_total",
			"Packets the network endpoint of the compute system received.", "interface"),
		txPackets: desc("hcs_system_network_transmit_packets_total",
			"Packets the network endpoint of the compute system sent.", "interface"),
		rxDropped: desc("hcs_system_network_receive_packets_dropped_total",
			"Incoming packets the network endpoint of the compute system dropped.", "interface"),
		txDropped: desc("hcs_system_network_transmit_packets_dropped_total",
			"Outgoing packets the network endpoint of the compute system dropped.", "interface"),
		uptime: desc("hcs_system_uptime_seconds",
			"Time since the compute system started."),
		info: prometheus.NewDesc("hcs_system_info",
			"Compute systems of the host: always 1, labelled with the system's identity.",
			[]string{"id", "owner", "type", "runtime_os"}, nil),
		state: desc("hcs_system_state",
			"State of the compute system: 1 for its current state, 0 for the others.", "state"),
		scrapeDuration: prometheus.NewDesc("hcs_scrape_duration_seconds",
			"Time the scrape of HCS took.", nil, nil),
		scrapeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hcs_scrape_errors_total",
			Help: "Errors while scraping HCS, by operation (list, open, statistics, timeout); " +
				"systems that vanish or stop during a scrape are not errors.",
		}, []string{"op"}),
	}
	for _, op := range []string{opList, opOpen, opStatistics, opTimeout} {
		c.scrapeErrors.WithLabelValues(op) // export zeros from the start
	}
	return c
}

// Describe sends the descriptors of every metric the Collector exports.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.cpu, c.commit, c.commitPeak, c.workingSet,
		c.readBytes, c.writeBytes, c.reads, c.writes,
		c.rxBytes, c.txBytes, c.rxPackets, c.txPackets, c.rxDropped, c.txDropped,
		c.uptime, c.info, c.state, c.scrapeDuration,
	} {
		ch <- d
	}
	c.scrapeErrors.Describe(ch)
}

// Collect scrapes HCS and sends the metrics of every compute system
// selected, then the scrape metrics. It returns within the scrape timeout,
// plus the time to send what it collected.
//
// A system that vanishes, stops or denies access while it is scraped is
// left out. Other failures are counted in hcs_scrape_errors_total; the
// systems they concern, and those not reached before the timeout, are
// reported by hcs_system_info and hcs_system_state only.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	now, withTimeout := time.Now, context.WithTimeout
	if c.hooks.now != nil {
		now = c.hooks.now
	}
	if c.hooks.withTimeout != nil {
		withTimeout = c.hooks.withTimeout
	}
	start := now()
	ctx, cancel := withTimeout(context.Background(), c.cfg.timeout)
	defer cancel()
	c.scrape(ctx, ch)
	ch <- prometheus.MustNewConstMetric(c.scrapeDuration, prometheus.GaugeValue, now().Sub(start).Seconds())
	c.scrapeErrors.Collect(ch)
}

// scrape sends the metrics of the systems.
func (c *Collector) scrape(ctx context.Context, ch chan<- prometheus.Metric) {
	infos, err := c.host.ListSystems(ctx, c.cfg.query)
	if err != nil {
		op := opList
		if ctx.Err() != nil {
			op = opTimeout
		}
		c.fail(ctx, op, "", err)
		return
	}
	var (
		wg       sync.WaitGroup
		sem      = make(chan struct{}, c.cfg.concurrency)
		timedOut sync.Once
	)
	timeout := func() { timedOut.Do(func() { c.fail(ctx, opTimeout, "", ctx.Err()) }) }
	for _, info := range infos {
		if !hasStatistics(info.State) {
			c.sendSystem(ch, info)
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			timeout()
			c.sendSystem(ch, info)
			continue
		}
		wg.Add(1)
		go func() {
			defer func() {
				<-sem
				wg.Done()
			}()
			if c.hooks.inflight != nil {
				c.hooks.inflight(+1)
				defer c.hooks.inflight(-1)
			}
			op, err := c.scrapeSystem(ctx, ch, info)
			switch {
			case err == nil:
			case vanished(err):
				if c.cfg.logger != nil {
					c.cfg.logger.DebugContext(ctx, "hcsprom: compute system skipped", "id", info.ID, "error", err)
				}
				return // gone: no metrics at all
			case ctx.Err() != nil:
				timeout()
			default:
				c.fail(ctx, op, info.ID, err)
			}
			c.sendSystem(ch, info)
		}()
	}
	wg.Wait()
}

// scrapeSystem opens the system of info, sends the metrics of its
// statistics and closes it. It sends nothing when it fails, and returns the
// operation that failed.
func (c *Collector) scrapeSystem(ctx context.Context, ch chan<- prometheus.Metric, info hcs.SystemInfo) (string, error) {
	sys, err := c.host.OpenSystem(ctx, info.ID)
	if err != nil {
		return opOpen, err
	}
	defer sys.Close()
	if c.hooks.opened != nil {
		c.hooks.opened(info.ID)
	}
	st, err := sys.Statistics(ctx)
	if err != nil {
		return opStatistics, err
	}
	c.sendStatistics(ch, info, st)
	return "", nil
}

// sendSystem sends the info and state metrics of a system.
func (c *Collector) sendSystem(ch chan<- prometheus.Metric, info hcs.SystemInfo) {
	ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1,
		info.ID, info.Owner, string(info.Type), string(info.RuntimeOSType))
	known := false
	for _, s := range states {
		v := 0.0
		if s == info.State {
			v, known = 1, true
		}
		ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, info.ID, info.Owner, string(s))
	}
	if !known && info.State != "" {
		ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, 1, info.ID, info.Owner, string(info.State))
	}
}

// sendStatistics sends the metrics of a statistics sample. Members the
// sample lacks are not sent.
func (c *Collector) sendStatistics(ch chan<- prometheus.Metric, info hcs.SystemInfo, st *schema.Statistics) {
	id, owner := info.ID, info.Owner
	// send sends *v divided by unit, if v is set.
	send := func(d *prometheus.Desc, t prometheus.ValueType, v *uint64, unit float64, labels ...string) {
		if v != nil {
			ch <- prometheus.MustNewConstMetric(d, t, float64(*v)/unit, append([]string{id, owner}, labels...)...)
		}
	}
	const per100ns = 1e7 // HCS counts time in units of 100 ns
	if p := st.Processor; p != nil {
		send(c.cpu, prometheus.CounterValue, p.RuntimeUser100ns, per100ns, "user")
		send(c.cpu, prometheus.CounterValue, p.RuntimeKernel100ns, per100ns, "kernel")
	}
	if m := st.Memory; m != nil {
		send(c.commit, prometheus.GaugeValue, m.MemoryUsageCommitBytes, 1)
		send(c.commitPeak, prometheus.GaugeValue, m.MemoryUsageCommitPeakBytes, 1)
		send(c.workingSet, prometheus.GaugeValue, m.MemoryUsagePrivateWorkingSetBytes, 1)
	}
	if s := st.Storage; s != nil {
		send(c.readBytes, prometheus.CounterValue, s.ReadSizeBytes, 1)
		send(c.writeBytes, prometheus.CounterValue, s.WriteSizeBytes, 1)
		send(c.reads, prometheus.CounterValue, s.ReadCountNormalized, 1)
		send(c.writes, prometheus.CounterValue, s.WriteCountNormalized, 1)
	}
	// One series per endpoint, labelled with its GUID in upper case as
	// windows_exporter writes it. An entry without an EndpointID, or with
	// that of an earlier entry, would clash with another series: it is
	// left out.
	seen := make(map[string]bool, len(st.Network))
	for _, e := range st.Network {
		iface := strings.ToValidUTF8(strings.ToUpper(e.EndpointID), "\uFFFD")
		if iface == "" || seen[iface] {
			if c.cfg.logger != nil {
				c.cfg.logger.Debug("hcsprom: network statistics entry skipped: no EndpointId, or a repeated one",
					"id", id, "endpoint", e.EndpointID)
			}
			continue
		}
		seen[iface] = true
		send(c.rxBytes, prometheus.CounterValue, e.BytesReceived, 1, iface)
		send(c.txBytes, prometheus.CounterValue, e.BytesSent, 1, iface)
		send(c.rxPackets, prometheus.CounterValue, e.PacketsReceived, 1, iface)
		send(c.txPackets, prometheus.CounterValue, e.PacketsSent, 1, iface)
		send(c.rxDropped, prometheus.CounterValue, e.DroppedPacketsIncoming, 1, iface)
		send(c.txDropped, prometheus.CounterValue, e.DroppedPacketsOutgoing, 1, iface)
	}
	switch {
	case st.Uptime100ns != nil:
		send(c.uptime, prometheus.GaugeValue, st.Uptime100ns, per100ns)
	case !st.ContainerStartTime.IsZero() && !st.Timestamp.IsZero():
		ch <- prometheus.MustNewConstMetric(c.uptime, prometheus.GaugeValue,
			max(st.Timestamp.Sub(st.ContainerStartTime).Seconds(), 0), id, owner)
	}
}

// fail counts an error of op.
func (c *Collector) fail(ctx context.Context, op, id string, err error) {
	c.scrapeErrors.WithLabelValues(op).Inc()
	if c.cfg.logger != nil {
		c.cfg.logger.WarnContext(ctx, "hcsprom: scrape failed", "op", op, "id", id, "error", err)
	}
}

// hasStatistics reports whether a system in state s may have statistics:
// HCS has none for a system not started or stopped.
func hasStatistics(s schema.State) bool {
	switch s {
	case schema.StateCreated, schema.StateStopped, schema.StateSavedAsTemplate:
		return false
	}
	return true
}

// vanished reports whether err means the system went away, or is going
// away, while it was scraped: not an error of the scrape.
func vanished(err error) bool {
	for _, target := range []error{
		hcs.ErrNotFound,
		hcs.ErrInvalidState,
		hcs.ErrAlreadyStopped,
		hcs.ErrUnexpectedExit,
		hcs.ErrAccessDenied,
		hcs.ErrClosed,
		hcs.E_HANDLE,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}
