package hcs

import (
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"
	"strings"
	"time"

	"github.com/gohcs/hcs/schema"
)

// ErrStaleSample is returned, wrapped, by [UsageBetween] when the current
// statistics sample was not taken after the previous one: its Timestamp is
// equal to or earlier than the previous sample's. HCS may return the same
// sample twice when it is queried more often than it refreshes its
// counters; a poller that gets this error keeps its previous sample and
// tries again later.
var ErrStaleSample = errors.New("statistics sample not newer than the previous one")

// Usage is the resource use of a compute system between two statistics
// samples, as [UsageBetween] computes it: rates over the interval for the
// cumulative counters (processor time, storage, network), the latest
// values for the gauges (memory, uptime).
//
// A group (CPU, Memory, Storage, Network) is nil when the samples do not
// carry what it is computed from; the zero value of a rate in a non-nil
// group is a measured zero.
type Usage struct {
	// Timestamp is when the current sample was taken.
	Timestamp time.Time
	// Interval is the time the rates are computed over: the time between
	// the two samples, or the current uptime if the system restarted in
	// between (see Restarted).
	Interval time.Duration
	// Uptime is how long the system has existed at the current sample,
	// from its Uptime100ns, or from its Timestamp and ContainerStartTime
	// when Uptime100ns is missing; 0 when neither is known.
	Uptime time.Duration
	// Restarted reports that the system restarted between the samples:
	// its uptime went backwards, its start time changed or a counter
	// decreased. See UsageBetween for how the rates are then computed.
	Restarted bool

	// CPU is the processor use; nil unless both samples carry
	// RuntimeUser100ns and RuntimeKernel100ns.
	CPU *CPUUsage
	// Memory is the memory use at the current sample; nil unless it
	// carries all three memory counters.
	Memory *MemoryUsage
	// Storage is the storage throughput; nil unless both samples carry
	// all four storage counters.
	Storage *StorageUsage
	// Network is the network throughput; nil unless both samples carry
	// the Network array of statistics, even empty.
	Network *NetworkUsage
}

// CPUUsage is the processor use of a compute system over an interval, in
// percent of the capacity of its processors: 100 means every processor it
// may use was busy the whole interval, whatever their number. Sampling
// jitter can make a busy system read slightly above 100; the values are
// not clamped.
type CPUUsage struct {
	// Percent is the total processor time: TotalRuntime100ns, or user
	// plus kernel time when the samples lack it.
	Percent float64
	// UserPercent is the time spent in user mode.
	UserPercent float64
	// KernelPercent is the time spent in kernel mode.
	KernelPercent float64
}

// MemoryUsage is the memory use of a compute system at a sample, in bytes.
type MemoryUsage struct {
	// CommitBytes is the committed memory.
	CommitBytes uint64
	// CommitPeakBytes is the largest commit since the system started.
	CommitPeakBytes uint64
	// PrivateWorkingSetBytes is the private working set: the memory
	// resident and not shared.
	PrivateWorkingSetBytes uint64
}

// StorageUsage is the storage throughput of a compute system over an
// interval. Operations are counted as HCS counts them
// (ReadCountNormalized and WriteCountNormalized: large requests count as
// several normalized operations), so they may exceed the number of
// requests the guest issued.
type StorageUsage struct {
	// ReadBytesPerSecond is the rate of bytes read.
	ReadBytesPerSecond float64
	// WriteBytesPerSecond is the rate of bytes written.
	WriteBytesPerSecond float64
	// ReadsPerSecond is the rate of read operations.
	ReadsPerSecond float64
	// WritesPerSecond is the rate of write operations.
	WritesPerSecond float64
}

// NetworkUsage is the network throughput of a compute system over an
// interval: of each of its endpoints, and in total.
type NetworkUsage struct {
	// ReceiveBytesPerSecond is the rate of bytes received, summed over
	// Endpoints.
	ReceiveBytesPerSecond float64
	// TransmitBytesPerSecond is the rate of bytes sent, summed over
	// Endpoints.
	TransmitBytesPerSecond float64
	// ReceivePacketsPerSecond is the rate of packets received, summed over
	// Endpoints.
	ReceivePacketsPerSecond float64
	// TransmitPacketsPerSecond is the rate of packets sent, summed over
	// Endpoints.
	TransmitPacketsPerSecond float64
	// Endpoints is the throughput of each endpoint that both samples carry
	// with its four byte and packet counters, in the order of the current
	// sample; empty, not nil, when there is none. An endpoint that
	// appeared since the previous sample counts from the next one, unless
	// the system restarted (see UsageBetween); one that disappeared is not
	// listed.
	Endpoints []EndpointUsage
}

// EndpointUsage is the network throughput of one endpoint of a compute
// system over an interval, from its entry in the Network array of the
// statistics ([schema.NetworkStats]).
type EndpointUsage struct {
	// EndpointID identifies the endpoint: the HNS endpoint's GUID, as HCS
	// wrote it.
	EndpointID string
	// ReceiveBytesPerSecond is the rate of bytes received.
	ReceiveBytesPerSecond float64
	// TransmitBytesPerSecond is the rate of bytes sent.
	TransmitBytesPerSecond float64
	// ReceivePacketsPerSecond is the rate of packets received.
	ReceivePacketsPerSecond float64
	// TransmitPacketsPerSecond is the rate of packets sent.
	TransmitPacketsPerSecond float64
	// Dropped is the rate of dropped packets; nil unless both samples carry
	// the endpoint's two drop counters, which HCS does not always send.
	Dropped *DropUsage
}

// DropUsage is the rate of packets an endpoint dropped over an interval.
type DropUsage struct {
	// ReceivePerSecond is the rate of incoming packets dropped
	// (DroppedPacketsIncoming).
	ReceivePerSecond float64
	// TransmitPerSecond is the rate of outgoing packets dropped
	// (DroppedPacketsOutgoing).
	TransmitPerSecond float64
}

// UsageBetween computes the resource use of a compute system from two of
// its statistics samples, prev taken before cur (see [System.Statistics]).
// cpus is the number of processors the system may use: the virtual
// processor count of a virtual machine or Hyper-V isolated container, the
// host's logical processor count for a process-isolated container without
// a processor limit (as docker stats counts them). Processor percentages
// are relative to that capacity.
//
// HCS counts time in units of 100 ns; Usage reports durations as
// [time.Duration], rates per second and sizes in bytes.
//
// A counter that decreased between the samples is taken as reset to zero
// in between: its increase is its current value, as Prometheus's rate
// counts it. When the system itself restarted — its uptime went backwards,
// or its ContainerStartTime changed — every counter counts from the
// restart, those of network endpoints the previous sample lacks included,
// and the rates are computed over the current uptime rather than the whole
// interval whenever that uptime is known and shorter. In both cases
// Restarted is set; rates are never negative.
//
// Network endpoints are matched by EndpointID, ignoring case; an entry
// without one is left out, and of entries with the same EndpointID only
// the first counts.
//
// UsageBetween fails with an error matching [ErrInvalidArgument] when a
// sample is nil or lacks its Timestamp, or when cpus is not positive, and
// with an error matching [ErrStaleSample] when cur.Timestamp is not after
// prev.Timestamp; it then returns a zero Usage.
func UsageBetween(prev, cur *schema.Statistics, cpus int) (Usage, error) {
	switch {
	case prev == nil || cur == nil:
		return Usage{}, fmt.Errorf("hcs: usage: %w: nil statistics sample", ErrInvalidArgument)
	case cpus <= 0:
		return Usage{}, fmt.Errorf("hcs: usage: %w: %d processors", ErrInvalidArgument, cpus)
	case prev.Timestamp.IsZero() || cur.Timestamp.IsZero():
		return Usage{}, fmt.Errorf("hcs: usage: %w: statistics sample without a timestamp", ErrInvalidArgument)
	case !cur.Timestamp.After(prev.Timestamp):
		return Usage{}, fmt.Errorf("hcs: usage: %w: sample of %s after sample of %s",
			ErrStaleSample, cur.Timestamp.Format(time.RFC3339Nano), prev.Timestamp.Format(time.RFC3339Nano))
	}

	u := Usage{
		Timestamp: cur.Timestamp,
		Interval:  cur.Timestamp.Sub(prev.Timestamp),
		Uptime:    uptime(cur),
	}
	if prev.Uptime100ns != nil && cur.Uptime100ns != nil && *cur.Uptime100ns < *prev.Uptime100ns ||
		!prev.ContainerStartTime.IsZero() && !cur.ContainerStartTime.IsZero() &&
			!prev.ContainerStartTime.Equal(cur.ContainerStartTime) {
		u.Restarted = true
		if u.Uptime > 0 && u.Uptime < u.Interval {
			u.Interval = u.Uptime
		}
	}
	// restarted is fixed here: a system restart zeroes every counter's
	// baseline, a single counter's reset only its own.
	restarted := u.Restarted
	seconds := u.Interval.Seconds()

	// increase returns how much a cumulative counter grew, taking a
	// decrease, or a restart of the system, as a reset to zero.
	increase := func(p, c uint64) float64 {
		if restarted {
			return float64(c)
		}
		if c < p {
			u.Restarted = true
			return float64(c)
		}
		return float64(c - p)
	}

	if pp, cp := prev.Processor, cur.Processor; pp != nil && cp != nil &&
		all(pp.RuntimeUser100ns, pp.RuntimeKernel100ns, cp.RuntimeUser100ns, cp.RuntimeKernel100ns) {
		// capacity is the processor time available over the interval, in
		// 100 ns units, so that a percentage is 100 * used / capacity.
		capacity := seconds * 1e7 * float64(cpus)
		user := increase(*pp.RuntimeUser100ns, *cp.RuntimeUser100ns)
		kernel := increase(*pp.RuntimeKernel100ns, *cp.RuntimeKernel100ns)
		total := user + kernel
		if all(pp.TotalRuntime100ns, cp.TotalRuntime100ns) {
			total = increase(*pp.TotalRuntime100ns, *cp.TotalRuntime100ns)
		}
		u.CPU = &CPUUsage{
			Percent:       100 * total / capacity,
			UserPercent:   100 * user / capacity,
			KernelPercent: 100 * kernel / capacity,
		}
	}

	if cm := cur.Memory; cm != nil &&
		all(cm.MemoryUsageCommitBytes, cm.MemoryUsageCommitPeakBytes, cm.MemoryUsagePrivateWorkingSetBytes) {
		u.Memory = &MemoryUsage{
			CommitBytes:            *cm.MemoryUsageCommitBytes,
			CommitPeakBytes:        *cm.MemoryUsageCommitPeakBytes,
			PrivateWorkingSetBytes: *cm.MemoryUsagePrivateWorkingSetBytes,
		}
	}

	if ps, cs := prev.Storage, cur.Storage; ps != nil && cs != nil &&
		all(ps.ReadSizeBytes, ps.WriteSizeBytes, ps.ReadCountNormalized, ps.WriteCountNormalized,
			cs.ReadSizeBytes, cs.WriteSizeBytes, cs.ReadCountNormalized, cs.WriteCountNormalized) {
		u.Storage = &StorageUsage{
			ReadBytesPerSecond:  increase(*ps.ReadSizeBytes, *cs.ReadSizeBytes) / seconds,
			WriteBytesPerSecond: increase(*ps.WriteSizeBytes, *cs.WriteSizeBytes) / seconds,
			ReadsPerSecond:      increase(*ps.ReadCountNormalized, *cs.ReadCountNormalized) / seconds,
			WritesPerSecond:     increase(*ps.WriteCountNormalized, *cs.WriteCountNormalized) / seconds,
		}
	}

	if prev.Network != nil && cur.Network != nil {
		u.Network = networkUsage(prev.Network, cur.Network, restarted, seconds, increase)
	}
	return u, nil
}

// networkUsage computes the throughput of the endpoints of cur over seconds,
// each from its entry in prev; when the system restarted, every endpoint of
// cur counts from zero.
func networkUsage(prev, cur []schema.NetworkStats, restarted bool, seconds float64,
	increase func(p, c uint64) float64) *NetworkUsage {
	before := maps.Collect(endpoints(prev))
	n := &NetworkUsage{Endpoints: make([]EndpointUsage, 0, len(cur))}
	for key, c := range endpoints(cur) {
		if !all(c.BytesReceived, c.BytesSent, c.PacketsReceived, c.PacketsSent) {
			continue
		}
		p, ok := before[key]
		switch {
		case restarted:
			p = &schema.NetworkStats{} // every counter from zero
		case !ok || !all(p.BytesReceived, p.BytesSent, p.PacketsReceived, p.PacketsSent):
			continue
		}
		rate := func(p, c *uint64) float64 {
			if p == nil {
				return float64(*c) / seconds
			}
			return increase(*p, *c) / seconds
		}
		e := EndpointUsage{
			EndpointID:               c.EndpointID,
			ReceiveBytesPerSecond:    rate(p.BytesReceived, c.BytesReceived),
			TransmitBytesPerSecond:   rate(p.BytesSent, c.BytesSent),
			ReceivePacketsPerSecond:  rate(p.PacketsReceived, c.PacketsReceived),
			TransmitPacketsPerSecond: rate(p.PacketsSent, c.PacketsSent),
		}
		if all(c.DroppedPacketsIncoming, c.DroppedPacketsOutgoing) &&
			(restarted || all(p.DroppedPacketsIncoming, p.DroppedPacketsOutgoing)) {
			e.Dropped = &DropUsage{
				ReceivePerSecond:  rate(p.DroppedPacketsIncoming, c.DroppedPacketsIncoming),
				TransmitPerSecond: rate(p.DroppedPacketsOutgoing, c.DroppedPacketsOutgoing),
			}
		}
		n.ReceiveBytesPerSecond += e.ReceiveBytesPerSecond
		n.TransmitBytesPerSecond += e.TransmitBytesPerSecond
		n.ReceivePacketsPerSecond += e.ReceivePacketsPerSecond
		n.TransmitPacketsPerSecond += e.TransmitPacketsPerSecond
		n.Endpoints = append(n.Endpoints, e)
	}
	return n
}

// endpoints yields the entries of a Network array that have an EndpointID,
// in order, each with its EndpointID in upper case as the key; of entries
// with the same key, only the first.
func endpoints(list []schema.NetworkStats) iter.Seq2[string, *schema.NetworkStats] {
	return func(yield func(string, *schema.NetworkStats) bool) {
		seen := make(map[string]bool, len(list))
		for i := range list {
			key := strings.ToUpper(list[i].EndpointID)
			if key == "" || seen[key] {
				continue
			}
			seen[key] = true
			if !yield(key, &list[i]) {
				return
			}
		}
	}
}

// uptime returns the uptime of the system at s: Uptime100ns, or the time
// from ContainerStartTime to Timestamp; 0 when unknown.
func uptime(s *schema.Statistics) time.Duration {
	if s.Uptime100ns != nil {
		return duration100ns(*s.Uptime100ns)
	}
	if !s.ContainerStartTime.IsZero() && s.Timestamp.After(s.ContainerStartTime) {
		return s.Timestamp.Sub(s.ContainerStartTime)
	}
	return 0
}

// duration100ns converts a time HCS counts in units of 100 ns to a
// time.Duration, saturating beyond its range (about 292 years).
func duration100ns(n uint64) time.Duration {
	if n > math.MaxInt64/100 {
		return math.MaxInt64
	}
	return time.Duration(n) * 100
}

// all reports whether every pointer is non-nil.
func all(ps ...*uint64) bool {
	for _, p := range ps {
		if p == nil {
			return false
		}
	}
	return true
}
