package hcs

import "testing"

// quoteArg must agree with syscall.EscapeArg; cmdline_windows_test.go
// compares the two where EscapeArg exists.
var quoteArgCases = []struct{ in, want string }{
	{``, `""`},
	{`a`, `a`},
	{`a b`, `"a b"`},
	{"a\tb", "\"a\tb\""},
	{`a"b`, `a\"b`},
	{`a\b`, `a\b`},
	{`a\"b`, `a\\\"b`},
	{`a b\`, `"a b\\"`},
	{`a b\\`, `"a b\\\\"`},
	{`C:\Program Files\`, `"C:\Program Files\\"`},
	{`"`, `\"`},
	{`\`, `\`},
	{`\\"`, `\\\\\"`},
	{`say "hi" now`, `"say \"hi\" now"`},
	{`ü é`, `"ü é"`},
}

func TestQuoteArg(t *testing.T) {
	for _, tc := range quoteArgCases {
		if got := quoteArg(tc.in); got != tc.want {
			t.Errorf("quoteArg(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := CommandLine("echo", "a b", ""); got != `echo "a b" ""` {
		t.Errorf("CommandLine = %q", got)
	}
}

func FuzzQuoteArgRoundTrip(f *testing.F) {
	for _, tc := range quoteArgCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := splitCommandLine(CommandLine("prog", s))
		if len(got) != 2 || got[1] != s {
			t.Fatalf("CommandLine(prog, %q) parses back as %q", s, got)
		}
	})
}

// splitCommandLine parses a command line as CommandLineToArgvW does for
// the arguments after the program name (the 2008 rules, which the C
// runtime and Go follow).
func splitCommandLine(cmd string) []string {
	var args []string
	var cur []byte
	inArg, inQuote := false, false
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case c == '\\':
			n := 0
			for i < len(cmd) && cmd[i] == '\\' {
				n++
				i++
			}
			if i < len(cmd) && cmd[i] == '"' {
				for range n / 2 {
					cur = append(cur, '\\')
				}
				if n%2 == 1 {
					cur = append(cur, '"')
				} else {
					inQuote = !inQuote
				}
			} else {
				for range n {
					cur = append(cur, '\\')
				}
				i--
			}
			inArg = true
		case c == '"':
			if inQuote && i+1 < len(cmd) && cmd[i+1] == '"' {
				cur = append(cur, '"')
				i++
			} else {
				inQuote = !inQuote
			}
			inArg = true
		case (c == ' ' || c == '\t') && !inQuote:
			if inArg {
				args = append(args, string(cur))
				cur, inArg = cur[:0:0], false
			}
		default:
			cur = append(cur, c)
			inArg = true
		}
	}
	if inArg {
		args = append(args, string(cur))
	}
	return args
}
