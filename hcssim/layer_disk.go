package hcssim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gohcs/hcs"
)

// Layer folders on disk. A read-only layer folder holds Files\ (a base
// layer also Hives\); a layer above the base names its parents in
// layerchain.json, nearest first, as Docker's windowsfilter driver writes
// it. A scratch (sandbox) layer folder holds sandbox.vhdx. The simulator
// writes placeholders where Windows writes virtual disks: the VHDX
// signature "vhdxfile" followed by a line of JSON naming the simulator and
// what the disk is for. Nothing reads them but the simulator.

// Names in a layer folder.
const (
	filesDir      = "Files"
	hivesDir      = "Hives"
	utilityVMDir  = "UtilityVM"
	layoutFile    = "Layout"
	chainFile     = "layerchain.json"
	sandboxFile   = "sandbox.vhdx"
	vhdxSignature = "vhdxfile"
)

// layerEntries are the names a layer folder, or a half-made one, may hold.
// DestroyLayer refuses a folder holding anything else (see safeToDestroy).
var layerEntries = []string{
	filesDir, hivesDir, utilityVMDir, layoutFile, chainFile, sandboxFile, "blank.vhdx", "blank-base.vhdx",
}

// checkPath checks a path argument of a layer call and returns it cleaned:
// it must be absolute (a \\?\ path, such as a volume path, counts as one)
// and not the root of a file system, else E_INVALIDARG.
func checkPath(path string) (string, error) {
	switch {
	case path == "":
		return "", hcs.E_INVALIDARG
	case strings.HasPrefix(path, `\\?\`):
		return strings.TrimRight(path, `\`), nil
	case !filepath.IsAbs(path):
		return "", hcs.E_INVALIDARG
	}
	path = filepath.Clean(path)
	if filepath.Dir(path) == path {
		return "", hcs.E_INVALIDARG // a root is not a layer
	}
	return path, nil
}

// defaultSandboxSize is the size CreateSandboxLayer gives a scratch layer:
// 20 GB, the default size of a Windows container's scratch.
const defaultSandboxSize = 20 << 30

// isDir reports whether path is a directory.
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// isFile reports whether path is a regular file.
func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// isReadOnlyLayer reports whether path is a read-only layer folder.
func isReadOnlyLayer(path string) bool { return isDir(filepath.Join(path, filesDir)) }

// isScratch reports whether path is a scratch layer folder.
func isScratch(path string) bool { return isFile(filepath.Join(path, sandboxFile)) }

// isLayer reports whether path is a layer folder of either kind.
func isLayer(path string) bool { return isReadOnlyLayer(path) || isScratch(path) }

// readChain returns the parents a layer folder's layerchain.json lists,
// and whether it has one (a base layer has none). A layerchain.json that
// is not a JSON array of strings is ERROR_INVALID_DATA.
func readChain(path string) ([]string, bool, error) {
	b, err := os.ReadFile(filepath.Join(path, chainFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var chain []string
	if err := json.Unmarshal(b, &chain); err != nil || chain == nil {
		return nil, true, hcs.ERROR_INVALID_DATA
	}
	return chain, true, nil
}

// placeholder is the JSON line of a placeholder disk.
type placeholder struct {
	Fake    string
	Kind    string   // "sandbox", "blank", "blank-base", ...
	Parents []string `json:",omitempty"`
	Size    uint64   `json:",omitempty"`
}

// writePlaceholder writes a placeholder disk at path.
func writePlaceholder(path string, p placeholder, exclusive bool) error {
	p.Fake = "hcssim"
	line, err := json.Marshal(p)
	if err != nil {
		return err
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if exclusive {
		flag |= os.O_EXCL
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(append([]byte(vhdxSignature), line...), '\n'))
	return errors.Join(err, f.Close())
}

// readPlaceholder reads the placeholder disk at path. A disk that is not
// one of the simulator's gives ERROR_INVALID_DATA.
func readPlaceholder(path string) (placeholder, error) {
	var p placeholder
	b, err := os.ReadFile(path)
	if err != nil {
		return p, err
	}
	line, ok := bytes.CutPrefix(b, []byte(vhdxSignature))
	if !ok || json.Unmarshal(bytes.TrimSpace(line), &p) != nil {
		return p, hcs.ERROR_INVALID_DATA
	}
	return p, nil
}

// fsError returns the HRESULT Windows reports for a file system error.
func fsError(err error) hcs.HRESULT {
	var hr hcs.HRESULT
	switch {
	case errors.As(err, &hr):
		return hr
	case errors.Is(err, fs.ErrNotExist):
		return hcs.ERROR_PATH_NOT_FOUND
	case errors.Is(err, fs.ErrExist):
		return hcs.ERROR_ALREADY_EXISTS
	case errors.Is(err, fs.ErrPermission):
		return hcs.E_ACCESSDENIED
	}
	return hcs.E_FAIL
}

// copyLayerDirs copies the folders named names of the layer folder src,
// those it has, into the folder dst.
func copyLayerDirs(dst, src string, names ...string) error {
	for _, name := range names {
		if !isDir(filepath.Join(src, name)) {
			continue
		}
		if err := os.CopyFS(filepath.Join(dst, name), os.DirFS(filepath.Join(src, name))); err != nil {
			return err
		}
	}
	return nil
}

// isEmptyDir reports whether path is a directory without entries.
func isEmptyDir(path string) bool {
	entries, err := os.ReadDir(path)
	return err == nil && len(entries) == 0
}

// safeToDestroy checks that path, which exists, is a folder holding
// nothing but what a layer folder holds (layerEntries, in any case), so
// that a wrong path given to DestroyLayer is refused with E_INVALIDARG
// rather than deleted. Real DestroyLayer deletes whatever it is given; the
// fakes' tests run against real file systems (under Wine, Z:\ is the host's
// root), so the fakes do not.
func safeToDestroy(path string) error {
	entries, err := os.ReadDir(path)
	if err != nil {
		if !isDir(path) {
			return hcs.E_INVALIDARG // not a folder
		}
		return fsError(err)
	}
	for _, e := range entries {
		if !slices.ContainsFunc(layerEntries, func(n string) bool { return strings.EqualFold(n, e.Name()) }) {
			return hcs.E_INVALIDARG
		}
	}
	return nil
}

// removeEntries removes the entries of folder dir named names, those it
// has: what a failed import or export wrote into a folder it did not make.
func removeEntries(dir string, names ...string) {
	for _, name := range names {
		_ = removeTree(filepath.Join(dir, name))
	}
}

// removeTree removes path and everything below it, one entry at a time,
// deepest first. (os.RemoveAll needs a kind of delete that Wine 8 lacks,
// and the simulator runs under Wine in this module's tests.) A path that
// does not exist is removed already.
func removeTree(path string) error {
	var paths []string
	err := filepath.WalkDir(path, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, p)
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	slices.Reverse(paths) // children before their folder
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
