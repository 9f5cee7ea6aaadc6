package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gohcs/hcs/schema"
)

func (a *app) createCommand() *cobra.Command {
	var (
		id, file string
		force    bool
	)
	cmd := &cobra.Command{
		Use:   "create --id ID -f FILE",
		Short: "Create a compute system from an HCS document",
		Long: `Create a compute system from an HCS ComputeSystem document (JSON), read from
a file or, with -f -, from standard input. The system is left in state
Created: start it with hcs start. hcs create prints the id once the system
exists (on the simulator: once its state file holds it).

The id is 1 to 255 ASCII letters, digits and . _ - @ { }, not starting with
- or .: HCS documents no rule, and these ids are safe to type, print and
pass to any tool.

The document may be UTF-8, with or without a byte order mark, or UTF-16 as
Windows PowerShell 5.1's > writes it. It is checked before it is sent, and
every problem is reported at once, with its line and column and its member
(a JSON Pointer such as /Container/Storag). Errors refuse the document:
invalid JSON, a value of the wrong type, neither a Container nor a
VirtualMachine. Warnings refuse it too, unless --force: a member the HCS
schema does not know (usually a misspelling; --force is for schema versions
newer than this hcs knows), a member repeated in its object, both a
Container and a VirtualMachine, a schema major version other than 2.
--force sends a document that has only warnings, printing them.`,
		Example: `  hcs create --id web1 -f web1.json
  echo '{"Owner":"me","SchemaVersion":{"Major":2,"Minor":1},"Container":{}}' | hcs create --id c1 -f -`,
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVar(&id, "id", "", "identifier of the new compute system (required)")
	cmd.Flags().StringVarP(&file, "file", "f", "", "the ComputeSystem document, - for standard input (required)")
	cmd.Flags().BoolVar(&force, "force", false, "send a document whose problems are only warnings (unknown or repeated members, ...)")
	_ = cmd.MarkFlagRequired("id")
	_ = cmd.MarkFlagRequired("file")
	_ = cmd.MarkFlagFilename("file", "json")
	cmd.RunE = a.runE(func(cmd *cobra.Command, _ []string) error {
		if err := checkID(id); err != nil {
			return &usageError{"--id: " + err.Error()}
		}
		doc, err := a.readDocument(file)
		if err != nil {
			return a.failure("create", id, err)
		}
		doc, cs, warnings, err := checkDocument(doc, displayName(file), force)
		if err != nil {
			return a.failure("create", id, err)
		}
		for _, w := range warnings {
			a.warn("hcs create %s: warning: %s", id, w)
		}
		if cs.ShouldTerminateOnLastHandleClosed != nil && *cs.ShouldTerminateOnLastHandleClosed {
			a.warn("hcs create %s: the document sets ShouldTerminateOnLastHandleClosed: "+
				"HCS terminates the system when hcs exits and closes its handle", id)
		}
		s, err := a.open(cmd.Context(), writeState)
		if err != nil {
			return err
		}
		err = a.during(cmd.Context(), "creating "+id, func(ctx context.Context) error {
			sys, err := s.host.CreateSystem(ctx, id, json.RawMessage(doc))
			if err == nil {
				s.systems = append(s.systems, sys)
			}
			return err
		})
		if err != nil {
			return a.failure("create", id, err)
		}
		// Printed once saved: a system the state file does not hold is
		// gone when hcs exits.
		if err := a.commit(); err != nil {
			return a.failure("create", id, fmt.Errorf("%w: the system is not created", err))
		}
		fmt.Fprintln(a.stdout, id)
		return nil
	})
	return cmd
}

// readDocument reads the file name, or standard input for "-".
func (a *app) readDocument(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(a.stdin)
	}
	return os.ReadFile(name)
}

// displayName names the document in messages.
func displayName(file string) string {
	if file == "-" {
		return "<stdin>"
	}
	return file
}

// checkDocument checks doc, a ComputeSystem document in UTF-8 or UTF-16,
// with schema.Check, and returns it as the UTF-8 text to send, decoded too.
// Every problem is reported at once, each with the document's name and its
// place: errors refuse the document, and so do warnings unless force; with
// force, the warnings are returned to print.
func checkDocument(doc []byte, name string, force bool) (text []byte, cs *schema.ComputeSystem, warnings []string, err error) {
	text, err = schema.ToUTF8(doc)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	cs, problems := schema.Check[schema.ComputeSystem](text)
	var nerr int
	lines := make([]string, len(problems))
	for i, p := range problems {
		lines[i] = problemLine(name, p)
		if !p.Kind.Warning() {
			nerr++
		}
	}
	switch {
	case len(problems) == 0:
		return text, cs, nil, nil
	case nerr == 0 && force:
		return text, cs, lines, nil
	case len(problems) == 1 && nerr == 1:
		return nil, nil, nil, errors.New(lines[0])
	case len(problems) == 1:
		return nil, nil, nil, errors.New(lines[0] + " (a warning: --force sends the document anyway)")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: the document has %s", name, count(nerr, "error"))
	if nw := len(problems) - nerr; nerr == 0 {
		fmt.Fprintf(&b, "%s (--force sends it anyway):", count(nw, "warning"))
	} else if nw > 0 {
		fmt.Fprintf(&b, " and %s:", count(nw, "warning"))
	} else {
		b.WriteString(":")
	}
	for i, l := range lines {
		b.WriteString("\n  ")
		b.WriteString(l)
		if problems[i].Kind.Warning() && nerr > 0 {
			b.WriteString(" (warning)")
		}
	}
	return nil, nil, nil, errors.New(b.String())
}

// problemLine formats a problem of the document name as compilers do:
// "name:line:column: /path: message".
func problemLine(name string, p schema.Problem) string {
	var b strings.Builder
	b.WriteString(name)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// count returns "1 error", "2 errors", or "" for none.
func count(n int, noun string) string {
	switch n {
	case 0:
		return ""
	case 1:
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
