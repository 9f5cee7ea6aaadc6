// Command schemagen generates package schema from Microsoft's published HCS
// JSON schema: the SDK Swagger files and the tables of SchemaReference.md in
// the hcs-reference folder, which is not part of the repository: -ref names
// it, else $HCS_REFERENCE, else ../shared/hcs-reference beside the module
// root (where CI has it; see package internal/reference). It is run by go
// generate in the schema directory:
//
//	go run ../internal/schemagen -out .
//
// The output is deterministic and gofmt'd; it is committed, and make test
// checks that regenerating reproduces it byte for byte when the folder is
// there (CI requires it). The sources are read, never copied. The merge
// rules and the override table live in package spec.
package main

import (
	"flag"
	"fmt"
	"go/format"
	"os"
	"path/filepath"

	"github.com/gohcs/hcs/internal/reference"
	"github.com/gohcs/hcs/internal/schemagen/spec"
)

func main() {
	ref := flag.String("ref", "", "hcs-reference folder holding schema/*.json and api/SchemaReference.md (default $HCS_REFERENCE, else ../shared/hcs-reference beside the module root)")
	out := flag.String("out", "schema", "output directory (package schema)")
	verbose := flag.Bool("v", false, "print disagreements between the sources and the counts")
	flag.Parse()
	if *ref == "" {
		dir, err := reference.Find()
		if err != nil {
			fmt.Fprintf(os.Stderr, "schemagen: regenerating package schema needs Microsoft's published schema: %v\n", err)
			os.Exit(1)
		}
		*ref = dir
	}
	if err := run(*ref, *out, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}

func run(ref, out string, verbose bool) error {
	m, err := spec.Load(ref)
	if err != nil {
		return err
	}
	if verbose {
		for _, w := range m.Warnings {
			fmt.Fprintln(os.Stderr, "warning:", w)
		}
	}
	files := map[string]func(*spec.Model) []byte{
		"types_gen.go":         emitTypes,
		"enums_gen.go":         emitEnums,
		"codec_gen.go":         emitCodec,
		"registry_gen_test.go": emitRegistry,
	}
	for name, emit := range files {
		src := emit(m)
		formatted, err := format.Source(src)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(out, name), formatted, 0o644); err != nil {
			return err
		}
	}
	if verbose {
		var objects, enums, fields, values int
		for _, t := range m.Types {
			if t.Enum {
				enums++
				values += len(t.Values)
			} else {
				objects++
				fields += len(t.Fields)
			}
		}
		fmt.Fprintf(os.Stderr, "%d types: %d objects with %d fields, %d enums with %d values\n",
			len(m.Types), objects, fields, enums, values)
	}
	return nil
}
