package layers_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// go-winio runs one I/O completion goroutine for the whole process,
	// started with the first overlapped pipe (a process's stdio, on
	// Windows); it is not a leak.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/Microsoft/go-winio.ioCompletionProcessor"))
}
