package winetest

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// mingwInclude is where Debian's mingw-w64-x86-64-dev installs the headers
// the mocks compile against.
var mingwInclude = []string{"/usr/share/mingw-w64/include", "/usr/x86_64-w64-mingw32/include"}

// TestExports checks, for each DLL the FFI binds, that every name it binds
// is exported by the mock (a misspelled import, like the HcsDestroyLayer of
// hcsshim's public computestorage package, fails here rather than on a
// user's host), and that the mock exports exactly the entry points of the
// header it stands in for: mingw's header, or ours for vmcompute.dll, which
// has no SDK header. It reads source files only, so it runs on every OS.
func TestExports(t *testing.T) {
	dlls := []struct {
		dll    string // as in the //sys lines
		sys    string // the //sys file of the FFI
		def    string // the mock's exports
		header string // the header the mock implements
		mingw  bool   // header from mingw rather than the repository
	}{
		{"computecore", "../computecore/syscall_windows.go", "mock/computecore.def", "computecore.h", true},
		{"vmcompute", "../vmcompute/syscall_windows.go", "layermock/vmcompute.def", "layermock/vmcompute.h", false},
		{"computestorage", "../computestorage/syscall_windows.go", "layermock/computestorage.def", "computestorage.h", true},
	}
	for _, d := range dlls {
		t.Run(d.dll, func(t *testing.T) {
			bound := sysNames(t, d.sys, d.dll)
			exported := defExports(t, d.def)
			for _, name := range bound {
				if !slices.Contains(exported, name) {
					t.Errorf("%s binds %s.%s, which %s does not export", d.sys, d.dll, name, d.def)
				}
			}
			header := d.header
			if d.mingw {
				header = findHeader(t, d.header)
			}
			declared := headerFunctions(t, header)
			var api []string // the exports that are not the mock's own
			for _, e := range exported {
				if !strings.HasPrefix(e, "Mock") {
					api = append(api, e)
				}
			}
			slices.Sort(api)
			slices.Sort(declared)
			if !slices.Equal(api, declared) {
				t.Errorf("%s exports %v;\n%s declares %v", d.def, api, header, declared)
			}
			if len(bound) == 0 || len(declared) == 0 {
				t.Errorf("nothing read: %d bindings, %d declarations", len(bound), len(declared))
			}
		})
	}
}

// sysNames returns the export names of the //sys lines of file for dll.
func sysNames(t *testing.T, file, dll string) []string {
	t.Helper()
	re := regexp.MustCompile(`^//sys\s.*=\s*` + dll + `\.(\w+)\??\s*$`)
	var names []string
	for _, line := range lines(t, file) {
		if m := re.FindStringSubmatch(line); m != nil {
			names = append(names, m[1])
		}
	}
	return names
}

// defExports returns the names listed after EXPORTS in a .def file.
func defExports(t *testing.T, file string) []string {
	t.Helper()
	var names []string
	in := false
	for _, line := range lines(t, file) {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, ";"):
		case line == "EXPORTS":
			in = true
		case in:
			names = append(names, strings.Fields(line)[0])
		}
	}
	return names
}

// headerFunctions returns the WINAPI functions a header declares.
func headerFunctions(t *testing.T, file string) []string {
	t.Helper()
	re := regexp.MustCompile(`\bWINAPI\s+(\w+)\s*\(`)
	var names []string
	for _, line := range lines(t, file) {
		if m := re.FindStringSubmatch(line); m != nil {
			names = append(names, m[1])
		}
	}
	return names
}

func findHeader(t *testing.T, name string) string {
	t.Helper()
	for _, dir := range mingwInclude {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skipf("mingw-w64's %s is not installed (Debian: mingw-w64-x86-64-dev, which .ci/run installs)", name)
	return ""
}

func lines(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		out = append(out, s.Text())
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
