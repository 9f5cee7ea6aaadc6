package hcssim

import (
	"container/heap"
	"runtime"
	"slices"
	"time"

	"github.com/gohcs/hcs/internal/backend"
)

// Delivery.
//
// Everything the Sim does later — completing an operation after its
// latency, delivering events, delivering a late event — is a task. A task
// due later waits in a heap watched by one timer goroutine; a due task
// joins the ready queue, which a bounded pool of workers drains. Callbacks
// run on the workers, never with s.mu held. Each event listener has its
// own queue, drained by at most one worker at a time, so the events of a
// handle arrive in order while different handles proceed in parallel and a
// slow callback holds up only its own worker. The events an operation
// causes (SystemExited for a shutdown, say) reach their callbacks before
// the operation's completion callback runs. The goroutines exist only while
// there is work: with nothing pending the Sim runs none.

// dispatcher is the state of delivery. It is guarded by Sim.mu.
type dispatcher struct {
	timers       taskHeap
	seq          uint64 // orders tasks due at the same time
	timerRunning bool   // the timer goroutine runs
	wake         chan struct{}
	ready        []func()
	workers      int // workers running
	running      int // tasks running on workers
	inFlight     int // callbacks running
	idle         chan struct{}

	// While an operation's outcome is computed, capturing is set and
	// captured collects the listeners that received events.
	capturing bool
	captured  []*listener
}

func (d *dispatcher) init() { d.wake = make(chan struct{}, 1) }

// quiet reports whether nothing is scheduled, queued or running.
func (d *dispatcher) quiet() bool {
	return len(d.timers) == 0 && len(d.ready) == 0 && d.running == 0
}

// maxWorkers bounds the goroutines that run callbacks.
var maxWorkers = max(4, runtime.GOMAXPROCS(0))

// task is work scheduled for a later time.
type task struct {
	when  time.Time
	seq   uint64
	fn    func()
	index int // in the heap; -1 once out of it
}

type taskHeap []*task

func (h taskHeap) Len() int { return len(h) }
func (h taskHeap) Less(i, j int) bool {
	if !h[i].when.Equal(h[j].when) {
		return h[i].when.Before(h[j].when)
	}
	return h[i].seq < h[j].seq
}
func (h taskHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *taskHeap) Push(x any) {
	t := x.(*task)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *taskHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}

// after runs fn on a worker once d has passed, or as soon as possible when
// d is not positive. It returns the task when fn waits in the timer heap,
// nil otherwise. s.mu is held.
func (s *Sim) after(d time.Duration, fn func()) *task {
	if d <= 0 {
		s.enqueue(fn)
		return nil
	}
	s.seq++
	t := &task{when: time.Now().Add(d), seq: s.seq, fn: fn}
	heap.Push(&s.timers, t)
	switch {
	case !s.timerRunning:
		s.timerRunning = true
		s.wg.Add(1)
		go s.runTimers()
	case t.index == 0:
		s.poke()
	}
	return t
}

// cancelTask removes t from the timer heap if it is still there. s.mu is
// held.
func (s *Sim) cancelTask(t *task) {
	if t != nil && t.index >= 0 {
		heap.Remove(&s.timers, t.index)
		s.poke()
	}
}

// dropTimers drops every task of the timer heap. s.mu is held.
func (s *Sim) dropTimers() {
	for _, t := range s.timers {
		t.index = -1
	}
	s.timers = nil
	s.poke()
}

// poke makes the timer goroutine look at the heap again. s.mu is held.
func (s *Sim) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// runTimers moves due tasks to the ready queue until the heap is empty.
func (s *Sim) runTimers() {
	defer s.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	s.mu.Lock()
	for {
		now := time.Now()
		for len(s.timers) > 0 && !s.timers[0].when.After(now) {
			s.enqueue(heap.Pop(&s.timers).(*task).fn)
		}
		if len(s.timers) == 0 {
			s.timerRunning = false
			s.checkIdle()
			s.mu.Unlock()
			return
		}
		timer.Reset(s.timers[0].when.Sub(now))
		s.mu.Unlock()
		select {
		case <-timer.C:
		case <-s.wake:
		}
		s.mu.Lock()
	}
}

// enqueue queues fn to run on a worker, starting one if there are fewer
// than maxWorkers. s.mu is held.
func (s *Sim) enqueue(fn func()) {
	s.ready = append(s.ready, fn)
	if s.workers < maxWorkers {
		s.workers++
		s.wg.Add(1)
		go s.work()
	}
}

// work runs ready tasks until there are none.
func (s *Sim) work() {
	defer s.wg.Done()
	s.mu.Lock()
	for len(s.ready) > 0 {
		fn := s.ready[0]
		s.ready[0] = nil
		s.ready = s.ready[1:]
		s.running++
		s.mu.Unlock()
		fn()
		s.mu.Lock()
		s.running--
	}
	s.ready = nil // let the backing array go
	s.workers--
	s.checkIdle()
	s.mu.Unlock()
}

// listener is an event callback registration: the context and options
// given to HcsSetComputeSystemCallback or HcsSetProcessCallback, and the
// events not delivered yet.
type listener struct {
	ctx       uintptr
	options   uint32
	queue     []item
	scheduled bool // a worker is or will be draining queue
	closed    bool // its handle was closed: events not delivered yet are dropped
}

// takesOperations reports whether the callback of l asked for operation
// completions as events (HcsEventOptionEnableOperationCallbacks). l may be
// nil.
func (l *listener) takesOperations() bool {
	return l != nil && l.options&backend.EventOptionEnableOperationCallbacks != 0
}

// item is an entry of a listener's queue: an event to deliver, or a
// function to run (with s.mu held) once the events before it are delivered.
type item struct {
	e    backend.Event
	then func()
}

// post queues e for l. s.mu is held.
func (s *Sim) post(l *listener, e backend.Event) {
	if s.capturing && !slices.Contains(s.captured, l) {
		s.captured = append(s.captured, l)
	}
	s.push(l, item{e: e})
}

// push appends it to l's queue and makes sure a worker drains it. s.mu is
// held.
func (s *Sim) push(l *listener, it item) {
	l.queue = append(l.queue, it)
	if !l.scheduled {
		l.scheduled = true
		s.enqueue(func() { s.drain(l) })
	}
}

// afterEvents runs fn, with s.mu held, once every event queued so far for
// the listeners ls has been delivered. s.mu is held.
func (s *Sim) afterEvents(ls []*listener, fn func()) {
	if len(ls) == 0 {
		fn()
		return
	}
	left := len(ls)
	for _, l := range ls {
		s.push(l, item{then: func() {
			if left--; left == 0 {
				fn()
			}
		}})
	}
}

// drain delivers l's events in order.
func (s *Sim) drain(l *listener) {
	s.mu.Lock()
	for len(l.queue) > 0 {
		it := l.queue[0]
		l.queue = l.queue[1:]
		if it.then != nil {
			it.then()
			continue
		}
		if l.closed {
			continue
		}
		s.callback(func(cb backend.Callbacks) {
			if cb.Event != nil {
				cb.Event(l.ctx, it.e)
			}
		})
	}
	l.queue = nil
	l.scheduled = false
	s.mu.Unlock()
}

// callback calls f with the callbacks, without s.mu, counting it in flight.
// s.mu is held on entry and on return.
func (s *Sim) callback(f func(backend.Callbacks)) {
	cb := s.cb
	s.inFlight++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
	}()
	f(cb)
}
