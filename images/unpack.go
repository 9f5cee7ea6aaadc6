package images

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/gohcs/hcs/internal/filelock"
	"github.com/gohcs/hcs/internal/filetree"
	"github.com/gohcs/hcs/layers"
	"github.com/gohcs/hcs/layertar"
)

// BaseWriter says how Unpack writes an image's base layer into its layer
// folder, before the layer service processes it (ProcessBaseImage).
type BaseWriter int

const (
	// BaseDefault is BaseBackupWrite on Windows, and BaseStaged
	// elsewhere, where the only layer service is a simulated one.
	BaseDefault BaseWriter = iota
	// BaseBackupWrite restores the layer's files into the folder with
	// BackupWrite (layertar.BackupWriter), with their security
	// descriptors, attributes and streams: what Windows' ProcessBaseImage
	// needs, as hcsshim does it. It needs Windows, an elevated process and
	// a real BackupWrite (Wine's is a stub that fails).
	BaseBackupWrite
	// BaseStaged lays the layer out as for ImportLayer (layertar.Staging),
	// in a staging folder whose Files, Hives and UtilityVM then become
	// the layer folder's: what the simulator's layer service (package
	// hcssim) and this module's mock DLLs take. Real Windows does not: its
	// ProcessBaseImage needs the files themselves.
	BaseStaged
)

// String returns "default", "backup-write" or "staged".
func (b BaseWriter) String() string {
	switch b {
	case BaseDefault:
		return "default"
	case BaseBackupWrite:
		return "backup-write"
	case BaseStaged:
		return "staged"
	}
	return fmt.Sprintf("BaseWriter(%d)", int(b))
}

// UnpackOptions are the options of Unpack.
type UnpackOptions struct {
	// Base says how the base layer is written (see BaseWriter).
	Base BaseWriter
	// Progress, when set, is called as each layer's unpacking advances,
	// from the goroutine that called Unpack; it must return quickly.
	Progress func(UnpackProgress)
}

// UnpackStatus is where the unpacking of a layer stands.
type UnpackStatus int

// The statuses of a layer, in the order they come.
const (
	// UnpackCached: the layer was unpacked already, by this process or
	// another; nothing to do.
	UnpackCached UnpackStatus = iota
	// UnpackWaiting: another Unpack, in this process or another, is
	// unpacking the layer or looking at it; this one waits for it.
	UnpackWaiting
	// UnpackWriting: the layer's tar is being translated into its folder
	// (or a staging folder); Bytes counts the tar's bytes.
	UnpackWriting
	// UnpackImporting: the layer service imports or processes the layer
	// (ImportLayer, ProcessBaseImage, ProcessUtilityImage).
	UnpackImporting
	// UnpackDone: the layer is unpacked.
	UnpackDone
)

var unpackStatusNames = [...]string{"unpacked already", "waiting", "writing", "importing", "unpacked"}

// String returns the status in lower case, such as "importing".
func (s UnpackStatus) String() string {
	if s >= 0 && int(s) < len(unpackStatusNames) {
		return unpackStatusNames[s]
	}
	return fmt.Sprintf("UnpackStatus(%d)", int(s))
}

// UnpackProgress reports on one layer of an Unpack.
type UnpackProgress struct {
	// Index is the layer's position in the image, 0 for its base layer;
	// Layer is the layer, and ChainID its chain id (see Image.ChainIDs).
	Index   int
	Layer   Layer
	ChainID Digest
	// Dir is the layer's folder.
	Dir    string
	Status UnpackStatus
	// Bytes is how many bytes of the layer's uncompressed tar have been
	// translated (UnpackWriting, and the statuses after it).
	Bytes int64
}

// progressEvery is how many tar bytes go between two UnpackWriting
// reports of one layer.
const progressEvery = 4 << 20

// Unpack makes the layers of the image im, an image of the store, into
// layer folders of the layer service lh in folder root, and returns them,
// held against removal until the returned Unpacked is closed. Its
// Layers are what lh.CreateScratch and lh.Mount take as parents.
//
// Each layer's folder is HEX in root, HEX being the hex digits of its
// chain id (Image.ChainIDs): a layer is unpacked once, and shared by every
// image with the same layers below it. A layer unpacked already is used
// as it is. The others are unpacked in order, base first, as hcsshim and
// Docker do: the base layer is written into its folder (see BaseWriter)
// and processed with ProcessBaseImage, and with ProcessUtilityImage when
// it has a utility VM; each layer above is translated into a staging
// folder, imported with ImportLayer over its parents, and then its
// deletions (whiteouts) and hard links are applied in the imported
// folder, which ImportLayer leaves to its caller. A layer above the base
// that changes the utility VM (UtilityVM\) is refused: hcsshim handles
// those, which the update layers of Windows Server 2016 images had, by
// cloning the parent's utility VM; this package does not.
//
// Nothing half-done is ever trusted. A layer counts as unpacked only once
// its marker HEX.done in root, written and synced last, exists; a later
// Unpack removes a folder without one, and its staging folder
// HEX.staging, before it starts the layer again. So an Unpack that is
// interrupted — ctx ends, the process is killed, the machine stops — or
// that fails leaves nothing a later one would use. Several processes may
// unpack into one root at once: a layer is unpacked by one of them, under
// the lock HEX.unpack.lock, while the others wait for it
// (UnpackWaiting) and then use it. The layers of the returned Unpacked are
// held under HEX.use.lock, shared, until it is closed: Remove
// refuses to destroy them meanwhile, in any process. Unpack waits, until
// ctx ends, for a Remove of the store in progress.
//
// A root holds the layers of one store's images: Remove destroys the
// layer folders of an image there that no other image of the store uses.
// The layer service needs an elevated process on Windows; BaseBackupWrite
// also needs Windows.
//
// Unpack fails, naming the image and the layer, when a layer's blob is
// not in the store or is damaged (an error wrapping ErrDigestMismatch;
// the damaged blob is deleted, for the next pull to download it again),
// when its tar is not a Windows layer (see layertar.Translate), and when
// the layer service or the disk fails; the layers unpacked before the one
// that failed stay, and the next Unpack uses them. When ctx ends, Unpack
// stops and returns ctx's error, after the layer service's call in
// progress, which cannot be interrupted, has finished: the unfinished
// layer is removed first.
func (s *Store) Unpack(ctx context.Context, im *Image, lh *layers.Host, root string, opts UnpackOptions) (*Unpacked, error) {
	if im == nil || len(im.Layers) == 0 {
		return nil, errors.New("images: unpacking: no image, or an image without layers")
	}
	if lh == nil {
		return nil, fmt.Errorf("images: unpacking %s: no layer service (a nil *layers.Host)", im.Ref)
	}
	if root == "" {
		return nil, fmt.Errorf("images: unpacking %s: no folder for the layers (root is empty)", im.Ref)
	}
	base := opts.Base
	if base == BaseDefault {
		base = BaseStaged
		if runtime.GOOS == "windows" {
			base = BaseBackupWrite
		}
	}
	if base != BaseBackupWrite && base != BaseStaged {
		return nil, fmt.Errorf("images: unpacking %s: unknown UnpackOptions.Base %v", im.Ref, opts.Base)
	}
	for _, l := range im.Layers {
		if _, err := ParseDigest(string(l.DiffID)); err != nil {
			return nil, fmt.Errorf("images: unpacking %s: %w", im.Ref, err)
		}
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("images: unpacking %s: %w", im.Ref, err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("images: unpacking %s: %w", im.Ref, err)
	}
	unlock, err := s.lock(ctx, "gc.lock", false, nil)
	if err != nil {
		return nil, fmt.Errorf("images: unpacking %s: %w", im.Ref, err)
	}
	defer unlock()

	up := &unpacker{store: s, im: im, lh: lh, root: root, base: base, progress: opts.Progress, chain: im.ChainIDs()}
	u := &Unpacked{}
	var parents []string // nearest first
	for i := range im.Layers {
		hold, err := up.layer(ctx, i, parents)
		if err != nil {
			u.Close()
			return nil, fmt.Errorf("images: unpacking %s: layer %d of %d (%s): %w", im.Ref, i+1, len(im.Layers), im.Layers[i].Digest, err)
		}
		u.holds = append(u.holds, hold)
		parents = append([]string{up.paths(i).dir}, parents...)
	}
	u.layers = parents
	return u, nil
}

// unpacker is one Unpack.
type unpacker struct {
	store    *Store
	im       *Image
	lh       *layers.Host
	root     string
	base     BaseWriter
	progress func(UnpackProgress)
	chain    []Digest
}

// report reports the status of layer i.
func (up *unpacker) report(i int, status UnpackStatus, n int64) {
	if up.progress != nil {
		up.progress(UnpackProgress{
			Index: i, Layer: up.im.Layers[i], ChainID: up.chain[i], Dir: up.paths(i).dir, Status: status, Bytes: n,
		})
	}
}

// paths returns the paths of layer i.
func (up *unpacker) paths(i int) layerPaths { return pathsOf(up.root, up.chain[i]) }

// layer makes sure that layer i, over its parents (nearest first), is
// unpacked, and returns its use lock, locked shared.
func (up *unpacker) layer(ctx context.Context, i int, parents []string) (*os.File, error) {
	p := up.paths(i)
	lock, err := openLock(p.unpackLock)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	if err := lockNow(ctx, lock, true, func() { up.report(i, UnpackWaiting, 0) }); err != nil {
		return nil, err
	}
	defer filelock.Unlock(lock)

	done, err := isUnpacked(p, up.chain[i])
	if err != nil {
		return nil, err
	}
	if done {
		up.report(i, UnpackCached, 0)
	} else if err := up.unpack(ctx, i, parents); err != nil {
		return nil, err
	}
	hold, err := openLock(p.useLock)
	if err != nil {
		return nil, err
	}
	// Nothing holds the use lock exclusively but a Remove, which waits
	// for Unpack (gc.lock): this lock does not wait.
	if err := lockNow(ctx, hold, false, nil); err != nil {
		hold.Close()
		return nil, err
	}
	return hold, nil
}

// unpack unpacks layer i, whose unpack lock is held, over its parents:
// the leftovers of an earlier attempt go first, then the layer is written
// and imported, and its marker written last. When it fails, what it made
// is removed.
func (up *unpacker) unpack(ctx context.Context, i int, parents []string) (err error) {
	p := up.paths(i)
	if err := discardLayer(ctx, up.lh, p); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			if derr := discardLayer(ctx, up.lh, p); derr != nil {
				err = fmt.Errorf("%w; removing what it made: %v", err, derr)
			}
		}
	}()
	l := up.im.Layers[i]
	rc, err := up.store.OpenLayer(ctx, l)
	if err != nil {
		return err
	}
	tar := &progressReader{r: rc, report: func(n int64) { up.report(i, UnpackWriting, n) }}
	up.report(i, UnpackWriting, 0)
	if i == 0 {
		err = up.writeBase(ctx, p, tar)
	} else {
		err = up.writeLayer(ctx, i, p, tar, parents)
	}
	if err != nil && ctx.Err() == nil && !errors.Is(err, ErrDigestMismatch) {
		// A damaged blob can make a tar that is refused before its end,
		// where its digest is checked: say so if it is.
		if derr := rc.(*layerReader).checkBlob(); derr != nil {
			err = fmt.Errorf("%w (the damage made: %v)", derr, err)
		}
	}
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := writeMarker(p, up.marker(i)); err != nil {
		return err
	}
	up.report(i, UnpackDone, tar.n)
	return nil
}

// marker returns what layer i's marker records.
func (up *unpacker) marker(i int) marker {
	m := marker{Format: markerFormat, ChainID: up.chain[i], DiffID: up.im.Layers[i].DiffID, Digest: up.im.Layers[i].Digest}
	if i > 0 {
		m.Parent = up.chain[i-1]
	}
	return m
}

// noCancel returns the context of the layer service's calls: they cannot
// be interrupted, and an Unpack whose context ended waits for them, so
// that no call still writes into a folder once Unpack lets it go.
func noCancel(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// writeBase writes the base layer from tar into its folder and processes
// it.
func (up *unpacker) writeBase(ctx context.Context, p layerPaths, tar *progressReader) error {
	var utilityVM bool
	switch up.base {
	case BaseBackupWrite:
		if err := os.Mkdir(p.dir, 0o755); err != nil {
			return err
		}
		w, err := layertar.NewBackupWriter(p.dir)
		if err != nil {
			return err
		}
		if err := translate(ctx, tar, w); err != nil {
			return err
		}
		utilityVM = w.UtilityVM()
	default:
		st, err := up.stage(ctx, p, tar)
		if err != nil {
			return err
		}
		if ts := st.Tombstones(); len(ts) > 0 {
			return fmt.Errorf("a base layer deletes nothing, and this one deletes %s", ts[0])
		}
		if err := os.Mkdir(p.dir, 0o755); err != nil {
			return err
		}
		for _, name := range []string{"Files", "Hives", "UtilityVM"} {
			err := os.Rename(filepath.Join(p.staging, name), filepath.Join(p.dir, name))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		if err := applyChanges(p.dir, nil, nil, st.Links()); err != nil {
			return err
		}
		if err := filetree.Remove(p.staging); err != nil {
			return err
		}
		utilityVM = st.UtilityVM()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	up.report(0, UnpackImporting, tar.n)
	if err := up.lh.ProcessBaseImage(noCancel(ctx), p.dir); err != nil {
		return err
	}
	if utilityVM {
		return up.lh.ProcessUtilityImage(noCancel(ctx), p.dir)
	}
	return nil
}

// writeLayer writes a layer above the base from tar into a staging
// folder, imports it over its parents, and applies what ImportLayer does
// not: deletions and hard links.
func (up *unpacker) writeLayer(ctx context.Context, i int, p layerPaths, tar *progressReader, parents []string) error {
	st, err := up.stage(ctx, p, tar)
	if err != nil {
		return err
	}
	if st.UtilityVM() {
		return errors.New("it changes the utility VM (UtilityVM), which only a base layer may here: not supported")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	up.report(i, UnpackImporting, tar.n)
	if err := up.lh.Import(noCancel(ctx), p.dir, p.staging, parents); err != nil {
		return err
	}
	if err := applyChanges(p.dir, parents, st.Tombstones(), st.Links()); err != nil {
		return err
	}
	return filetree.Remove(p.staging)
}

// stage translates tar into the layer's staging folder.
func (up *unpacker) stage(ctx context.Context, p layerPaths, tar io.Reader) (*layertar.Staging, error) {
	st, err := layertar.NewStaging(p.staging)
	if err != nil {
		return nil, err
	}
	if err := translate(ctx, tar, st); err != nil {
		return nil, err
	}
	return st, nil
}

// translate translates tar into w and closes w.
func translate(ctx context.Context, tar io.Reader, w layertar.Writer) error {
	_, err := layertar.Translate(ctx, tar, w)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// progressReader counts the bytes read from r and reports them every
// progressEvery bytes.
type progressReader struct {
	r      io.Reader
	report func(n int64)
	n      int64
	next   int64
}

func (r *progressReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.n += int64(n)
	if r.n >= r.next+progressEvery {
		r.next = r.n
		r.report(r.n)
	}
	return n, err
}
