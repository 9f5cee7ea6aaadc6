//go:build !windows

package main

import (
	"os"
	"syscall"
)

// interruptSignals are the signals that interrupt hcs: Ctrl-C (SIGINT) and
// SIGTERM, as sent by kill, service managers and container runtimes.
var interruptSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}
