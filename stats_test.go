package hcs

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/gohcs/hcs/schema"
)

// zlayerStatistics is the statistics document of the zlayer-hcs fixture,
// the same one package schema decodes.
const zlayerStatistics = `{
	"Timestamp": "2026-04-21T12:34:56Z",
	"Uptime100ns": 2960000000,
	"Processor": {"TotalRuntime100ns": 1234567, "RuntimeUser100ns": 900000, "RuntimeKernel100ns": 334567},
	"Memory": {"MemoryUsageCommitBytes": 268435456, "MemoryUsageCommitPeakBytes": 314572800, "MemoryUsagePrivateWorkingSetBytes": 201326592},
	"Storage": {"ReadCountNormalized": 42, "ReadSizeBytes": 1048576, "WriteCountNormalized": 13, "WriteSizeBytes": 262144}
}`

var t0 = time.Date(2026, 4, 21, 12, 0, 0, 0, time.UTC)

// sample is a statistics sample for tests; its zero fields are left out of
// the schema document.
type sample struct {
	at                   time.Duration // after t0
	start                time.Time
	uptime               *uint64
	total, user, kernel  *uint64
	noProcessor          bool
	commit, peak, ws     *uint64
	noMemory             bool
	reads, rbytes        *uint64
	writes, wbytes       *uint64
	noStorage, noTimeTag bool
}

func u64(v uint64) *uint64 { return &v }

func (s sample) stats() *schema.Statistics {
	st := &schema.Statistics{Uptime100ns: s.uptime, ContainerStartTime: s.start}
	if !s.noTimeTag {
		st.Timestamp = t0.Add(s.at)
	}
	if !s.noProcessor {
		st.Processor = &schema.ProcessorStats{TotalRuntime100ns: s.total, RuntimeUser100ns: s.user, RuntimeKernel100ns: s.kernel}
	}
	if !s.noMemory {
		st.Memory = &schema.MemoryStats{MemoryUsageCommitBytes: s.commit, MemoryUsageCommitPeakBytes: s.peak, MemoryUsagePrivateWorkingSetBytes: s.ws}
	}
	if !s.noStorage {
		st.Storage = &schema.StorageStats{ReadCountNormalized: s.reads, ReadSizeBytes: s.rbytes, WriteCountNormalized: s.writes, WriteSizeBytes: s.wbytes}
	}
	return st
}

// full returns a sample at t0+at with every counter set: the system has
// been up for uptime, with cpu 100 ns units of user and of kernel time,
// io reads and writes of 4 KiB each.
func full(at, uptime time.Duration, cpu, io uint64) sample {
	return sample{
		at:     at,
		uptime: u64(uint64(uptime / 100)),
		total:  u64(2 * cpu), user: u64(cpu), kernel: u64(cpu),
		commit: u64(100), peak: u64(200), ws: u64(50),
		reads: u64(io), rbytes: u64(io * 4096),
		writes: u64(io), wbytes: u64(io * 4096),
	}
}

func TestStatsUsageBetween(t *testing.T) {
	const sec = 1e7 // one second in 100 ns units
	type want struct {
		interval  time.Duration
		uptime    time.Duration
		restarted bool
		cpu       *CPUUsage
		mem       *MemoryUsage
		storage   *StorageUsage
	}
	mem := &MemoryUsage{CommitBytes: 100, CommitPeakBytes: 200, PrivateWorkingSetBytes: 50}
	tests := []struct {
		name      string
		prev, cur sample
		cpus      int
		want      want
		wantErr   error
	}{{
		name: "one cpu half busy",
		prev: full(0, 10*time.Second, 0, 0),
		cur:  full(10*time.Second, 20*time.Second, 2.5*sec, 100),
		cpus: 1,
		want: want{
			interval: 10 * time.Second, uptime: 20 * time.Second,
			cpu:     &CPUUsage{Percent: 50, UserPercent: 25, KernelPercent: 25},
			mem:     mem,
			storage: &StorageUsage{ReadBytesPerSecond: 40960, WriteBytesPerSecond: 40960, ReadsPerSecond: 10, WritesPerSecond: 10},
		},
	}, {
		name: "four cpus",
		prev: full(0, time.Minute, 1*sec, 0),
		cur:  full(2*time.Second, time.Minute+2*time.Second, 3*sec, 0),
		cpus: 4,
		want: want{
			interval: 2 * time.Second, uptime: time.Minute + 2*time.Second,
			// 4 s of processor time out of 4 × 2 s.
			cpu:     &CPUUsage{Percent: 50, UserPercent: 25, KernelPercent: 25},
			mem:     mem,
			storage: &StorageUsage{},
		},
	}, {
		name: "all of many cpus",
		prev: full(0, time.Hour, 0, 0),
		cur:  full(time.Second, time.Hour+time.Second, 32*sec, 0),
		cpus: 64,
		want: want{
			interval: time.Second, uptime: time.Hour + time.Second,
			cpu: &CPUUsage{Percent: 100, UserPercent: 50, KernelPercent: 50},
			mem: mem, storage: &StorageUsage{},
		},
	}, {
		name: "restart: uptime went backwards",
		prev: full(0, time.Hour, 100*sec, 1000),
		// Restarted 4 s before the sample, 60 s after the previous one:
		// the rates cover those 4 s only.
		cur:  full(time.Minute, 4*time.Second, 2*sec, 8),
		cpus: 2,
		want: want{
			interval: 4 * time.Second, uptime: 4 * time.Second, restarted: true,
			cpu:     &CPUUsage{Percent: 50, UserPercent: 25, KernelPercent: 25},
			mem:     mem,
			storage: &StorageUsage{ReadBytesPerSecond: 8192, WriteBytesPerSecond: 8192, ReadsPerSecond: 2, WritesPerSecond: 2},
		},
	}, {
		name: "restart: start time changed, no uptime",
		prev: func() sample {
			s := full(0, 0, 100*sec, 1000)
			s.uptime, s.start = nil, t0.Add(-time.Hour)
			return s
		}(),
		cur: func() sample {
			s := full(10*time.Second, 0, 1*sec, 20)
			s.uptime, s.start = nil, t0.Add(8*time.Second)
			return s
		}(),
		cpus: 1,
		want: want{
			interval: 2 * time.Second, uptime: 2 * time.Second, restarted: true,
			cpu:     &CPUUsage{Percent: 100, UserPercent: 50, KernelPercent: 50},
			mem:     mem,
			storage: &StorageUsage{ReadBytesPerSecond: 40960, WriteBytesPerSecond: 40960, ReadsPerSecond: 10, WritesPerSecond: 10},
		},
	}, {
		name: "one counter reset, system still up",
		prev: full(0, time.Hour, 1*sec, 1000),
		cur: func() sample {
			s := full(10*time.Second, time.Hour+10*time.Second, 2*sec, 1000)
			s.reads, s.rbytes = u64(50), u64(50*4096) // reset, then 50 reads
			return s
		}(),
		cpus: 1,
		want: want{
			interval: 10 * time.Second, uptime: time.Hour + 10*time.Second, restarted: true,
			cpu:     &CPUUsage{Percent: 20, UserPercent: 10, KernelPercent: 10},
			mem:     mem,
			storage: &StorageUsage{ReadBytesPerSecond: 20480, ReadsPerSecond: 5},
		},
	}, {
		name: "restart longer ago than the interval keeps the interval",
		prev: full(0, time.Hour, 100*sec, 0),
		cur:  full(10*time.Second, time.Minute, 5*sec, 0),
		cpus: 1,
		want: want{
			interval: 10 * time.Second, uptime: time.Minute, restarted: true,
			cpu: &CPUUsage{Percent: 100, UserPercent: 50, KernelPercent: 50},
			mem: mem, storage: &StorageUsage{},
		},
	}, {
		name: "total missing: user plus kernel",
		prev: func() sample { s := full(0, time.Hour, 0, 0); s.total = nil; return s }(),
		cur:  func() sample { s := full(time.Second, time.Hour, 0.1*sec, 0); s.total = nil; return s }(),
		cpus: 1,
		want: want{
			interval: time.Second, uptime: time.Hour,
			cpu: &CPUUsage{Percent: 20, UserPercent: 10, KernelPercent: 10},
			mem: mem, storage: &StorageUsage{},
		},
	}, {
		name: "total beyond user plus kernel",
		prev: full(0, time.Hour, 0, 0),
		cur:  func() sample { s := full(time.Second, time.Hour, 0.1*sec, 0); s.total = u64(0.3 * sec); return s }(),
		cpus: 1,
		want: want{
			interval: time.Second, uptime: time.Hour,
			cpu: &CPUUsage{Percent: 30, UserPercent: 10, KernelPercent: 10},
			mem: mem, storage: &StorageUsage{},
		},
	}, {
		name: "missing sub-objects",
		prev: sample{noProcessor: true, noMemory: true, noStorage: true},
		cur:  sample{at: time.Second, noProcessor: true, noMemory: true, noStorage: true},
		cpus: 1,
		want: want{interval: time.Second},
	}, {
		name: "sub-objects in one sample only",
		prev: sample{noProcessor: true, noMemory: true, noStorage: true},
		cur:  full(time.Second, time.Second, sec, 1),
		cpus: 1,
		// Memory is a gauge: the current sample suffices.
		want: want{interval: time.Second, uptime: time.Second, mem: mem},
	}, {
		name: "missing members",
		prev: func() sample { s := full(0, time.Hour, 0, 0); s.kernel, s.wbytes = nil, nil; return s }(),
		cur:  func() sample { s := full(time.Second, time.Hour, 0, 0); s.ws = nil; return s }(),
		cpus: 1,
		want: want{interval: time.Second, uptime: time.Hour},
	}, {
		name:    "equal timestamps",
		prev:    full(time.Second, time.Hour, 0, 0),
		cur:     full(time.Second, time.Hour, sec, 10),
		cpus:    1,
		wantErr: ErrStaleSample,
	}, {
		name:    "out of order",
		prev:    full(time.Second, time.Hour, sec, 10),
		cur:     full(0, time.Hour, 0, 0),
		cpus:    1,
		wantErr: ErrStaleSample,
	}, {
		name:    "no processors",
		prev:    full(0, time.Hour, 0, 0),
		cur:     full(time.Second, time.Hour, 0, 0),
		cpus:    0,
		wantErr: ErrInvalidArgument,
	}, {
		name:    "negative processors",
		prev:    full(0, time.Hour, 0, 0),
		cur:     full(time.Second, time.Hour, 0, 0),
		cpus:    -1,
		wantErr: ErrInvalidArgument,
	}, {
		name:    "no timestamp",
		prev:    sample{noTimeTag: true},
		cur:     full(time.Second, time.Hour, 0, 0),
		cpus:    1,
		wantErr: ErrInvalidArgument,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := UsageBetween(tt.prev.stats(), tt.cur.stats(), tt.cpus)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				if got != (Usage{}) {
					t.Errorf("usage = %+v with an error, want zero", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Timestamp.Equal(t0.Add(tt.cur.at)) {
				t.Errorf("Timestamp = %v, want %v", got.Timestamp, t0.Add(tt.cur.at))
			}
			if got.Interval != tt.want.interval || got.Uptime != tt.want.uptime || got.Restarted != tt.want.restarted {
				t.Errorf("Interval, Uptime, Restarted = %v, %v, %v; want %v, %v, %v",
					got.Interval, got.Uptime, got.Restarted, tt.want.interval, tt.want.uptime, tt.want.restarted)
			}
			checkCPU(t, got.CPU, tt.want.cpu)
			if (got.Memory == nil) != (tt.want.mem == nil) || got.Memory != nil && *got.Memory != *tt.want.mem {
				t.Errorf("Memory = %+v, want %+v", got.Memory, tt.want.mem)
			}
			checkStorage(t, got.Storage, tt.want.storage)
		})
	}
}

func TestStatsUsageBetweenNil(t *testing.T) {
	s := full(0, 0, 0, 0).stats()
	for _, pair := range [][2]*schema.Statistics{{nil, s}, {s, nil}, {nil, nil}} {
		if _, err := UsageBetween(pair[0], pair[1], 1); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("UsageBetween(%p, %p) error = %v, want ErrInvalidArgument", pair[0], pair[1], err)
		}
	}
}

// TestStatsNeverNegative checks that no rate is negative, and none
// is infinite or NaN, whatever the counters do between two samples.
func TestStatsNeverNegative(t *testing.T) {
	values := []uint64{0, 1, 1e7, math.MaxUint64}
	for _, p := range values {
		for _, c := range values {
			for _, up := range values {
				prev := sample{at: 0, uptime: u64(up), total: u64(p), user: u64(p), kernel: u64(p),
					reads: u64(p), rbytes: u64(p), writes: u64(p), wbytes: u64(p)}
				cur := sample{at: time.Millisecond, uptime: u64(c), total: u64(c), user: u64(c), kernel: u64(c),
					reads: u64(c), rbytes: u64(c), writes: u64(c), wbytes: u64(c)}
				u, err := UsageBetween(prev.stats(), cur.stats(), 1)
				if err != nil {
					t.Fatal(err)
				}
				if u.Interval <= 0 {
					t.Errorf("prev %d, cur %d, uptime %d: Interval = %v", p, c, up, u.Interval)
				}
				for _, v := range []float64{u.CPU.Percent, u.CPU.UserPercent, u.CPU.KernelPercent,
					u.Storage.ReadBytesPerSecond, u.Storage.WriteBytesPerSecond, u.Storage.ReadsPerSecond, u.Storage.WritesPerSecond} {
					if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
						t.Errorf("prev %d, cur %d, uptime %d: rate %v", p, c, up, v)
					}
				}
			}
		}
	}
}

// TestStatsZlayerFixture computes the use of the zlayer-hcs fixture
// since its system started: a sample taken at start, with zero counters,
// then the fixture 296 s later.
func TestStatsZlayerFixture(t *testing.T) {
	var cur schema.Statistics
	if err := json.Unmarshal([]byte(zlayerStatistics), &cur); err != nil {
		t.Fatal(err)
	}
	const uptime = 296 * time.Second
	start := &schema.Statistics{
		Timestamp:   cur.Timestamp.Add(-uptime),
		Uptime100ns: u64(0),
		Processor:   &schema.ProcessorStats{TotalRuntime100ns: u64(0), RuntimeUser100ns: u64(0), RuntimeKernel100ns: u64(0)},
		Storage:     &schema.StorageStats{ReadCountNormalized: u64(0), ReadSizeBytes: u64(0), WriteCountNormalized: u64(0), WriteSizeBytes: u64(0)},
	}
	for _, cpus := range []int{1, 2} {
		u, err := UsageBetween(start, &cur, cpus)
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2026, 4, 21, 12, 34, 56, 0, time.UTC); !u.Timestamp.Equal(want) {
			t.Errorf("Timestamp = %v, want %v", u.Timestamp, want)
		}
		if u.Interval != uptime || u.Uptime != uptime || u.Restarted {
			t.Errorf("Interval, Uptime, Restarted = %v, %v, %v; want %v, %v, false", u.Interval, u.Uptime, u.Restarted, uptime, uptime)
		}
		n := float64(cpus)
		// 0.1234567 s of processor time (0.09 user, 0.0334567 kernel) in 296 s.
		checkCPU(t, u.CPU, &CPUUsage{
			Percent:       100 * 0.1234567 / 296 / n,
			UserPercent:   100 * 0.09 / 296 / n,
			KernelPercent: 100 * 0.0334567 / 296 / n,
		})
		want := MemoryUsage{CommitBytes: 256 << 20, CommitPeakBytes: 300 << 20, PrivateWorkingSetBytes: 192 << 20}
		if u.Memory == nil || *u.Memory != want {
			t.Errorf("Memory = %+v, want %+v", u.Memory, want)
		}
		checkStorage(t, u.Storage, &StorageUsage{
			ReadBytesPerSecond:  1048576.0 / 296,
			WriteBytesPerSecond: 262144.0 / 296,
			ReadsPerSecond:      42.0 / 296,
			WritesPerSecond:     13.0 / 296,
		})
	}

	// The fixture against itself is a stale sample.
	if _, err := UsageBetween(&cur, &cur, 1); !errors.Is(err, ErrStaleSample) {
		t.Errorf("fixture against itself: error = %v, want ErrStaleSample", err)
	}
}

func TestStatsDuration100ns(t *testing.T) {
	for _, tt := range []struct {
		n    uint64
		want time.Duration
	}{
		{0, 0},
		{1, 100 * time.Nanosecond},
		{2960000000, 296 * time.Second},
		{math.MaxUint64, math.MaxInt64},
		{math.MaxInt64/100 + 1, math.MaxInt64},
	} {
		if got := duration100ns(tt.n); got != tt.want {
			t.Errorf("duration100ns(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

func checkCPU(t *testing.T, got, want *CPUUsage) {
	t.Helper()
	if (got == nil) != (want == nil) {
		t.Errorf("CPU = %+v, want %+v", got, want)
		return
	}
	if got == nil {
		return
	}
	if !near(got.Percent, want.Percent) || !near(got.UserPercent, want.UserPercent) || !near(got.KernelPercent, want.KernelPercent) {
		t.Errorf("CPU = %+v, want %+v", *got, *want)
	}
}

func checkStorage(t *testing.T, got, want *StorageUsage) {
	t.Helper()
	if (got == nil) != (want == nil) {
		t.Errorf("Storage = %+v, want %+v", got, want)
		return
	}
	if got == nil {
		return
	}
	if !near(got.ReadBytesPerSecond, want.ReadBytesPerSecond) || !near(got.WriteBytesPerSecond, want.WriteBytesPerSecond) ||
		!near(got.ReadsPerSecond, want.ReadsPerSecond) || !near(got.WritesPerSecond, want.WritesPerSecond) {
		t.Errorf("Storage = %+v, want %+v", *got, *want)
	}
}

// near reports whether a and b are equal up to rounding.
func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}
