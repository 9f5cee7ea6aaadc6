package main

import (
	"bytes"
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

The document is checked before it is sent: a syntax error is reported with
its line and column, a value of the wrong type with its member, and a member
the HCS schema does not know — usually a misspelling — by its path (a JSON
Pointer such as /Container/Storag). --force sends a document with unknown
members anyway, for schema versions newer than this hcs knows.`,
		Example: `  hcs create --id web1 -f web1.json
  echo '{"Owner":"me","SchemaVersion":{"Major":2,"Minor":1},"Container":{}}' | hcs create --id c1 -f -`,
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVar(&id, "id", "", "identifier of the new compute system (required)")
	cmd.Flags().StringVarP(&file, "file", "f", "", "the ComputeSystem document, - for standard input (required)")
	cmd.Flags().BoolVar(&force, "force", false, "send a document with members unknown to the schema")
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
		cs, err := checkDocument(doc, displayName(file), force)
		if err != nil {
			return a.failure("create", id, err)
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

// checkDocument checks that doc is a ComputeSystem document HCS can take,
// and returns it decoded:
// JSON, with values of the schema's types, a Container or a VirtualMachine,
// and, unless force, no member the schema does not know. Its errors name
// the document, and the position or the member at fault.
func checkDocument(doc []byte, name string, force bool) (*schema.ComputeSystem, error) {
	var cs schema.ComputeSystem
	if err := json.Unmarshal(doc, &cs); err != nil {
		var syntax *json.SyntaxError
		var typ *schema.TypeError
		switch {
		case errors.As(err, &syntax):
			line, col := position(doc, syntax.Offset)
			return nil, fmt.Errorf("%s:%d:%d: invalid JSON: %s", name, line, col, syntax.Error())
		case errors.As(err, &typ):
			return nil, fmt.Errorf("%s: member %s: %s", name, memberPath(err), typ)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// Unknown members first: a misspelt "Container" is the likely reason a
	// document has neither a Container nor a VirtualMachine.
	if unknown := schema.UnknownMembers(&cs); len(unknown) > 0 && !force {
		what := "member"
		if len(unknown) > 1 {
			what = "members"
		}
		return nil, fmt.Errorf("%s: unknown %s %s: not in the HCS schema (misspelt? --force sends the document anyway)",
			name, what, strings.Join(unknown, ", "))
	}
	if cs.Container == nil && cs.VirtualMachine == nil {
		return nil, fmt.Errorf("%s: the document describes neither a Container nor a VirtualMachine", name)
	}
	return &cs, nil
}

// memberPath returns the JSON Pointer of the member a type error is about.
func memberPath(err error) string {
	if pe, ok := errors.AsType[*schema.PathError](err); ok && pe.Path != "" {
		return pe.Path
	}
	return "/"
}

// position returns the line and column, from 1, of the byte a JSON
// syntax error is about: its Offset counts the bytes read, that one
// included.
func position(doc []byte, offset int64) (line, col int) {
	before := doc[:min(max(offset-1, 0), int64(len(doc)))]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}
