package images

import (
	"errors"
	"os"
	"slices"
	"sync"

	"github.com/gohcs/hcs/internal/filelock"
)

// Unpacked is an image's layers, unpacked into layer folders by
// Store.Unpack and held against removal until Close.
//
// While it is open, Store.Remove refuses, in any process, to destroy its
// layer folders: a container runs on them. Close it once the container
// that uses them is gone, or at once when nothing is to run on them; a
// process that exits lets go of its holds too. An Unpacked is safe for
// concurrent use.
type Unpacked struct {
	layers []string

	mu    sync.Mutex
	holds []*os.File // the layers' use locks, held shared; nil once closed
}

// Layers returns the layer folders, nearest first, base last: the
// image's top layer first. It is what layers.Host.CreateScratch and
// Mount take as parents. Each call returns a new slice.
func (u *Unpacked) Layers() []string { return slices.Clone(u.layers) }

// Close lets go of the layers: Remove may destroy them from then on. It
// is idempotent, and returns the errors of releasing the locks, if any.
func (u *Unpacked) Close() error {
	u.mu.Lock()
	holds := u.holds
	u.holds = nil
	u.mu.Unlock()
	var errs []error
	for _, f := range holds {
		errs = append(errs, filelock.Unlock(f), f.Close())
	}
	return errors.Join(errs...)
}
