//go:build windows

package computecore

import (
	"io"
	"os"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs/internal/backend"
)

// processInfo turns HCS_PROCESS_INFORMATION into a backend.ProcessInfo whose
// streams own the pipe handles.
func processInfo(pi *processInformation) backend.ProcessInfo {
	info := backend.ProcessInfo{PID: pi.ProcessID}
	if f := stream(pi.StdInput, "stdin"); f != nil {
		info.Stdin = f
	}
	if f := stream(pi.StdOutput, "stdout"); f != nil {
		info.Stdout = f
	}
	if f := stream(pi.StdError, "stderr"); f != nil {
		info.Stderr = f
	}
	return info
}

// stream wraps a pipe handle HCS gave us, or returns nil for no stream:
// NULL, or INVALID_HANDLE_VALUE, which HcsGetProcessInfo returns for
// streams the process does not have (hcsshim, internal/hcs/v2/utils.go) and
// which is the current-process pseudo-handle, not a pipe. It prefers
// go-winio's overlapped file, whose Close cancels a pending Read or Write; a
// handle that cannot be associated with an I/O completion port (one opened
// for synchronous I/O may refuse it) becomes an *os.File.
func stream(h windows.Handle, name string) io.ReadWriteCloser {
	if h == 0 || h == windows.InvalidHandle {
		return nil
	}
	if f, err := winio.NewOpenFile(h); err == nil {
		return f
	}
	return os.NewFile(uintptr(h), name)
}

// closeStdio closes the pipe handles of a failed call, which nobody else
// will own; NULL and INVALID_HANDLE_VALUE are no stream.
func closeStdio(pi *processInformation) {
	for _, h := range []windows.Handle{pi.StdInput, pi.StdOutput, pi.StdError} {
		if h != 0 && h != windows.InvalidHandle {
			_ = windows.CloseHandle(h)
		}
	}
}
