package layertar

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// folder is what the writers that fill a folder share: the folder, open as
// an os.Root so that no name leads out of it, and the writer's state.
type folder struct {
	dir  string
	root *os.Root
	verb string // what errors call the writer's work: "staging", "restoring"

	mu     sync.Mutex
	closed bool
	err    error // close's result
	failed error // the first call that failed; later ones fail with it
}

// openFolder opens dir, which must be empty, for a writer.
func openFolder(dir, verb string) (*folder, error) {
	root, err := os.OpenRoot(dir)
	if err == nil {
		err = checkEmpty(root, dir)
		if err != nil {
			root.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("layertar: %s folder: %w", verb, err)
	}
	return &folder{dir: dir, root: root, verb: verb}, nil
}

func checkEmpty(root *os.Root, dir string) error {
	f, err := root.Open(".")
	if err != nil {
		return err
	}
	defer f.Close()
	switch names, err := f.Readdirnames(1); {
	case err == io.EOF:
		return nil
	case err != nil:
		return err
	default:
		return fmt.Errorf("%s is not empty (it holds %s)", dir, names[0])
	}
}

// check checks that the writer is open and has not failed, and that name
// is one Translate would pass; it returns the error to report otherwise.
func (f *folder) check(op, name string) error {
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	switch {
	case closed:
		return fmt.Errorf("layertar: %s %s %s: %w", f.verb, op, name, os.ErrClosed)
	case f.failed != nil:
		return fmt.Errorf("layertar: %s %s %s: an earlier call failed: %w", f.verb, op, name, f.failed)
	}
	clean, stream, err := cleanName(name)
	if err == nil && (clean != name || stream != "") {
		err = errors.New("not a clean layer path")
	}
	if err == nil {
		err = checkRoot(name)
	}
	if err != nil {
		return f.fail(fmt.Errorf("layertar: %s %s %q: %v", f.verb, op, name, err))
	}
	return nil
}

// fail makes err the writer's failure: later calls fail with it.
func (f *folder) fail(err error) error {
	f.failed = err
	return err
}

// close runs finish (unless a call failed) and closes the folder, once;
// it returns the same result however often it is called.
func (f *folder) close(finish func() error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return f.err
	}
	f.closed = true
	var err error
	if f.failed == nil {
		err = finish()
	}
	if cerr := f.root.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("layertar: %s folder: %w", f.verb, cerr))
	}
	f.err = err
	return err
}
