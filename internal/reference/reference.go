// Package reference finds Microsoft's published HCS reference — the
// hcs-reference folder with the schema's Swagger files (schema/*.json) and
// the API pages (api/*.md) — for the tests that compare package schema with
// it.
//
// The folder is not part of the repository: CI has it beside the clone, at
// ../shared/hcs-reference, and a plain clone usually does not. Tests that
// need it skip, saying why, when it is absent, so that `make test` passes on
// a clone that has only Go, Wine and mingw; with HCS_REFERENCE_REQUIRED=1,
// as CI sets it (make test REQUIRE_ALL_CHECKS=1), they fail instead.
package reference

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Env names the variable that gives the folder's location, overriding the
// default ../shared/hcs-reference beside the module root.
const Env = "HCS_REFERENCE"

// RequiredEnv names the variable that, set to 1, makes a missing folder a
// test failure rather than a skip.
const RequiredEnv = "HCS_REFERENCE_REQUIRED"

// TB is the part of testing.TB that Dir uses.
type TB interface {
	Helper()
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Dir returns the hcs-reference folder for a test. When the folder cannot be
// found, the test is skipped with the reason, or fails when the folder is
// required (see RequiredEnv).
func Dir(t TB) string {
	t.Helper()
	dir, err := Find()
	if err == nil {
		return dir
	}
	if os.Getenv(RequiredEnv) == "1" {
		t.Fatalf("%v (%s=1 requires it)", err, RequiredEnv)
	} else {
		t.Skipf("%v: the checks against Microsoft's published schema are not run", err)
	}
	return ""
}

// Find returns the hcs-reference folder: $HCS_REFERENCE, or
// ../shared/hcs-reference beside the root of the module that holds the
// current directory. It fails, naming where it looked, when the folder
// there lacks api/SchemaReference.md.
func Find() (string, error) {
	dir := os.Getenv(Env)
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "..", "shared", "hcs-reference")
	}
	if _, err := os.Stat(filepath.Join(dir, "api", "SchemaReference.md")); err != nil {
		return "", fmt.Errorf("hcs-reference folder not found at %s (set %s to its location): %w", dir, Env, err)
	}
	return dir, nil
}

// moduleRoot returns the nearest directory at or above the current one that
// holds a go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("hcs-reference folder: no go.mod at or above the current directory")
		}
		dir = parent
	}
}
