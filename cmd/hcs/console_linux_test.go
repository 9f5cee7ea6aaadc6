package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gohcs/hcs/hcssim"
)

// openPTY returns the two ends of a new pseudo-terminal, closed when the
// test ends.
func openPTY(t *testing.T) (control, term *os.File) {
	t.Helper()
	control, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { control.Close() })
	fd := int(control.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	term, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { term.Close() })
	return control, term
}

func setSize(t *testing.T, f *os.File, width, height uint16) {
	t.Helper()
	if err := unix.IoctlSetWinsize(int(f.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: width, Row: height}); err != nil {
		t.Fatal(err)
	}
}

// canonical reports whether the terminal reads lines (is not in raw mode).
func canonical(t *testing.T, f *os.File) bool {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&unix.ICANON != 0
}

// TestExecTTY runs hcs exec -i -t on a pseudo-terminal: the process's
// console has the terminal's size and follows its changes, a key reaches
// the process without a newline (raw mode), and the terminal is restored.
func TestExecTTY(t *testing.T) {
	control, term := openPTY(t)
	setSize(t, term, 100, 30)
	sim, host := newSimHost(t, 1)
	sim.HandleCommand("console", func(ctx context.Context, p *hcssim.ProcessIO) uint32 {
		h, w := p.ConsoleSize()
		fmt.Fprintf(p.Stdout, "size %dx%d\r\n", w, h)
		for { // until the size changes
			if nh, nw := p.ConsoleSize(); nh != h || nw != w {
				fmt.Fprintf(p.Stdout, "resized %dx%d\r\n", nw, nh)
				break
			}
			select {
			case <-ctx.Done():
				return 1
			case <-time.After(time.Millisecond):
			}
		}
		b := make([]byte, 1)
		if _, err := p.Stdin.Read(b); err != nil || b[0] != 'q' {
			return 2
		}
		return 0
	})
	if !canonical(t, term) {
		t.Fatal("a new terminal is in raw mode")
	}
	var errOut syncBuffer
	a := &app{stdin: term, stdout: term, stderr: &errOut, host: host}
	done := make(chan int, 1)
	go func() {
		done <- a.execute(context.Background(), []string{"exec", "-i", "-t", "c0000", "--", "console"})
	}()

	lines := bufio.NewReader(control)
	want := func(prefix string) {
		t.Helper()
		line, err := lines.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, prefix) {
			t.Fatalf("read %q, %v; want %q", line, err, prefix)
		}
	}
	want("size 100x30")
	if canonical(t, term) {
		t.Error("the terminal is not in raw mode while the process runs")
	}
	setSize(t, term, 120, 40)
	if err := unix.Kill(os.Getpid(), unix.SIGWINCH); err != nil {
		t.Fatal(err)
	}
	want("resized 120x40")
	if _, err := control.Write([]byte("q")); err != nil { // no newline: raw mode
		t.Fatal(err)
	}
	// The process reads its key and exits: only that ends the command (go
	// test's timeout reports a hang).
	if code := <-done; code != 0 {
		t.Fatalf("hcs exec -i -t: status %d; stderr: %s", code, errOut.String())
	}
	if !canonical(t, term) {
		t.Error("the terminal was left in raw mode")
	}
}
