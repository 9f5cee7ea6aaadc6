package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/gohcs/hcs/internal/winetest"
)

// TestScripts runs the scripts of testdata/script: the hcs binary against
// the simulator, its state in the script's work directory. See TestMain.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		// Work directories removable under Wine (see winetest.TempDir).
		WorkdirRoot: winetest.TempDir(t),
		Setup: func(env *testscript.Env) error {
			env.Setenv("HCS_SIM_STATE", filepath.Join(env.WorkDir, "sim.json"))
			env.Setenv("GOOS", runtime.GOOS)
			return nil
		},
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": cmdExitCode,
			"jsonpath": cmdJSONPath,
			"sleep":    cmdSleep,
		},
	})
}

// cmdExitCode runs a program and checks its exit status:
//
//	exitcode 7 hcs exec web -- exit 7
//
// Its output becomes stdout and stderr, as with exec.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode CODE PROGRAM [ARG...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %v", err)
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = exit.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}

// cmdSleep waits: sleep DURATION.
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil {
		ts.Fatalf("sleep: %v", err)
	}
	time.Sleep(d)
}

// cmdJSONPath checks a value in the JSON of stdout:
//
//	jsonpath 0.State Running     the State of the first element is Running
//	jsonpath '#' 2               the top-level array has 2 elements
//	! jsonpath 0.Uptime100ns ''  the member is present (any value but '')
//
// PATH is dot-separated member names and array indices; a final # takes
// the length of an array or object. Strings compare as they are, other
// values as compact JSON; a missing member reads as the empty string. A
// stdout of several JSON values, one per line, reads as an array of them.
func cmdJSONPath(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: jsonpath PATH WANT")
	}
	var values []any
	dec := json.NewDecoder(strings.NewReader(ts.ReadFile("stdout")))
	dec.UseNumber()
	for {
		var v any
		if err := dec.Decode(&v); err == io.EOF {
			break
		} else if err != nil {
			ts.Fatalf("jsonpath: stdout: %v", err)
		}
		values = append(values, v)
	}
	var v any = values
	if len(values) == 1 {
		v = values[0]
	}
	for seg := range strings.SplitSeq(args[0], ".") {
		switch x := v.(type) {
		case map[string]any:
			if seg == "#" {
				v = json.Number(strconv.Itoa(len(x)))
			} else {
				v = x[seg]
			}
		case []any:
			if seg == "#" {
				v = json.Number(strconv.Itoa(len(x)))
				continue
			}
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				v = nil
			} else {
				v = x[i]
			}
		default:
			v = nil
		}
	}
	got := ""
	switch x := v.(type) {
	case nil:
	case string:
		got = x
	default:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		if err := enc.Encode(x); err != nil {
			ts.Fatalf("jsonpath: %v", err)
		}
		got = strings.TrimSpace(buf.String())
	}
	if (got == args[1]) == neg {
		if neg {
			ts.Fatalf("jsonpath %s: got %q, want anything else", args[0], got)
		}
		ts.Fatalf("jsonpath %s: got %q, want %q", args[0], got, args[1])
	}
}
