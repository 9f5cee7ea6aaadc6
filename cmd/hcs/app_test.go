package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
)

// newSimHost returns a simulated host with n running containers, closed
// when the test ends.
func newSimHost(tb testing.TB, n int) (*hcssim.Sim, *hcs.Host) {
	tb.Helper()
	sim := hcssim.New()
	tb.Cleanup(sim.Close)
	host := sim.Host()
	ctx := context.Background()
	for i := range n {
		sys, err := host.CreateSystem(ctx, fmt.Sprintf("c%04d", i), `{"Owner":"bench","Container":{}}`)
		if err != nil {
			tb.Fatal(err)
		}
		err = sys.Start(ctx)
		sys.Close()
		if err != nil {
			tb.Fatal(err)
		}
	}
	return sim, host
}

// syncBuffer is a bytes.Buffer safe for concurrent use, reporting writes
// that match a pattern.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	pattern *regexp.Regexp
	match   chan []string
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pattern != nil {
		if m := b.pattern.FindStringSubmatch(string(p)); m != nil {
			b.match <- m
		}
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestListInProcess(t *testing.T) {
	_, host := newSimHost(t, 3)
	var out, errOut bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, host: host}
	if code := a.execute(context.Background(), []string{"list", "--id", "c0001"}); code != 0 {
		t.Fatalf("exit status %d: %s", code, errOut.String())
	}
	want := regexp.MustCompile(`(?m)\A` +
		`ID +TYPE +OWNER +STATE +RUNTIME ID +UPTIME\n` +
		`c0001 +Container +bench +Running +[0-9a-f-]{36} +less than a second\n\z`)
	if !want.MatchString(out.String()) {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestMetrics(t *testing.T) {
	_, host := newSimHost(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &syncBuffer{pattern: regexp.MustCompile(`serving (http://\S+)`), match: make(chan []string, 1)}
	a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr, host: host}
	done := make(chan int)
	go func() { done <- a.execute(ctx, []string{"metrics", "--listen", "127.0.0.1:0"}) }()

	var url string
	select {
	case m := <-stderr.match:
		url = m[1]
	case code := <-done:
		t.Fatalf("hcs metrics ended with %d: %s", code, stderr.String())
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`hcs_system_info{id="c0000",owner="bench",runtime_os="Windows",type="Container"} 1`,
		`hcs_system_state{id="c0001",owner="bench",state="Running"} 1`,
		`hcs_system_memory_commit_bytes{id="c0001",owner="bench"} 2.68435456e+08`,
		`hcs_system_cpu_seconds_total{id="c0000",mode="user",owner="bench"} `,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("scrape lacks %s:\n%s", want, body)
		}
	}
	cancel() // Ctrl-C
	if code := <-done; code != 0 {
		t.Errorf("exit status %d after Ctrl-C: %s", code, stderr.String())
	}
}

func TestDemoInProcess(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"demo", "--fast"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("exit status %d: %s\n%s", code, errOut.String(), out.String())
	}
	if !strings.Contains(out.String(), "systems left: 0, handles open: 0") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestDemoInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"demo", "--fast"}, strings.NewReader(""), &out, &errOut); code != exitInterrupted {
		t.Errorf("exit status %d, want %d: %s", code, exitInterrupted, errOut.String())
	}
	if got, want := errOut.String(), "hcs demo: interrupted\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}

// TestSpinner checks that the spinner is erased before anything else is
// written to stderr, and by the time during returns.
func TestSpinner(t *testing.T) {
	out := &syncBuffer{pattern: regexp.MustCompile(`stopping t2 \(`), match: make(chan []string, 100)}
	e := &errWriter{w: out, tty: true}
	a := &app{stdout: io.Discard, stderr: e}
	drawn := make(chan struct{})
	err := a.during(context.Background(), "stopping t2", func(context.Context) error {
		<-out.match // the spinner is drawn
		// A message while the spinner is drawn starts on a clean line.
		fmt.Fprintln(a.stderr, "hcs stop t2: no shutdown within 2s: terminating")
		close(drawn)
		return errors.New("hung")
	})
	<-drawn
	if err == nil || err.Error() != "hung" {
		t.Errorf("during returned %v, want fn's error", err)
	}
	// during has returned: the spinner is gone and draws no more.
	fmt.Fprintln(a.stderr, "hcs stop t2: done")
	got := out.String()
	frame := `\r\x1b\[K[|/\\-] stopping t2 \([0-9]+\.[0-9]s\)`
	want := regexp.MustCompile(`\A(` + frame + `)+\r\x1b\[Khcs stop t2: no shutdown within 2s: terminating\n` +
		`(` + frame + `)*(\r\x1b\[K)?hcs stop t2: done\n\z`)
	if !want.MatchString(got) {
		t.Errorf("stderr %q", got)
	}
}

func TestHumanUnits(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{humanBytes(0), "0B"},
		{humanBytes(1536), "1.5KiB"},
		{humanBytes(256 << 20), "256MiB"},
		{humanBytes(408467.4), "399KiB"},
		{humanDuration(500 * time.Millisecond), "less than a second"},
		{humanDuration(time.Second), "1 second"},
		{humanDuration(3 * time.Minute), "3 minutes"},
		{humanDuration(47 * time.Hour), "47 hours"},
		{humanDuration(72 * time.Hour), "3 days"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// BenchmarkList1000 runs hcs list, end to end from the command line to
// the table, over 1,000 running simulated containers: one enumeration, then
// an open and a statistics query per system for its uptime.
func BenchmarkList1000(b *testing.B) {
	_, host := newSimHost(b, 1000)
	ctx := context.Background()
	var out bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: io.Discard, host: host}
		if code := a.execute(ctx, []string{"list"}); code != 0 {
			b.Fatalf("exit status %d", code)
		}
	}
	if lines := strings.Count(out.String(), "\n"); lines != 1001 {
		b.Fatalf("%d lines", lines)
	}
}

// TestEventsQuoteIDs checks that hcs events prints an id another program
// gave a system, with a bidirectional override in it, quoted.
func TestEventsQuoteIDs(t *testing.T) {
	_, host := newSimHost(t, 0)
	const id = "rtl\u202eexe"
	sys, err := host.CreateSystem(t.Context(), id, `{"Owner":"other","Container":{}}`)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	var out, errOut syncBuffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, host: host}
	subscribed := make(chan struct{})
	setTestHook(t, func(event string) {
		if event == "events "+showID(id)+": subscribed" {
			close(subscribed)
		}
	})
	done := make(chan int, 1)
	go func() { done <- a.execute(context.Background(), []string{"events", id}) }()
	select {
	case <-subscribed:
	case code := <-done:
		t.Fatalf("hcs events ended with %d: %s", code, errOut.String())
	}
	if err := sys.Terminate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("exit status %d: %s", code, errOut.String())
	}
	want := regexp.MustCompile(`^\S+  "rtl\\u202eexe"  SystemExited  \{"Status":0,"ExitType":"ForcedExit"\}\n$`)
	if got := out.String(); !want.MatchString(got) {
		t.Errorf("stdout %q", got)
	}
}
