package hcssim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gohcs/hcs/schema"
)

// A CommandFunc is the program of a simulated process. It runs on its own
// goroutine from the moment the process is created, reads its standard
// input from p.Stdin, writes to p.Stdout and p.Stderr, and returns the
// process's exit code.
//
// ctx is done when the process is signalled (HcsSignalProcess: the cause,
// see context.Cause, is a *SignalError naming the signal) or terminated
// (HcsTerminateProcess, or its system stopped: the cause is
// ErrTerminated). A terminated process has exited with code 1 already:
// what the function returns then is ignored, and its pipes are closed. A
// signalled process runs until the function returns, like a program that
// handles the console control event; the built-in commands exit with
// STATUS_CONTROL_C_EXIT (0xC000013A), as a console program's default
// handler does. Either way, the function must return promptly once ctx is
// done: Sim.Close waits for it.
type CommandFunc func(ctx context.Context, p *ProcessIO) uint32

// ProcessIO is what a CommandFunc sees of its process.
type ProcessIO struct {
	// PID is the process id.
	PID uint32
	// CommandLine is the CommandLine of the process parameters.
	CommandLine string
	// Args is the command and its arguments: CommandArgs of the process
	// parameters if given, else CommandLine split with the rules of
	// CommandLineToArgvW. A leading "cmd /c" is removed from either.
	Args []string
	// Env is the Environment of the process parameters.
	Env map[string]string
	// WorkingDirectory is the WorkingDirectory of the process parameters.
	WorkingDirectory string
	// Stdin is the process's standard input. Without an input pipe it is
	// empty, like NUL. Once ctx is done, a read that would block fails
	// with the cause of ctx.
	Stdin io.Reader
	// Stdout and Stderr are the process's standard output and error. A
	// write to an output without a pipe is discarded; with EmulateConsole,
	// Stderr is Stdout. A write blocks while the pipe's buffer is full and
	// fails once the caller closed its end or the process exited; once ctx
	// is done, a write that would block fails with the cause of ctx.
	Stdout, Stderr io.Writer

	text string // the command line after the command name, for echo
	sim  *Sim
	proc *process
}

// ConsoleSize returns the process's console size: from the ConsoleSize of
// the process parameters, then from the last ConsoleSize modification
// (HcsModifyProcess). It is 0, 0 when neither gave one.
func (p *ProcessIO) ConsoleSize() (height, width uint16) {
	p.sim.mu.Lock()
	defer p.sim.mu.Unlock()
	return p.proc.ConsoleHeight, p.proc.ConsoleWidth
}

// SignalError is the cause of a command's context when its process was
// signalled.
type SignalError struct {
	// Signal is the signal of the request, in the schema's spelling
	// whatever the case of the request: CtrlC, CtrlBreak, CtrlClose,
	// CtrlLogOff or CtrlShutdown.
	Signal schema.ProcessSignal
}

func (e *SignalError) Error() string { return "hcssim: process received " + string(e.Signal) }

// ErrTerminated is the cause of a command's context when its process was
// terminated, by HcsTerminateProcess or because its system stopped.
var ErrTerminated = errors.New("hcssim: process terminated")

// errExited is the cause of a command's context once it has returned.
var errExited = errors.New("hcssim: process exited")

// statusControlCExit is STATUS_CONTROL_C_EXIT, the exit code of a console
// process ended by a control event.
const statusControlCExit = 0xC000013A

// HandleCommand makes fn the program of the processes whose command is
// name (case-insensitive, with or without ".exe"), replacing any built-in
// or earlier command of that name. A nil fn removes the command. It
// applies to processes created afterwards.
//
// The built-in commands are:
//
//	echo TEXT   writes TEXT and "\r\n" to stdout, exits 0
//	exit [N]    exits N (decimal, or hexadecimal with 0x; default 0)
//	cat         copies stdin to stdout until EOF, exits 0
//	spew E O    writes E bytes ('E') to stderr, then O bytes ('O') to stdout, exits 0
//	wait        runs until signalled or terminated
//	sleep MS    exits 0 after MS milliseconds
//
// Interrupted by a signal, they exit with 0xC000013A; given bad arguments,
// they write a message to stderr and exit 1. Any other command fails the
// creation of the process with ERROR_FILE_NOT_FOUND.
func (s *Sim) HandleCommand(name string, fn CommandFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name = commandKey(name)
	if fn == nil {
		delete(s.commands, name)
		return
	}
	s.commands[name] = fn
}

// commandKey returns the key of a command name.
func commandKey(name string) string {
	name = strings.ToLower(name)
	return strings.TrimSuffix(name, ".exe")
}

// lookupCommand returns the program of command name, or nil. s.mu is held.
func (s *Sim) lookupCommand(name string) CommandFunc {
	key := commandKey(name)
	if fn := s.commands[key]; fn != nil {
		return fn
	}
	return builtins[key]
}

var builtins = map[string]CommandFunc{
	"echo":  echo,
	"exit":  exit,
	"cat":   cat,
	"spew":  spew,
	"wait":  wait,
	"sleep": sleep,
}

// interruptCode returns the exit code of a built-in command once ctx is
// done.
func interruptCode(ctx context.Context) uint32 {
	var sig *SignalError
	if errors.As(context.Cause(ctx), &sig) {
		return statusControlCExit
	}
	return 1
}

// usage reports a bad invocation of a built-in command.
func usage(p *ProcessIO, format string, args ...any) uint32 {
	fmt.Fprintf(p.Stderr, format+"\r\n", args...)
	return 1
}

// parseNumber parses a decimal or 0x-prefixed hexadecimal number of at
// most bits bits.
func parseNumber(s string, bits int) (uint64, error) {
	if h, found := strings.CutPrefix(strings.ToLower(s), "0x"); found {
		return strconv.ParseUint(h, 16, bits)
	}
	return strconv.ParseUint(s, 10, bits)
}

func echo(ctx context.Context, p *ProcessIO) uint32 {
	if _, err := io.WriteString(p.Stdout, p.text+"\r\n"); err != nil && ctx.Err() != nil {
		return interruptCode(ctx)
	}
	return 0
}

func exit(_ context.Context, p *ProcessIO) uint32 {
	if len(p.Args) < 2 {
		return 0
	}
	n, err := parseNumber(p.Args[1], 32)
	if err != nil {
		return usage(p, "exit: bad exit code %q", p.Args[1])
	}
	return uint32(n)
}

func cat(ctx context.Context, p *ProcessIO) uint32 {
	_, err := io.CopyBuffer(p.Stdout, p.Stdin, make([]byte, pipeSize))
	switch {
	case ctx.Err() != nil:
		return interruptCode(ctx)
	case err != nil:
		return 1
	}
	return 0
}

func spew(ctx context.Context, p *ProcessIO) uint32 {
	if len(p.Args) != 3 {
		return usage(p, "usage: spew STDERR-BYTES STDOUT-BYTES")
	}
	var sizes [2]uint64
	for i, a := range p.Args[1:] {
		n, err := parseNumber(a, 63)
		if err != nil {
			return usage(p, "spew: bad size %q", a)
		}
		sizes[i] = n
	}
	for i, w := range []io.Writer{p.Stderr, p.Stdout} {
		chunk := bytes.Repeat([]byte{"EO"[i]}, 32<<10)
		for left := sizes[i]; left > 0; {
			n := min(left, uint64(len(chunk)))
			if _, err := w.Write(chunk[:n]); err != nil {
				if ctx.Err() != nil {
					return interruptCode(ctx)
				}
				return 1
			}
			left -= n
		}
	}
	return 0
}

func wait(ctx context.Context, _ *ProcessIO) uint32 {
	<-ctx.Done()
	return interruptCode(ctx)
}

func sleep(ctx context.Context, p *ProcessIO) uint32 {
	if len(p.Args) != 2 {
		return usage(p, "usage: sleep MILLISECONDS")
	}
	ms, err := parseNumber(p.Args[1], 32)
	if err != nil {
		return usage(p, "sleep: bad duration %q", p.Args[1])
	}
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return 0
	case <-ctx.Done():
		return interruptCode(ctx)
	}
}

// eofReader is the standard input of a process without an input pipe.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// command is a parsed command line.
type command struct {
	args []string // the command and its arguments
	text string   // what follows the command name, as cmd's echo sees it
}

// name returns the command name, or "" if there is none.
func (c command) name() string {
	if len(c.args) == 0 {
		return ""
	}
	return c.args[0]
}

// parseCommand returns the command of the process parameters: CommandArgs
// if given, else CommandLine (or ApplicationName if CommandLine is empty),
// without a leading "cmd /c".
func parseCommand(params processParameters) command {
	if args := params.CommandArgs; len(args) > 0 {
		if len(args) >= 2 && isCmd(args[0]) && strings.EqualFold(args[1], "/c") {
			args = args[2:]
		}
		c := command{args: args}
		if len(args) > 1 {
			c.text = strings.Join(args[1:], " ")
		}
		return c
	}
	line := params.CommandLine
	if line == "" {
		line = params.ApplicationName
	}
	name, rest, found := nextArg(line)
	if isCmd(name) {
		if sw, after, _ := nextArg(rest); strings.EqualFold(sw, "/c") {
			name, rest, found = nextArg(after)
		}
	}
	if !found {
		return command{}
	}
	c := command{args: []string{name}}
	if rest != "" {
		c.text = rest[1:] // cmd's echo drops the separator
	}
	for a, r, found := nextArg(rest); found; a, r, found = nextArg(r) {
		c.args = append(c.args, a)
	}
	return c
}

// isCmd reports whether name is the command interpreter.
func isCmd(name string) bool {
	return strings.EqualFold(name, "cmd") || strings.EqualFold(name, "cmd.exe")
}

// nextArg parses the first argument of a command line with the rules of
// CommandLineToArgvW (the inverse of syscall.EscapeArg) and returns it with
// the rest of the line, which starts at the character that ended it. found
// is false when line holds only white space.
func nextArg(line string) (arg, rest string, found bool) {
	line = strings.TrimLeft(line, " \t")
	if line == "" {
		return "", "", false
	}
	var b strings.Builder
	quoted := false
	i := 0
	for i < len(line) {
		c := line[i]
		switch {
		case (c == ' ' || c == '\t') && !quoted:
			return b.String(), line[i:], true
		case c == '\\':
			n := 1
			for i+n < len(line) && line[i+n] == '\\' {
				n++
			}
			if i+n < len(line) && line[i+n] == '"' {
				b.WriteString(strings.Repeat(`\`, n/2))
				if n%2 == 1 {
					b.WriteByte('"')
					n++
				}
			} else {
				b.WriteString(strings.Repeat(`\`, n))
			}
			i += n
		case c == '"':
			if quoted && i+1 < len(line) && line[i+1] == '"' {
				b.WriteByte('"') // "" inside quotes is a literal quote
				i += 2
				continue
			}
			quoted = !quoted
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), "", true
}
