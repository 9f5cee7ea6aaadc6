package reference

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/gohcs/hcs/internal/winetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a TB that records how Dir ended a test.
type recorder struct{ skipped, fatal string }

func (r *recorder) Helper()                           {}
func (r *recorder) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

func TestDir(t *testing.T) {
	ref := winetest.TempDir(t)
	if err := os.MkdirAll(filepath.Join(ref, "api"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ref, "api", "SchemaReference.md"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(RequiredEnv, "")
	t.Setenv(Env, ref)
	var r recorder
	if got := Dir(&r); got != ref || r.skipped != "" || r.fatal != "" {
		t.Errorf("present: Dir = %q, skipped %q, fatal %q", got, r.skipped, r.fatal)
	}

	missing := filepath.Join(ref, "nothing")
	t.Setenv(Env, missing)
	r = recorder{}
	Dir(&r)
	if !strings.Contains(r.skipped, "hcs-reference folder not found at "+missing) || r.fatal != "" {
		t.Errorf("absent: skipped %q, fatal %q", r.skipped, r.fatal)
	}

	t.Setenv(RequiredEnv, "1")
	r = recorder{}
	Dir(&r)
	if !strings.Contains(r.fatal, "HCS_REFERENCE_REQUIRED=1 requires it") || r.skipped != "" {
		t.Errorf("absent and required: skipped %q, fatal %q", r.skipped, r.fatal)
	}
}

// TestDefaultBesideModule checks the default: ../shared/hcs-reference
// beside the module root, found from a package directory.
func TestDefaultBesideModule(t *testing.T) {
	t.Setenv(Env, "")
	dir, err := Find()
	want, werr := filepath.Abs(filepath.Join("..", "..", "..", "shared", "hcs-reference"))
	if werr != nil {
		t.Fatal(werr)
	}
	if err == nil {
		if filepath.Clean(dir) != want {
			t.Errorf("Find = %q, want %q", dir, want)
		}
		return
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("Find: %v, want an error naming %s", err, want)
	}
}
