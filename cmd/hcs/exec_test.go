package main

import (
	"context"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/gohcs/hcs/hcssim"
)

// TestExecBlockedStdin checks that hcs exec -i ends when its process
// exits, with the process's status, although its standard input does not
// reach end of file.
func TestExecBlockedStdin(t *testing.T) {
	_, host := newSimHost(t, 1)
	for _, tc := range []struct {
		cmd  []string
		want int
	}{
		{[]string{"exit", "3"}, 3},
		{[]string{"echo", "hi"}, 0},
	} {
		pr, pw := io.Pipe() // never written: a Read blocks
		t.Cleanup(func() { pw.Close() })
		var out, errOut syncBuffer
		a := &app{stdin: pr, stdout: &out, stderr: &errOut, host: host}
		done := make(chan int, 1)
		go func() {
			done <- a.execute(context.Background(), append([]string{"exec", "-i", "c0000", "--"}, tc.cmd...))
		}()
		// Its standard input never ends: only the process's exit can end
		// it (go test's timeout reports a hang).
		if code := <-done; code != tc.want {
			t.Errorf("%v: exit status %d, want %d; stderr: %s", tc.cmd, code, tc.want, errOut.String())
		}
	}
}

func TestExitStatus(t *testing.T) {
	for _, tc := range []struct {
		code, want, wantWindows int
		msg                     string
	}{
		{0, 0, 0, ""},
		{3, 3, 3, ""},
		{255, 255, 255, ""},
		{256, 1, 256, "exit status 256 (0x100)"},
		{0xC0000005, 1, 0xC0000005, "exit status 3221225477 (0xc0000005)"},
		{-1, 1, 1, "exit code is unknown"},
	} {
		want := tc.want
		if runtime.GOOS == "windows" {
			want = tc.wantWindows
		}
		code, msg := 0, ""
		if err := exitStatus("exec", "web", tc.code); err != nil {
			e := err.(*exitError)
			code, msg = e.code, e.msg
		}
		if code != want {
			t.Errorf("exit code %d: status %d, want %d", tc.code, code, want)
		}
		if want == tc.code || tc.msg == "" {
			if msg != "" {
				t.Errorf("exit code %d: message %q, want none", tc.code, msg)
			}
		} else if !strings.HasPrefix(msg, "hcs exec web: ") || !strings.Contains(msg, tc.msg) {
			t.Errorf("exit code %d: message %q, want one with %q", tc.code, msg, tc.msg)
		}
	}
}

// TestExecSystemStopped checks that hcs exec says so when the system stops
// while its process runs, rather than exit with the code the process was
// given.
func TestExecSystemStopped(t *testing.T) {
	sim, host := newSimHost(t, 1)
	started := make(chan struct{})
	sim.HandleCommand("block", func(ctx context.Context, _ *hcssim.ProcessIO) uint32 {
		close(started)
		<-ctx.Done()
		return 1
	})
	var out, errOut syncBuffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, host: host}
	done := make(chan int, 1)
	go func() { done <- a.execute(context.Background(), []string{"exec", "c0000", "--", "block"}) }()
	select {
	case <-started:
	case code := <-done:
		t.Fatalf("hcs exec ended with %d before its process started: %s", code, errOut.String())
	}
	sys, err := host.OpenSystem(t.Context(), "c0000")
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Terminate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != exitFailure {
		t.Errorf("exit status %d, want %d", code, exitFailure)
	}
	if got, want := errOut.String(), "hcs exec c0000: the compute system stopped (ForcedExit) while the process ran\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
}
