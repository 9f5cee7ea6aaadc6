package hcs

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gohcs/hcs/internal/backend"
)

// Benchmarks of the event path: the backend's event callback
// (dispatchEvent) fanning an event out to subscribers of one handle.

// benchEvent is a non-terminal event with a typical small document.
var benchEvent = backend.Event{
	Type: backend.EventSystemCrashInitiated,
	Data: `{"SystemId":"web1","CrashParameters":[30,1,2,3,4]}`,
}

// BenchmarkEventThroughput measures events per second from the callback to
// n subscribers that each drain their stream on a goroutine of their own,
// as a range loop over System.Events does. The time includes draining:
// recv-events/s counts the events subscribers actually received (a
// subscriber that falls behind loses the oldest; missed/op says how many).
func BenchmarkEventThroughput(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			sink := newEventSink(EventSystemExited)
			ctx, cancel := context.WithCancel(context.Background())
			var received, missed atomic.Int64
			var wg sync.WaitGroup
			for range n {
				sub := sink.subscribe()
				wg.Go(func() {
					for {
						e, ok := sub.next(ctx)
						if !ok {
							return
						}
						received.Add(1)
						missed.Add(int64(e.Missed))
					}
				})
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				dispatchEvent(sink.key, benchEvent)
			}
			// Wait until every subscriber has seen every event, received
			// or counted as missed.
			for received.Load()+missed.Load() < int64(n*b.N) {
				if time.Since(start) > time.Minute {
					b.Fatalf("subscribers stuck: %d received, %d missed of %d", received.Load(), missed.Load(), n*b.N)
				}
				time.Sleep(10 * time.Microsecond)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			cancel()
			sink.close()
			wg.Wait()
			b.ReportMetric(float64(received.Load())/float64(n)/elapsed.Seconds(), "recv-events/s")
			b.ReportMetric(float64(missed.Load())/float64(n*b.N), "missed/op")
		})
	}
}

// BenchmarkEventCallbackLatency measures how long the callback itself holds
// the HCS thread, per event, while one subscriber never reads (its queue
// is full, so every event drops its oldest) and another drains. It reports
// the 50th, 99th and 99.9th percentiles and the maximum.
func BenchmarkEventCallbackLatency(b *testing.B) {
	sink := newEventSink(EventSystemExited)
	ctx, cancel := context.WithCancel(context.Background())
	_ = sink.subscribe() // stalled: never read
	live := sink.subscribe()
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			if _, ok := live.next(ctx); !ok {
				return
			}
		}
	})
	// Fill the stalled subscriber's queue first.
	for range subscriberBuffer {
		dispatchEvent(sink.key, benchEvent)
	}
	durations := make([]time.Duration, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		dispatchEvent(sink.key, benchEvent)
		durations[i] = time.Since(t0)
	}
	b.StopTimer()
	cancel()
	sink.close()
	wg.Wait()
	slices.Sort(durations)
	at := func(q float64) float64 { return float64(durations[int(q*float64(len(durations)-1))].Nanoseconds()) }
	b.ReportMetric(at(0.50), "p50-ns")
	b.ReportMetric(at(0.99), "p99-ns")
	b.ReportMetric(at(0.999), "p99.9-ns")
	b.ReportMetric(at(1), "max-ns")
}
