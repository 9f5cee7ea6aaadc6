package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// isTerminal reports whether f is a console that interprets the ANSI escape
// sequences hcs writes (the spinner, stats --watch). It enables virtual
// terminal processing on the console, and reports false for a console that
// cannot have it (before Windows 10), where the escapes would show as
// garbage.
func isTerminal(f *os.File) bool {
	h := windows.Handle(f.Fd())
	var mode uint32
	if err := windows.GetConsoleMode(h, &mode); err != nil {
		return false
	}
	if mode&windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING != 0 {
		return true
	}
	return windows.SetConsoleMode(h, mode|windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING) == nil
}
