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
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/computecore"
	"github.com/gohcs/hcs/internal/winetest/mockctl"
)

// BenchmarkThreads puts 10,000 operations in flight at once on the mock
// computecore.dll, whose completions are delayed by 50 ms, and counts the
// OS threads of the process: first through the safe API (10,000 goroutines
// each calling Host.ListSystems, which waits on a channel the completion
// callback closes), then the way hcsshim v2 waits (10,000 goroutines each
// blocking in HcsWaitForOperationResult, through the computecore backend).
// Run it with -benchtime=1x, one process per run: Go keeps the threads it
// made for the rest of the process.
//
// The hcsshim-style round makes -threads.wait calls (default 1,000), and
// the API is measured at that load too, for the ratio: under Wine, a
// process with 10,000 threads takes many minutes to build (and Go's default
// limit of 10,000 threads would end it), so that round cannot run at full
// load here.
//
// Metrics: threads-* are the process's thread counts (toolhelp snapshot):
// before the rounds (idle) and the peaks sampled during each round; they
// include the mock's thread pool (up to 64 threads, which call back into
// Go) and Wine's own threads. go-threads-* count only the threads Go
// created, told apart by their start address (in the executable). Go's
// threadcreate profile is logged too; it also counts the M structures Go
// lends to foreign threads that call back, so it is not a thread count.
// inflight-* are the largest numbers of calls pending at once; wait/api is
// the ratio of Go's threads at the same load (-threads.wait calls).
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
	if _, err := h.ListSystems(context.Background(), hcs.Query{}); err != nil {
		b.Fatal(err)
	}
	mockctl.SetCompletionDelay(delay)
	defer mockctl.SetCompletionDelay(0)

	query := `{"Owners":["nobody"]}`
	api := func() error {
		_, err := h.ListSystems(context.Background(), hcs.Query{Owners: []string{"nobody"}})
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

	var idle, peakAPI, peakAPISmall, peakWait threadCount
	var goAPI, goAPISmall, goWait, inflightAPI, inflightAPISmall, inflightWait int
	var durAPI, durAPISmall, durWait time.Duration
	for range b.N {
		runtime.GC()
		idle = processThreads(b)
		peakAPISmall, goAPISmall, inflightAPISmall, durAPISmall = threadRound(b, waitCalls, api)
		peakAPI, goAPI, inflightAPI, durAPI = threadRound(b, calls, api)
		peakWait, goWait, inflightWait, durWait = threadRound(b, waitCalls, hcsshim)
	}
	b.ReportMetric(float64(idle.all), "threads-idle")
	b.ReportMetric(float64(idle.go_), "go-threads-idle")
	b.ReportMetric(float64(peakAPI.all), "threads-api")
	b.ReportMetric(float64(peakAPI.go_), "go-threads-api")
	b.ReportMetric(float64(peakAPISmall.all), "threads-api-small")
	b.ReportMetric(float64(peakAPISmall.go_), "go-threads-api-small")
	b.ReportMetric(float64(peakWait.all), "threads-wait")
	b.ReportMetric(float64(peakWait.go_), "go-threads-wait")
	b.ReportMetric(float64(inflightAPI), "inflight-api")
	b.ReportMetric(float64(inflightWait), "inflight-wait")
	b.ReportMetric(float64(peakWait.go_)/float64(max(peakAPISmall.go_, 1)), "wait/api")
	b.ReportMetric(durAPI.Seconds(), "s-api")
	b.ReportMetric(durWait.Seconds(), "s-wait")
	b.Logf("GOMAXPROCS=%d; idle: %d threads, %d of them Go's", runtime.GOMAXPROCS(0), idle.all, idle.go_)
	b.Logf("api, %d calls (%d at once, %v): peak %d threads, %d of them Go's; threadcreate +%d", waitCalls, inflightAPISmall, durAPISmall, peakAPISmall.all, peakAPISmall.go_, goAPISmall)
	b.Logf("api, %d calls (%d at once, %v): peak %d threads, %d of them Go's; threadcreate +%d", calls, inflightAPI, durAPI, peakAPI.all, peakAPI.go_, goAPI)
	b.Logf("hcsshim-style, %d calls (%d at once, %v): peak %d threads, %d of them Go's; threadcreate +%d", waitCalls, inflightWait, durWait, peakWait.all, peakWait.go_, goWait)
	if n := mockctl.LiveHandles(); n != 0 {
		b.Errorf("%d mock handles left open", n)
	}
}

// threadRound runs call on n goroutines released at once and returns the
// peak thread count of the process sampled meanwhile, the number of threads
// Go created, the largest number of calls pending at once and the time
// taken.
func threadRound(b *testing.B, n int, call func() error) (peak threadCount, created, inflight int, took time.Duration) {
	threadcreate := pprof.Lookup("threadcreate")
	before := threadcreate.Count()
	stop := make(chan struct{})
	sampled := make(chan threadCount)
	go func() {
		var peak threadCount
		for {
			c := processThreads(b)
			peak.all, peak.go_ = max(peak.all, c.all), max(peak.go_, c.go_)
			select {
			case <-stop:
				sampled <- peak
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
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
	start := time.Now()
	close(release)
	wg.Wait()
	took = time.Since(start)
	close(stop)
	peak = <-sampled
	return peak, threadcreate.Count() - before, int(most.Load()), took
}

var (
	ntdll                        = windows.NewLazySystemDLL("ntdll.dll")
	procNtQueryInformationThread = ntdll.NewProc("NtQueryInformationThread")
)

// threadQuerySetWin32StartAddress is the THREADINFOCLASS value that gives a
// thread's start address.
const threadQuerySetWin32StartAddress = 9

// exeImage returns the address range of the test executable's image: the
// threads Go creates start there (runtime.tstart_stdcall), the mock's pool
// and Wine's threads do not.
func exeImage(b *testing.B) (lo, hi uintptr) {
	var exe windows.Handle
	if err := windows.GetModuleHandleEx(0, nil, &exe); err != nil {
		b.Fatalf("GetModuleHandleEx: %v", err)
	}
	var mi windows.ModuleInfo
	if err := windows.GetModuleInformation(windows.CurrentProcess(), exe, &mi, uint32(unsafe.Sizeof(mi))); err != nil {
		b.Fatalf("GetModuleInformation: %v", err)
	}
	return mi.BaseOfDll, mi.BaseOfDll + uintptr(mi.SizeOfImage)
}

// threadCount is a count of the threads of this process.
type threadCount struct {
	all int // every thread
	go_ int // threads that start in the executable: the ones Go created
}

// processThreads counts the threads of this process with a toolhelp
// snapshot, and those among them that Go created by their start address.
func processThreads(b *testing.B) threadCount {
	lo, hi := exeImage(b)
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPTHREAD, 0)
	if err != nil {
		b.Errorf("CreateToolhelp32Snapshot: %v", err) // Errorf: samplers run on their own goroutine
		return threadCount{}
	}
	defer windows.CloseHandle(snap)
	pid := windows.GetCurrentProcessId()
	var n threadCount
	e := windows.ThreadEntry32{Size: uint32(unsafe.Sizeof(windows.ThreadEntry32{}))}
	for err = windows.Thread32First(snap, &e); err == nil; err = windows.Thread32Next(snap, &e) {
		if e.OwnerProcessID != pid {
			continue
		}
		n.all++
		th, err := windows.OpenThread(windows.THREAD_QUERY_INFORMATION, false, e.ThreadID)
		if err != nil {
			continue // exited since the snapshot
		}
		var start uintptr
		// SAFETY: start is a pointer-sized local the call fills; its size
		// is passed along.
		r, _, _ := procNtQueryInformationThread.Call(uintptr(th), threadQuerySetWin32StartAddress,
			uintptr(unsafe.Pointer(&start)), unsafe.Sizeof(start), 0)
		windows.CloseHandle(th)
		if r == 0 && start >= lo && start < hi {
			n.go_++
		}
	}
	return n
}
