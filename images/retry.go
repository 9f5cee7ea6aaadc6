package images

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry tuning: how many times a registry request is retried by default,
// and the default backoff's first wait, its ceiling, and the longest
// Retry-After it honours.
const (
	defaultRetries = 4
	backoffFirst   = 500 * time.Millisecond
	backoffMax     = 8 * time.Second
	retryAfterMax  = time.Minute
)

// DefaultBackoff is the backoff PullOptions.Backoff defaults to: before
// retry n (from 1) it waits 0.5s·2ⁿ⁻¹, at most 8s, less up to a fifth at
// random so that many clients do not retry in step. When the registry
// sent Retry-After (retryAfter > 0), it waits that long instead, unless
// that is longer than a minute: then it returns -1, giving up, as a
// registry that asks for more is not having a transient failure.
func DefaultBackoff(n int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		if retryAfter > retryAfterMax {
			return -1
		}
		return retryAfter
	}
	d := backoffMax
	if n >= 1 && n <= 5 {
		d = min(backoffFirst<<(n-1), backoffMax)
	}
	return d - rand.N(d/5+1)
}

// retrier is the registry's transport below authentication: it retries a
// GET or HEAD that fails transiently (a connection error, 408, 429 or a
// 5xx) except blob downloads, which fetcher.fill retries itself,
// resuming. It never retries another 4xx.
type retrier struct {
	next    http.RoundTripper
	retries int
	backoff func(n int, retryAfter time.Duration) time.Duration
}

func (t *retrier) RoundTrip(req *http.Request) (*http.Response, error) {
	if (req.Method != http.MethodGet && req.Method != http.MethodHead) || strings.Contains(req.URL.Path, "/blobs/") {
		return t.next.RoundTrip(req)
	}
	ctx := req.Context()
	for n := 1; ; n++ {
		resp, err := t.next.RoundTrip(req)
		var why string
		var after time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil || !transientNet(err) {
				return nil, err
			}
			why = err.Error()
		case transientStatus(resp.StatusCode):
			why = resp.Status
			after = retryAfter(resp.Header.Get("Retry-After"), time.Now())
		default:
			return resp, nil
		}
		fail := func(more string) (*http.Response, error) {
			if resp != nil {
				resp.Body.Close()
			}
			return nil, &retryError{method: req.Method, url: req.URL.Redacted(), why: why, attempts: n, more: more, err: err}
		}
		if n > t.retries {
			return fail("")
		}
		wait := t.backoff(n, after)
		if wait < 0 {
			return fail(fmt.Sprintf("; the registry asks to retry after %s", after))
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return fail(fmt.Sprintf("; the next try, in %s, is past the deadline", wait.Round(time.Millisecond)))
		}
		if resp != nil {
			// Drain a little so the connection can be reused.
			io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
			resp.Body.Close()
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s %s: %s; %w while waiting to retry (attempt %d)", req.Method, req.URL.Redacted(), why, err, n)
		}
	}
}

// retryError is the failure of a request after its last attempt.
type retryError struct {
	method, url, why string
	attempts         int
	more             string
	err              error // the connection's error, if that was the failure
}

func (e *retryError) Error() string {
	s := "s"
	if e.attempts == 1 {
		s = ""
	}
	return fmt.Sprintf("%s %s: %s (%d attempt%s%s)", e.method, e.url, e.why, e.attempts, s, e.more)
}

func (e *retryError) Unwrap() error { return e.err }

// transientStatus reports whether a response with status code is worth
// retrying.
func transientStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || (code >= 500 && code != http.StatusNotImplemented && code != http.StatusHTTPVersionNotSupported)
}

// transientNet reports whether err, from a round trip, is a failure of the
// connection that a new one may not have: a reset, refusal, timeout or a
// connection closed before the response. A host that does not exist, or
// one whose certificate does not verify, is not.
func transientNet(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.IsTemporary || dns.IsTimeout
	}
	var op *net.OpError
	return errors.As(err, &op) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// retryAfter parses a Retry-After header, seconds or an HTTP date; 0 when
// it is absent or not in the future.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, 1<<20)) * time.Second
	}
	if at, err := http.ParseTime(h); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

// sleep waits d or until ctx ends, returning ctx's error then.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
