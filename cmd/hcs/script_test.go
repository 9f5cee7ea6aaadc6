package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/gohcs/hcs/images"
	"github.com/gohcs/hcs/internal/layertartest"
	"github.com/gohcs/hcs/internal/registrytest"
	"github.com/gohcs/hcs/internal/winetest"
)

// TestScripts runs the scripts of testdata/script: the hcs binary against
// the simulator, its state in the script's work directory. See TestMain.
func TestScripts(t *testing.T) {
	// The gates of the scripts (waitfor, reap) wait as long as the test
	// may run, less a tenth of that time left to report the failure.
	waitCtx := context.Background()
	if deadline, ok := t.Deadline(); ok {
		ctx, cancel := context.WithDeadline(waitCtx, deadline.Add(-time.Until(deadline)/10))
		t.Cleanup(cancel)
		waitCtx = ctx
	}
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		// Work directories removable under Wine (see winetest.TempDir).
		WorkdirRoot: winetest.TempDir(t),
		Setup: func(env *testscript.Env) error {
			env.Setenv("HCS_SIM_STATE", filepath.Join(env.WorkDir, "sim.json"))
			env.Setenv("GOOS", runtime.GOOS)
			// Characters a script cannot write in its arguments.
			env.Setenv("ESC", "\x1b")
			env.Setenv("RLO", "\u202e") // right-to-left override
			env.Values[spawnedKey{}] = make(map[string]*spawned)
			env.Values[waitKey{}] = waitCtx
			if strings.HasPrefix(filepath.Base(env.WorkDir), "script-image") {
				return startRegistry(env)
			}
			return nil
		},
		// [wine]: the script runs under Wine, whose stubs (BackupWrite)
		// fail where Windows works.
		Condition: func(cond string) (bool, error) {
			if cond == "wine" {
				return winetest.UnderWine(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"encode":     cmdEncode,
			"exitcode":   cmdExitCode,
			"jsonpath":   cmdJSONPath,
			"layerchain": cmdLayerChain,
			"under":      cmdUnder,
			"spawn":      cmdSpawn,
			"waitfor":    cmdWaitFor,
			"interrupt":  cmdInterrupt,
			"reap":       cmdReap,
		},
	})
}

// startRegistry serves the images of internal/registrytest to the image
// scripts: $REGISTRY is its host:port, $FOREIGN the digest of the foreign
// layer, whose server $HCS_FOREIGN_HOSTS allows. The store is in the work directory, and no Docker config of the
// machine is read.
func startRegistry(env *testscript.Env) error {
	reg, err := registrytest.Start()
	if err != nil {
		return err
	}
	env.Defer(reg.Close)
	env.Setenv("REGISTRY", reg.Host)
	env.Setenv("FOREIGN", reg.Layers["base"].Digest)
	env.Setenv("HCS_FOREIGN_HOSTS", reg.Foreign)
	// The layer folders hcs run unpacks the App image into are named by
	// the chain ids of its layers: $CHAIN1 (the base), $CHAIN2, $CHAIN3.
	app := images.Image{}
	for _, tar := range [][]byte{layertartest.Base(), layertartest.App(), layertartest.Patch()} {
		sum := sha256.Sum256(tar)
		app.Layers = append(app.Layers, images.Layer{DiffID: images.Digest("sha256:" + hex.EncodeToString(sum[:]))})
	}
	for i, chain := range app.ChainIDs() {
		env.Setenv(fmt.Sprintf("CHAIN%d", i+1), chain.Hex())
	}
	env.Setenv("HCS_IMAGE_STORE", filepath.Join(env.WorkDir, "store"))
	env.Setenv("DOCKER_CONFIG", filepath.Join(env.WorkDir, ".docker"))
	return nil
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

// cmdUnder runs a program, checking its exit status as exitcode does, in
// a situation a test cannot otherwise make when it runs as root, as CI
// does (root may write any file):
//
//	under readonly-mount CODE PROGRAM [ARG...]   $WORK is mounted read-only
//	under full-disk DIR CODE PROGRAM [ARG...]    DIR is a full file system, with its files
//	under other-user CODE PROGRAM [ARG...]       run as another user
//
// The mounts exist only for the program: it runs in a new user and mount
// namespace (unshare, from util-linux; Linux only), and fails the test,
// saying so, where namespaces are not allowed. other-user runs the program
// as nobody (setpriv) when the test runs as root, and as the test's user
// otherwise; either way the script makes the files it must not write
// read-only first.
func cmdUnder(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: under readonly-mount|full-disk DIR|other-user CODE PROGRAM [ARG...]")
	}
	var wrapper []string
	switch args[0] {
	case "readonly-mount":
		work := ts.Getenv("WORK")
		wrapper = []string{"unshare", "--map-root-user", "--mount", "sh", "-c",
			`mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"`, work}
		args = args[1:]
	case "full-disk":
		dir := ts.MkAbs(args[1])
		// DIR's files are copied onto the new file system before it is
		// filled up.
		wrapper = []string{"unshare", "--map-root-user", "--mount", "sh", "-c",
			`tmp=$(mktemp -d) && cp -a "$0/." "$tmp" && mount -t tmpfs -o size=256k hcs-full "$0" && cp -a "$tmp/." "$0" && ` +
				`{ dd if=/dev/zero of="$0/filler" bs=4k 2>/dev/null; rm -rf "$tmp"; exec "$@"; }`, dir}
		args = args[2:]
	case "other-user":
		if os.Geteuid() == 0 {
			// nobody must reach $WORK through the test's temporary
			// directory.
			ts.Check(os.Chmod(filepath.Dir(ts.Getenv("WORK")), 0o711))
			wrapper = []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}
		}
		args = args[1:]
	default:
		ts.Fatalf("under %s: unknown situation", args[0])
	}
	cmdExitCode(ts, false, append(args[:1], append(wrapper, args[1:]...)...))
}

// cmdEncode writes a copy of a UTF-8 file in another encoding, as Windows
// tools save documents:
//
//	encode utf16le-bom doc.json doc16.json   Windows PowerShell 5.1's >
//
// ENCODING is utf8-bom, utf16le-bom, utf16be-bom, utf16le or utf32le.
func cmdEncode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: encode ENCODING FROM TO")
	}
	text := []rune(ts.ReadFile(args[1]))
	var out []byte
	put16 := func(order binary.AppendByteOrder, bom bool) {
		if bom {
			out = order.AppendUint16(out, 0xFEFF)
		}
		for _, u := range utf16.Encode(text) {
			out = order.AppendUint16(out, u)
		}
	}
	switch args[0] {
	case "utf8-bom":
		out = append([]byte{0xEF, 0xBB, 0xBF}, string(text)...)
	case "utf16le-bom":
		put16(binary.LittleEndian, true)
	case "utf16be-bom":
		put16(binary.BigEndian, true)
	case "utf16le":
		put16(binary.LittleEndian, false)
	case "utf32le":
		for _, r := range text {
			out = binary.LittleEndian.AppendUint32(out, uint32(r))
		}
	default:
		ts.Fatalf("encode: unknown encoding %q", args[0])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), out, 0o644))
}

// cmdLayerChain writes the layerchain.json of a layer folder, naming its
// parents by their absolute paths, as Docker does:
//
//	layerchain app base
func cmdLayerChain(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: layerchain DIR PARENT...")
	}
	parents := make([]string, len(args)-1)
	for i, p := range args[1:] {
		parents[i] = ts.MkAbs(p)
	}
	b, err := json.Marshal(parents)
	ts.Check(err)
	ts.Check(os.WriteFile(filepath.Join(ts.MkAbs(args[0]), "layerchain.json"), b, 0o644))
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

// spawnedKey keys the processes a script spawned, by name.
type spawnedKey struct{}

// waitKey keys the context that bounds the waits of a script: it ends a
// little before the test's deadline.
type waitKey struct{}

// spawned is a process a script started with spawn.
type spawned struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{} // closed once it has ended
	err   error         // how it ended, once done is closed
}

// cmdSpawn starts a program in the background with a standard input that
// stays open until it ends, so that a script can wait for what it prints
// (waitfor) before acting — a gate, not a sleep:
//
//	spawn NAME TEXT PROGRAM [ARG...]
//
// TEXT is written to its standard input; its output goes to the files
// NAME.stdout and NAME.stderr in $WORK.
func cmdSpawn(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: spawn NAME TEXT PROGRAM [ARG...]")
	}
	name := args[0]
	procs := ts.Value(spawnedKey{}).(map[string]*spawned)
	if procs[name] != nil {
		ts.Fatalf("spawn: %s is running", name)
	}
	cmd := exec.Command(args[2], args[3:]...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = os.Environ()
	for _, k := range []string{"PATH", "HCS_SIM_STATE", testLogEnv, "HOME", "XDG_CACHE_HOME"} {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	stdout, err := os.Create(ts.MkAbs(name + ".stdout"))
	ts.Check(err)
	stderr, err := os.Create(ts.MkAbs(name + ".stderr"))
	ts.Check(err)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	stdin, err := cmd.StdinPipe()
	ts.Check(err)
	ts.Check(cmd.Start())
	p := &spawned{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	procs[name] = p
	go func() {
		p.err = cmd.Wait()
		stdout.Close()
		stderr.Close()
		close(p.done)
	}()
	ts.Defer(func() {
		if procs[name] == p {
			stdin.Close()
			cmd.Process.Kill()
			<-p.done
		}
	})
	_, err = io.WriteString(stdin, args[1])
	ts.Check(err)
}

// cmdWaitFor waits until the file FILE matches the regular expression
// PATTERN, at least N times with -count=N:
//
//	waitfor [-count=N] FILE PATTERN
//
// It fails when the test is about to time out, and at once when FILE is
// the output of a process spawn started (NAME.stdout or NAME.stderr) that
// has ended without it matching.
func cmdWaitFor(ts *testscript.TestScript, neg bool, args []string) {
	count := 1
	if len(args) > 0 && strings.HasPrefix(args[0], "-count=") {
		n, err := strconv.Atoi(strings.TrimPrefix(args[0], "-count="))
		if err != nil || n < 1 {
			ts.Fatalf("waitfor: bad %s", args[0])
		}
		count = n
		args = args[1:]
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitfor [-count=N] FILE PATTERN")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	var writer *spawned
	procs := ts.Value(spawnedKey{}).(map[string]*spawned)
	if name, ok := strings.CutSuffix(args[0], ".stdout"); ok {
		writer = procs[name]
	} else if name, ok := strings.CutSuffix(args[0], ".stderr"); ok {
		writer = procs[name]
	}
	ctx := ts.Value(waitKey{}).(context.Context)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ended := false
		if writer != nil {
			select {
			case <-writer.done:
				ended = true // what it wrote is all there is
			default:
			}
		}
		b, err := os.ReadFile(ts.MkAbs(args[0]))
		if err == nil && len(re.FindAllIndex(b, count)) == count {
			return
		}
		if ended {
			ts.Fatalf("waitfor: %s does not match %s %d times, and its process has ended (%v): %q", args[0], args[1], count, writer.err, b)
		}
		select {
		case <-ctx.Done():
			ts.Fatalf("waitfor: %s does not match %s %d times, and the test is about to time out: %q", args[0], args[1], count, b)
		case <-tick.C:
		}
	}
}

// cmdInterrupt sends a process spawn started an interrupt, as Ctrl-C does
// (not on Windows, which has no such signal):
//
//	interrupt NAME
func cmdInterrupt(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: interrupt NAME")
	}
	p := ts.Value(spawnedKey{}).(map[string]*spawned)[args[0]]
	if p == nil {
		ts.Fatalf("interrupt: no process %s", args[0])
	}
	ts.Check(p.cmd.Process.Signal(os.Interrupt))
}

// cmdReap waits for a process spawn started to end by itself, and checks
// its exit status. It fails when the test is about to time out.
//
//	reap NAME CODE
func cmdReap(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: reap NAME CODE")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	procs := ts.Value(spawnedKey{}).(map[string]*spawned)
	p := procs[args[0]]
	if p == nil {
		ts.Fatalf("reap: no process %s", args[0])
	}
	select {
	case <-p.done:
	case <-ts.Value(waitKey{}).(context.Context).Done():
		ts.Fatalf("reap %s: still running, and the test is about to time out", args[0])
	}
	delete(procs, args[0])
	p.stdin.Close()
	got := 0
	if p.err != nil {
		var exit *exec.ExitError
		if !errors.As(p.err, &exit) {
			ts.Fatalf("reap %s: %v", args[0], p.err)
		}
		got = exit.ExitCode()
	}
	if got != want {
		ts.Fatalf("reap %s: exit status %d, want %d", args[0], got, want)
	}
}
