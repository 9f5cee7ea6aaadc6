package main

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
)

// pausingWriter pauses the command writing to it at its first write, until
// the test lets it go on: a gate between two steps of the command.
type pausingWriter struct {
	syncBuffer
	once   sync.Once
	paused chan struct{} // closed at the first write
	resume chan struct{} // closed by the test
}

func newPausingWriter() *pausingWriter {
	return &pausingWriter{paused: make(chan struct{}), resume: make(chan struct{})}
}

func (w *pausingWriter) Write(p []byte) (int, error) {
	n, err := w.syncBuffer.Write(p)
	w.once.Do(func() {
		close(w.paused)
		<-w.resume
	})
	return n, err
}

// TestStatsSystemStops checks that hcs stats --watch reports a system that
// stops as stopped, and how, whether it stops between two samples (HCS
// then fails the next with HCS_E_INVALID_STATE) or during one (the exit
// fails the pending query with ErrUnexpectedExit): the report does not
// depend on the moment. Other failures are reported as they are. The
// system stops once the command has written its first refresh.
func TestStatsSystemStops(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(t *testing.T, sim *hcssim.Sim, host *hcs.Host)
		want string // stderr, a regular expression
	}{
		{
			name: "between samples",
			stop: func(t *testing.T, _ *hcssim.Sim, host *hcs.Host) {
				sys, err := host.OpenSystem(t.Context(), "c0000")
				if err != nil {
					t.Fatal(err)
				}
				defer sys.Close()
				if err := sys.Terminate(t.Context()); err != nil {
					t.Fatal(err)
				}
			},
			want: `\Ahcs stats c0000: the compute system stopped \(ForcedExit\)\n\z`,
		},
		{
			name: "during a sample",
			stop: func(_ *testing.T, sim *hcssim.Sim, _ *hcs.Host) { sim.ExitDuringNext(hcssim.CallGetProperties) },
			want: `\Ahcs stats c0000: the compute system stopped \(UnexpectedExit\)\n\z`,
		},
		{
			name: "sample fails",
			stop: func(_ *testing.T, sim *hcssim.Sim, _ *hcs.Host) {
				sim.FailNext(hcssim.CallGetProperties, hcs.E_FAIL, "broken")
			},
			want: `\Ahcs stats c0000: properties: E_FAIL \(0x80004005\): .*broken\n\z`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, host := newSimHost(t, 1)
			out := newPausingWriter()
			var errOut syncBuffer
			a := &app{stdin: strings.NewReader(""), stdout: out, stderr: &errOut, host: host}
			done := make(chan int, 1)
			go func() {
				done <- a.execute(context.Background(), []string{"stats", "--watch", "--interval", "1ms", "c0000", "-o", "json"})
			}()
			select {
			case <-out.paused:
			case code := <-done:
				t.Fatalf("exit status %d before the first refresh; stderr: %s", code, errOut.String())
			}
			tc.stop(t, sim, host)
			close(out.resume)
			if code := <-done; code != exitFailure {
				t.Errorf("exit status %d, want %d", code, exitFailure)
			}
			if got := errOut.String(); !regexp.MustCompile(tc.want).MatchString(got) {
				t.Errorf("stderr %q, want it to match %s", got, tc.want)
			}
		})
	}
}
