package schema

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gohcs/hcs/internal/schemagen/spec"
)

// TestGoInitialisms checks every exported name of the package, generated
// or not — types, fields, constants, functions and methods — against the
// generator's list of initialisms: "GuestOS", never "GuestOs".
func TestGoInitialisms(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	check := func(id *ast.Ident) {
		if !id.IsExported() {
			return
		}
		checked++
		if want := spec.Initialisms(id.Name); want != id.Name {
			t.Errorf("%s: %s should be %s", fset.Position(id.Pos()), id.Name, want)
		}
	}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.TypeSpec:
				check(x.Name)
			case *ast.ValueSpec:
				for _, id := range x.Names {
					check(id)
				}
			case *ast.FuncDecl:
				check(x.Name)
			case *ast.Field:
				for _, id := range x.Names {
					check(id)
				}
			}
			return true
		})
	}
	if checked < 2000 {
		t.Errorf("checked only %d names", checked)
	}
	t.Logf("%d exported names checked", checked)
}
