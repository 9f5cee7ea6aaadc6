//go:build windows

package hcs_test

import (
	"context"
	"flag"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/computecore"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
	"github.com/gohcs/hcs/schema"
)

// BenchmarkThreads puts 10,000 operations in flight at once on the mock
// computecore.dll, whose completions are delayed by 50 ms, and counts the
// OS threads of the process: first through the safe API (10,000 goroutines
// each calling Host.ListSystems, which waits on a channel the completion
// callback closes), then the way hcsshim v2 waits (goroutines each blocking
// in HcsWaitForOperationResult, through the computecore backend). Run it
// with -benchtime=1x, one process per run: Go keeps the threads it made for
// the rest of the process.
//
// The hcsshim-style round makes -threads.wait calls (default 1,000), and
// the API is measured at that load too, for the ratio: under Wine, a
// process with 10,000 threads takes many minutes to build (and Go's default
// limit of 10,000 threads would end it), so that round cannot run at full
// load here.
//
// The threads are counted by the mock's sampler (mockctl.ThreadSampler): a
// native thread that never runs Go code takes a toolhelp snapshot every
// 2 ms. A sampler written in Go is starved by Go's scheduler exactly when
// threads pile up in blocking calls, and misses the peak.
//
// Metrics: threads-* are the process's thread counts: before the rounds
// (idle) and the peaks during each round; they include the mock's thread
// pool (up to 64 threads, which call back into Go) and Wine's own threads.
// go-threads-* count only the threads Go created, told apart by their start
// address (in the executable). inflight-* are the largest numbers of calls
// pending at once; wait/api is the ratio of Go's threads at the same load
// (-threads.wait calls). The log also gives, per round, Go's threads
// counted after it (Go keeps its idle threads, so that is Go's peak, a
// cross-check of the sampler) and the threadcreate profile's growth (which
// also counts the M structures Go lends to foreign threads that call back,
// so it is not a thread count).
var threadsWaitCalls = flag.Int("threads.wait", 1000, "calls in flight for BenchmarkThreads's hcsshim-style round")

func BenchmarkThreads(b *testing.B) {
	if why := mockctl.Why(); why != "" {
		b.Skip("needs the mock computecore.dll installed by the Wine harness: " + why)
	}
	const (
		calls = 10000
		delay = 50 * time.Millisecond
	)
	waitCalls := *threadsWaitCalls
	h := hcs.Local() // installs the completion callback first
	raw, err := computecore.Backend()
	if err != nil {
		b.Fatal(err)
	}
	// hcsshim's way needs a thread per waiting call; Go's default limit of
	// 10,000 threads would end the process.
	defer debug.SetMaxThreads(debug.SetMaxThreads(3 * calls))
	mockctl.Reset()
	// Warm the mock's pool and the callback path.
	if _, err := h.ListSystems(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	mockctl.SetCompletionDelay(delay)
	defer mockctl.SetCompletionDelay(0)

	query := `{"Owners":["nobody"]}`
	api := func() error {
		_, err := h.ListSystems(context.Background(), &schema.SystemQuery{Owners: []string{"nobody"}})
		return err
	}
	hcsshim := func() error {
		op, err := raw.CreateOperation(0) // key 0: package hcs ignores its completion
		if err != nil {
			return err
		}
		defer raw.CloseOperation(op)
		if err := raw.EnumerateComputeSystems(query, op); err != nil {
			return err
		}
		_, err = raw.WaitForOperationResult(op, windows.INFINITE)
		return err
	}

	var idle threadsNow
	var api1k, api10k, wait1k round
	for range b.N {
		runtime.GC()
		idle = countThreads(b)
		api1k = threadRound(b, waitCalls, api)
		api10k = threadRound(b, calls, api)
		wait1k = threadRound(b, waitCalls, hcsshim)
	}
	b.ReportMetric(float64(idle.Threads), "threads-idle")
	b.ReportMetric(float64(idle.GoThreads), "go-threads-idle")
	b.ReportMetric(float64(api10k.peak.Threads), "threads-api")
	b.ReportMetric(float64(api10k.peak.GoThreads), "go-threads-api")
	b.ReportMetric(float64(api1k.peak.Threads), "threads-api-small")
	b.ReportMetric(float64(api1k.peak.GoThreads), "go-threads-api-small")
	b.ReportMetric(float64(wait1k.peak.Threads), "threads-wait")
	b.ReportMetric(float64(wait1k.peak.GoThreads), "go-threads-wait")
	b.ReportMetric(float64(api10k.inflight), "inflight-api")
	b.ReportMetric(float64(wait1k.inflight), "inflight-wait")
	b.ReportMetric(float64(wait1k.peak.GoThreads)/float64(max(api1k.peak.GoThreads, 1)), "wait/api")
	b.ReportMetric(api10k.took.Seconds(), "s-api")
	b.ReportMetric(wait1k.took.Seconds(), "s-wait")
	b.Logf("GOMAXPROCS=%d; idle: %d threads, %d of them Go's", runtime.GOMAXPROCS(0), idle.Threads, idle.GoThreads)
	for _, r := range []struct {
		name  string
		calls int
		r     round
	}{{"api", waitCalls, api1k}, {"api", calls, api10k}, {"hcsshim-style", waitCalls, wait1k}} {
		b.Logf("%s, %d calls (%d at once, %v): peak %d threads, %d of them Go's (%d samples); Go's threads after: %d; threadcreate +%d",
			r.name, r.calls, r.r.inflight, r.r.took.Round(time.Millisecond), r.r.peak.Threads, r.r.peak.GoThreads,
			r.r.peak.Samples, r.r.after.GoThreads, r.r.created)
	}
	if n := mockctl.LiveHandles(); n != 0 {
		b.Errorf("%d mock handles left open", n)
	}
}

// threadsNow is a count of the process's threads at one moment.
type threadsNow = mockctl.ThreadPeaks

// countThreads counts the process's threads now (the sampler's first and
// last samples).
func countThreads(b *testing.B) threadsNow {
	s, err := mockctl.StartThreadSampler(time.Millisecond)
	if err != nil {
		b.Fatal(err)
	}
	return s.Stop()
}

// round is what threadRound measured.
type round struct {
	peak     mockctl.ThreadPeaks // sampled during the round
	after    threadsNow          // counted after it
	created  int                 // growth of the threadcreate profile
	inflight int                 // the most calls pending at once
	took     time.Duration
}

// threadRound runs call on n goroutines released at once, with the mock's
// sampler counting the process's threads meanwhile.
func threadRound(b *testing.B, n int, call func() error) round {
	threadcreate := pprof.Lookup("threadcreate")
	before := threadcreate.Count()
	var pending, most atomic.Int64
	var failed atomic.Int64
	release := make(chan struct{})
	var ready, wg sync.WaitGroup
	for range n {
		ready.Add(1)
		wg.Go(func() {
			ready.Done()
			<-release
			p := pending.Add(1)
			for m := most.Load(); p > m && !most.CompareAndSwap(m, p); m = most.Load() {
			}
			if err := call(); err != nil && failed.Add(1) == 1 {
				b.Error(err)
			}
			pending.Add(-1)
		})
	}
	ready.Wait()
	sampler, err := mockctl.StartThreadSampler(2 * time.Millisecond)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	close(release)
	wg.Wait()
	r := round{took: time.Since(start)}
	r.peak = sampler.Stop()
	r.after = countThreads(b)
	r.created = threadcreate.Count() - before
	r.inflight = int(most.Load())
	return r
}
