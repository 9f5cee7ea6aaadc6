package hcs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
	"github.com/gohcs/hcs/schema"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Environment values given to a process never appear in an error message or
// in the Host's log, at any level, whether the process starts or not.
func TestEnvironmentRedaction(t *testing.T) {
	const secret = "s3cr3t-Tok3n-9f8e7d" // a value, and a distinctive key
	const secretKey = "HCS_REDACTION_KEY_4c1b"
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.Level(-100)}))
	sim := hcssim.New()
	defer sim.Close()
	h := sim.Host(hcs.WithLogger(logger))
	ctx := context.Background()
	sys, err := h.CreateSystem(ctx, "redaction", `{"SchemaVersion":{"Major":2,"Minor":1},"Container":{}}`)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Start(ctx); err != nil {
		t.Fatal(err)
	}
	params := func(cmdline string) *schema.ProcessParameters {
		return &schema.ProcessParameters{
			CommandLine: cmdline,
			Environment: map[string]string{"PATH": `C:\Windows`, secretKey: secret},
		}
	}
	var errs []error
	check := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: succeeded, want an error", what)
			return
		}
		errs = append(errs, err)
	}

	// A command that does not exist.
	_, err = sys.CreateProcess(ctx, params("nosuchcommand --token "+"x"))
	check("CreateProcess of a missing command", err)
	// A failure HCS reports with a message of its own.
	sim.FailNext(hcssim.CallCreateProcess, hcs.E_ACCESSDENIED, "access denied")
	_, err = sys.CreateProcess(ctx, params("cmd /c echo hi"))
	check("CreateProcess failing with E_ACCESSDENIED", err)
	// A document HCS cannot read, with the secret in it.
	_, err = sys.CreateProcessJSON(ctx, json.RawMessage(`{"CommandLine":"cmd /c echo hi","Environment":{"`+secretKey+`":"`+secret+`"}`))
	check("CreateProcessJSON of a truncated document", err)
	// Run, failing to start.
	_, err = sys.Run(ctx, &hcs.Cmd{Args: []string{"nosuchcommand"}, ProcessParameters: params("")})
	check("Run of a missing command", err)
	// A process that runs and fails.
	_, err = sys.Run(ctx, &hcs.Cmd{Args: []string{"cmd", "/c", "exit", "3"}, ProcessParameters: params("")})
	check("Run exiting with 3", err)
	// A process that succeeds (logged too).
	if _, err := sys.Run(ctx, &hcs.Cmd{Args: []string{"cmd", "/c", "echo", "hi"}, ProcessParameters: params("")}); err != nil {
		t.Errorf("Run of echo: %v", err)
	}
	// On a closed system.
	sys.Close()
	_, err = sys.CreateProcess(ctx, params("cmd /c echo hi"))
	check("CreateProcess on a closed system", err)

	for _, err := range errs {
		for _, msg := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			if strings.Contains(msg, secret) || strings.Contains(msg, secretKey) {
				t.Errorf("an error shows the environment: %s", msg)
			}
		}
	}
	out := logs.String()
	if !strings.Contains(out, "hcs call") {
		t.Fatalf("the logger recorded no call, so the test proves nothing:\n%s", out)
	}
	if strings.Contains(out, secret) || strings.Contains(out, secretKey) {
		t.Errorf("the log shows the environment:\n%s", out)
	}
	t.Logf("%d errors and %d log lines checked", len(errs), strings.Count(out, "\n"))
}
