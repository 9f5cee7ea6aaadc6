package images

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohcs/hcs/internal/registrytest"
)

// waits records the calls of a backoff and answers them with d.
type waits struct {
	mu     sync.Mutex
	n      []int
	after  []time.Duration
	answer time.Duration
}

func (w *waits) backoff(n int, after time.Duration) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n = append(w.n, n)
	w.after = append(w.after, after)
	return w.answer
}

// manifestRequests counts the manifest requests among reqs.
func manifestRequests(reqs []registrytest.Request) int {
	n := 0
	for _, q := range reqs {
		if strings.Contains(q.Path, "/manifests/") {
			n++
		}
	}
	return n
}

// TestPullRetriesManifests checks that transient failures of manifest and
// index requests are retried, with the registry's Retry-After passed to
// the backoff.
func TestPullRetriesManifests(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     registrytest.Fault
		wantAfter time.Duration
	}{
		{"503", registrytest.FailManifests(2, http.StatusServiceUnavailable, nil), 0},
		{"429 Retry-After", registrytest.FailManifests(2, http.StatusTooManyRequests, http.Header{"Retry-After": {"7"}}), 7 * time.Second},
		{"connection dropped", registrytest.DropManifests(2), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := startRegistry(t)
			s := openStore(t)
			reg.SetFault(tc.fault)
			var w waits
			opts := options(t, reg)
			opts.Backoff = w.backoff
			// net/http itself retries a request whose reused connection
			// dropped: new connections leave the retries to the retrier.
			opts.Transport.(*http.Transport).DisableKeepAlives = true
			im, err := s.Pull(context.Background(), reg.Ref(registrytest.Nanoserver), opts)
			if err != nil {
				t.Fatal(err)
			}
			if im.Index == "" || len(im.Layers) != 2 {
				t.Errorf("image %+v", im)
			}
			if len(w.n) != 2 || w.n[0] != 1 || w.n[1] != 2 {
				t.Errorf("backoff called for retries %v, want [1 2]", w.n)
			}
			for _, a := range w.after {
				if a != tc.wantAfter {
					t.Errorf("backoff given Retry-After %s, want %s", a, tc.wantAfter)
				}
			}
			// The tag's HEAD twice failed, then HEAD, the index and the manifest.
			if got := manifestRequests(reg.Requests()); got != 5 {
				t.Errorf("%d manifest requests, want 5", got)
			}
		})
	}
}

// TestPullRetriesGiveUp checks that a registry failing every time fails
// the pull after Retries retries, saying how many attempts were made, and
// that not found is never retried.
func TestPullRetriesGiveUp(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	reg.SetFault(registrytest.FailManifests(1000, http.StatusBadGateway, nil))
	var w waits
	opts := options(t, reg)
	opts.Backoff = w.backoff
	opts.Retries = 2
	_, err := s.Pull(context.Background(), reg.Ref(registrytest.App), opts)
	if err == nil || !strings.Contains(err.Error(), "502 Bad Gateway (3 attempts)") {
		t.Fatalf("error %v, want one saying 502 after 3 attempts", err)
	}
	// HEAD, tried 3 times; no GET after it, which would fail as well.
	if got := manifestRequests(reg.Requests()); got != 3 {
		t.Errorf("%d manifest requests, want 3", got)
	}

	reg.SetFault(nil)
	w.n = nil
	_, err = s.Pull(context.Background(), reg.Host+"/windows/missing:1", opts)
	if err == nil || !strings.Contains(err.Error(), "NAME_UNKNOWN") {
		t.Fatalf("error %v, want NAME_UNKNOWN", err)
	}
	if len(w.n) != 0 {
		t.Errorf("not found was retried: backoff called %v", w.n)
	}
	if got := manifestRequests(reg.Requests()); got != 2 { // HEAD, then GET
		t.Errorf("%d manifest requests, want 2", got)
	}

	opts.Retries = -1
	reg.SetFault(registrytest.FailManifests(1, http.StatusServiceUnavailable, nil))
	_, err = s.Pull(context.Background(), reg.Ref(registrytest.App), opts)
	if err == nil || !strings.Contains(err.Error(), "503 Service Unavailable (1 attempt)") {
		t.Fatalf("error %v, want the first 503, unretried", err)
	}
	if len(w.n) != 0 {
		t.Errorf("Retries -1 retried: backoff called %v", w.n)
	}
}

// TestPullRetryCancel checks that a pull waiting to retry stops when ctx
// ends, and does not begin a wait that would end past ctx's deadline.
func TestPullRetryCancel(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	reg.SetFault(registrytest.FailManifests(1000, http.StatusServiceUnavailable, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := options(t, reg)
	opts.Backoff = func(int, time.Duration) time.Duration {
		cancel() // the user gives up during the wait
		return time.Hour
	}
	_, err := s.Pull(ctx, reg.Ref(registrytest.App), opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if got := manifestRequests(reg.Requests()); got != 1 {
		t.Errorf("%d manifest requests after the cancel, want 1", got)
	}

	ctx, cancel2 := context.WithTimeout(context.Background(), time.Hour)
	defer cancel2()
	opts.Backoff = func(int, time.Duration) time.Duration { return 2 * time.Hour }
	_, err = s.Pull(ctx, reg.Ref(registrytest.App), opts)
	if err == nil || !strings.Contains(err.Error(), "past the deadline") || !strings.Contains(err.Error(), "(1 attempt;") {
		t.Fatalf("error %v, want one saying the retry is past the deadline", err)
	}
}

func TestDefaultBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 500 * time.Millisecond, 2: time.Second, 3: 2 * time.Second, 5: 8 * time.Second, 9: 8 * time.Second} {
		if got := DefaultBackoff(n, 0); got > want || got < want*4/5 {
			t.Errorf("DefaultBackoff(%d, 0) = %s, want %s less up to a fifth", n, got, want)
		}
	}
	if got := DefaultBackoff(1, 30*time.Second); got != 30*time.Second {
		t.Errorf("DefaultBackoff(1, 30s) = %s, want the Retry-After", got)
	}
	if got := DefaultBackoff(1, time.Hour); got >= 0 {
		t.Errorf("DefaultBackoff(1, 1h) = %s, want a negative duration: give up", got)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		" 0 ":                           0,
		"-3":                            0,
		"soon":                          0,
		"Fri, 02 Jan 2026 03:04:35 GMT": 30 * time.Second,
		"Fri, 02 Jan 2026 03:04:00 GMT": 0,
	} {
		if got := retryAfter(h, now); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", h, got, want)
		}
	}
}
