package images

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
	"github.com/gohcs/hcs/internal/registrytest"
	"github.com/gohcs/hcs/internal/winetest"
	"github.com/gohcs/hcs/layers"
)

// layerService is a layer service the Unpack tests run on: open returns
// a Host on it, and a function that makes the next call of the named
// entry point (a vmcompute.dll export, as hcssim.Call names them) fail
// with hr.
type layerService struct {
	name string
	open func(t *testing.T) (lh *layers.Host, failNext func(call string, hr hcs.HRESULT))
}

// layerServices are the simulator's, on every OS, and the platform's
// (platformLayerServices).
var layerServices = append([]layerService{{"hcssim", openSim}}, platformLayerServices...)

func openSim(t *testing.T) (*layers.Host, func(string, hcs.HRESULT)) {
	sim := hcssim.New()
	t.Cleanup(sim.Close)
	return sim.Layers(), func(call string, hr hcs.HRESULT) { sim.FailNext(hcssim.Call(call), hr, "") }
}

// eachLayerService runs test on every layer service, as a subtest.
func eachLayerService(t *testing.T, test func(t *testing.T, svc layerService)) {
	for _, svc := range layerServices {
		t.Run(svc.name, func(t *testing.T) { test(t, svc) })
	}
}

// unpackFixture is a store with the App image pulled, a layer service and
// a root to unpack into.
type unpackFixture struct {
	reg      *registrytest.Registry
	s        *Store
	lh       *layers.Host
	failNext func(call string, hr hcs.HRESULT)
	root     string
	app      *Image
}

func newUnpackFixture(t *testing.T, svc layerService) *unpackFixture {
	t.Helper()
	f := &unpackFixture{reg: startRegistry(t), s: openStore(t), root: filepath.Join(winetest.TempDir(t), "layers")}
	f.lh, f.failNext = svc.open(t)
	var err error
	if f.app, err = f.s.Pull(context.Background(), f.reg.Ref(registrytest.App), options(t, f.reg)); err != nil {
		t.Fatal(err)
	}
	f.reg.Requests()
	return f
}

// opts returns the options of an unpacking on the fakes, recording
// the progress into log if it is not nil.
func (f *unpackFixture) opts(log *unpackLog) UnpackOptions {
	o := UnpackOptions{Base: BaseStaged}
	if log != nil {
		o.Progress = log.add
	}
	return o
}

// unpack unpacks im, failing the test on error; the Unpacked is closed
// when the test ends.
func (f *unpackFixture) unpack(t *testing.T, im *Image, log *unpackLog) *Unpacked {
	t.Helper()
	u, err := f.s.Unpack(context.Background(), im, f.lh, f.root, f.opts(log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close() })
	return u
}

// dir returns the folder of layer i of im.
func (f *unpackFixture) dir(im *Image, i int) string {
	return filepath.Join(f.root, im.ChainIDs()[i].Hex())
}

// unpackLog records the progress reports of an unpacking.
type unpackLog struct{ reportLog[UnpackProgress] }

// statuses returns the statuses reported for layer i, in order, without
// repeats.
func (l *unpackLog) statuses(i int) []UnpackStatus {
	return statusesOf(&l.reportLog, func(p UnpackProgress) (UnpackStatus, bool) { return p.Status, p.Index == i })
}

var (
	unpackedNow    = []UnpackStatus{UnpackWriting, UnpackImporting, UnpackDone}
	unpackedBefore = []UnpackStatus{UnpackCached}
)

// TestUnpack unpacks the App image on each layer service: each layer into
// the folder of its chain id, the base processed, the others imported over
// their parents, with their hard links made; then mounts a scratch layer
// over them. A second Unpack, and one of an image sharing layers, unpack
// nothing.
func TestUnpack(t *testing.T) { eachLayerService(t, testUnpack) }

func testUnpack(t *testing.T, svc layerService) {
	f := newUnpackFixture(t, svc)
	ctx := context.Background()
	var log unpackLog
	u := f.unpack(t, f.app, &log)
	want := []string{f.dir(f.app, 2), f.dir(f.app, 1), f.dir(f.app, 0)}
	if got := u.Layers(); !slices.Equal(got, want) {
		t.Fatalf("layers %q, want %q (nearest first)", got, want)
	}
	for i := range 3 {
		if got := log.statuses(i); !slices.Equal(got, unpackedNow) {
			t.Errorf("layer %d: statuses %v, want %v", i, got, unpackedNow)
		}
		if ok, err := isUnpacked(pathsOf(f.root, f.app.ChainIDs()[i]), f.app.ChainIDs()[i]); !ok || err != nil {
			t.Errorf("layer %d: no marker (%v)", i, err)
		}
	}
	last := log.all[len(log.all)-1]
	if last.Index != 2 || last.Dir != want[0] || last.Layer.Digest != f.app.Layers[2].Digest || last.ChainID != f.app.ChainIDs()[2] || last.Bytes == 0 {
		t.Errorf("last report %+v", last)
	}

	base, app, patch := want[2], want[1], want[0]
	for _, p := range []string{
		filepath.Join(base, "blank.vhdx"),                       // ProcessBaseImage
		filepath.Join(base, "UtilityVM", "SystemTemplate.vhdx"), // ProcessUtilityImage
		filepath.Join(base, "Hives", "System_Delta"),
		filepath.Join(app, "Files", "app", "server.exe"),
		filepath.Join(patch, "Files", "app", "config.json"),
	} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	for _, name := range []string{"Files.$wcidirs$", "Hives.$wcidirs$"} {
		if _, err := os.Lstat(filepath.Join(base, name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the base layer's folder holds its staging file %s: %v", name, err)
		}
	}
	if chain, err := layers.Chain(patch); err != nil || !slices.Equal(chain, want) {
		t.Errorf("layerchain of the top layer: %q, %v", chain, err)
	}
	// Hard links: in the base layer, in the App layer, and from the App
	// layer to a file of the base layer.
	sameFile(t, filepath.Join(base, "Files/Windows/System32/command.com"), filepath.Join(base, "Files/Windows/System32/cmd.exe"))
	sameFile(t, filepath.Join(app, "Files/app/server-copy.exe"), filepath.Join(app, "Files/app/server.exe"))
	sameFile(t, filepath.Join(app, "Files/Windows/System32/kernel32-link.dll"), filepath.Join(base, "Files/Windows/System32/kernel32.dll"))
	for i := range 3 {
		if _, err := os.Lstat(pathsOf(f.root, f.app.ChainIDs()[i]).staging); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("layer %d: staging folder left: %v", i, err)
		}
	}

	// The layers carry a container.
	scratch := filepath.Join(winetest.TempDir(t), "scratch")
	if err := f.lh.CreateScratch(ctx, scratch, u.Layers(), 0); err != nil {
		t.Fatal(err)
	}
	m, err := f.lh.Mount(ctx, scratch, u.Layers())
	if err != nil {
		t.Fatal(err)
	}
	if st := m.Storage(); len(st.Layers) != 3 || st.Layers[2].Path != base {
		t.Errorf("storage %+v", st)
	}
	if err := m.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.lh.Destroy(ctx, scratch); err != nil {
		t.Fatal(err)
	}

	// Again, and an image whose layers are App's first two: nothing to do.
	var again unpackLog
	u2 := f.unpack(t, f.app, &again)
	if !slices.Equal(u2.Layers(), want) {
		t.Errorf("second unpack: %q", u2.Layers())
	}
	nano, err := f.s.Pull(ctx, f.reg.Ref(registrytest.Nanoserver), options(t, f.reg))
	if err != nil {
		t.Fatal(err)
	}
	u3 := f.unpack(t, nano, &again)
	if !slices.Equal(u3.Layers(), want[1:]) {
		t.Errorf("nanoserver's layers %q, want %q", u3.Layers(), want[1:])
	}
	for i := range 3 {
		if got := again.statuses(i); !slices.Equal(got, unpackedBefore) {
			t.Errorf("layer %d unpacked again: %v", i, got)
		}
	}
}

// sameFile checks that a and b are hard links of one file.
func sameFile(t *testing.T, a, b string) {
	t.Helper()
	fa, err := os.Lstat(a)
	if err != nil {
		t.Error(err)
		return
	}
	fb, err := os.Lstat(b)
	if err != nil {
		t.Error(err)
		return
	}
	if !os.SameFile(fa, fb) {
		t.Errorf("%s and %s are not one file", a, b)
	}
}

// TestUnpackRemove removes images whose layers are unpacked: not while
// they are held, then their layer folders no other image uses.
func TestUnpackRemove(t *testing.T) { eachLayerService(t, testUnpackRemove) }

func testUnpackRemove(t *testing.T, svc layerService) {
	f := newUnpackFixture(t, svc)
	ctx := context.Background()
	nano, err := f.s.Pull(ctx, f.reg.Ref(registrytest.Nanoserver), options(t, f.reg))
	if err != nil {
		t.Fatal(err)
	}
	u := f.unpack(t, f.app, nil)
	opts := RemoveOptions{Layers: f.lh, Root: f.root}

	// Held: refused, and nothing changes.
	_, err = f.s.Remove(ctx, f.app.Ref, opts)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), f.dir(f.app, 2)) {
		t.Fatalf("Remove of a held image: %v, want ErrInUse naming %s", err, f.dir(f.app, 2))
	}
	if got := refs(t, f.s); len(got) != 2 {
		t.Errorf("catalog after a refused Remove: %q", got)
	}
	if !has(t, f.s, f.app.Layers[2].Digest.String()) {
		t.Error("a refused Remove deleted a blob")
	}
	// Removing nanoserver destroys no folder: App uses them all.
	rm, err := f.s.Remove(ctx, nano.Ref, opts)
	if err != nil || len(rm.Layers) != 0 {
		t.Fatalf("Remove of nanoserver: %+v, %v", rm, err)
	}
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
	if err := u.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// Without options, the folders stay; with them, they go, top first.
	if _, err := f.s.Remove(ctx, f.app.Ref, RemoveOptions{Root: f.root}); err == nil {
		t.Error("Remove with a Root and no Layers succeeded")
	}
	rm, err = f.s.Remove(ctx, f.app.Ref, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{f.dir(f.app, 2), f.dir(f.app, 1), f.dir(f.app, 0)}
	if !slices.Equal(rm.Layers, want) {
		t.Errorf("destroyed %q, want %q", rm.Layers, want)
	}
	ents, err := os.ReadDir(f.root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left in the root: %s", e.Name())
	}
}

// TestUnpackDamagedBlob unpacks an image one of whose blobs was damaged
// in the store: Unpack fails, naming it, and leaves only the layers below
// it; the blob is deleted, the next pull downloads it alone, and the next
// Unpack unpacks only what is missing. Damage that breaks the
// decompression, and damage that makes a tar refused before its end, are
// both found.
func TestUnpackDamagedBlob(t *testing.T) { eachLayerService(t, testUnpackDamagedBlob) }

func testUnpackDamagedBlob(t *testing.T, svc layerService) {
	for _, c := range []struct {
		name   string
		layer  int
		damage func(b []byte) []byte
	}{
		// The decompression fails.
		{"byte", 1, func(b []byte) []byte { b[len(b)/2] ^= 0xff; return b }},
		{"truncated", 1, func(b []byte) []byte { return b[:len(b)-100] }},
		// The decompression goes on with a wrong byte, which breaks a tar
		// header before the end of the blob.
		{"bit", 2, func(b []byte) []byte { b[len(b)/2] ^= 0x01; return b }},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newUnpackFixture(t, svc)
			ctx := context.Background()
			l := f.app.Layers[c.layer]
			path := f.s.blobPath(l.Digest)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, c.damage(b), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = f.s.Unpack(ctx, f.app, f.lh, f.root, f.opts(nil))
			where := fmt.Sprintf("layer %d of 3 (%s)", c.layer+1, l.Digest)
			if !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), f.app.Ref) || !strings.Contains(err.Error(), where) {
				t.Fatalf("Unpack of a damaged layer: %v", err)
			}
			checkRoot(t, f, f.app, c.layer)
			if has(t, f.s, l.Digest.String()) {
				t.Error("the damaged blob is still in the store")
			}
			_, err = f.s.Unpack(ctx, f.app, f.lh, f.root, f.opts(nil))
			if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "is not in the store (pull its image again)") {
				t.Errorf("Unpack without the blob: %v", err)
			}

			if _, err := f.s.Pull(ctx, f.app.Ref, options(t, f.reg)); err != nil {
				t.Fatal(err)
			}
			reqs := f.reg.Requests()
			for i, name := range []string{"base", "app", "patch"} {
				if n, want := registrytest.BlobGets(reqs, f.reg.Layers[name].Digest), boolInt(i == c.layer); n != want {
					t.Errorf("pull again: layer %s: %d GETs, want %d", name, n, want)
				}
			}
			var log unpackLog
			f.unpack(t, f.app, &log)
			for i := range 3 {
				want := unpackedBefore
				if i >= c.layer {
					want = unpackedNow
				}
				if got := log.statuses(i); !slices.Equal(got, want) {
					t.Errorf("layer %d: %v, want %v", i, got, want)
				}
			}
		})
	}
}

// checkRoot checks the root after an Unpack of im that failed at layer
// failed: the layers below it unpacked, nothing of it or above it left.
func checkRoot(t *testing.T, f *unpackFixture, im *Image, failed int) {
	t.Helper()
	for i, chain := range im.ChainIDs() {
		p := pathsOf(f.root, chain)
		ok, err := isUnpacked(p, chain)
		if err != nil {
			t.Fatal(err)
		}
		if ok != (i < failed) {
			t.Errorf("layer %d: unpacked %v", i, ok)
		}
		if i < failed {
			continue
		}
		for _, left := range []string{p.dir, p.done, p.staging} {
			if _, err := os.Lstat(left); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("layer %d: %s left: %v", i, left, err)
			}
		}
	}
}

// TestUnpackInterrupted interrupts Unpack as it translates a layer and
// as the layer service imports one, and then as though its process had
// been killed: each time the next Unpack unpacks what is missing.
func TestUnpackInterrupted(t *testing.T) { eachLayerService(t, testUnpackInterrupted) }

func testUnpackInterrupted(t *testing.T, svc layerService) {
	f := newUnpackFixture(t, svc)
	for _, at := range []struct {
		index  int
		status UnpackStatus
	}{{0, UnpackWriting}, {1, UnpackImporting}, {2, UnpackWriting}} {
		ctx, cancel := context.WithCancel(context.Background())
		opts := f.opts(nil)
		opts.Progress = func(p UnpackProgress) {
			if p.Index == at.index && p.Status == at.status {
				cancel()
			}
		}
		_, err := f.s.Unpack(ctx, f.app, f.lh, f.root, opts)
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted at layer %d %v: %v", at.index, at.status, err)
		}
		checkRoot(t, f, f.app, at.index)
	}
	if err := f.lh.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Killed: the top layer's marker was not written, a staging folder
	// was left, and the middle layer's marker is garbage.
	f.unpack(t, f.app, nil).Close()
	top := pathsOf(f.root, f.app.ChainIDs()[2])
	mid := pathsOf(f.root, f.app.ChainIDs()[1])
	if err := os.Remove(top.done); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(top.staging, "Files"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mid.done, []byte("{\"format\":"), 0o644); err != nil {
		t.Fatal(err)
	}
	var log unpackLog
	f.unpack(t, f.app, &log)
	for i, want := range [][]UnpackStatus{unpackedBefore, unpackedNow, unpackedNow} {
		if got := log.statuses(i); !slices.Equal(got, want) {
			t.Errorf("after a kill: layer %d: %v, want %v", i, got, want)
		}
	}
	if _, err := os.Lstat(top.staging); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the staging folder left by the kill: %v", err)
	}
}

// TestUnpackLayerServiceFails fails the layer service's calls: Unpack
// fails with its error and removes the unfinished layer.
func TestUnpackLayerServiceFails(t *testing.T) { eachLayerService(t, testUnpackLayerServiceFails) }

func testUnpackLayerServiceFails(t *testing.T, svc layerService) {
	f := newUnpackFixture(t, svc)
	for _, c := range []struct {
		call   hcssim.Call
		failed int
	}{{hcssim.CallProcessBaseImage, 0}, {hcssim.CallProcessUtilityImage, 0}, {hcssim.CallImportLayer, 1}} {
		f.failNext(string(c.call), hcs.E_ACCESSDENIED)
		_, err := f.s.Unpack(context.Background(), f.app, f.lh, f.root, f.opts(nil))
		var lerr *layers.Error
		if !errors.As(err, &lerr) || !errors.Is(err, hcs.ErrAccessDenied) || lerr.Call != string(c.call) {
			t.Fatalf("%s failing: %v", c.call, err)
		}
		checkRoot(t, f, f.app, c.failed)
	}
	f.unpack(t, f.app, nil)
}

// TestUnpackConcurrent unpacks one image from two stores on one folder at
// once, as two processes would: each layer is unpacked once, and the
// second Unpack waits for the first and uses its layers.
func TestUnpackConcurrent(t *testing.T) { eachLayerService(t, testUnpackConcurrent) }

func testUnpackConcurrent(t *testing.T, svc layerService) {
	f := newUnpackFixture(t, svc)
	other, err := Open(f.s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	// A holds the base layer until B waits for it.
	started, waited := make(chan struct{}), make(chan struct{})
	var first, second unpackLog
	optsA := f.opts(nil)
	optsA.Progress = func(p UnpackProgress) {
		first.add(p)
		if p.Index == 0 && p.Status == UnpackWriting {
			close(started)
			<-waited
		}
	}
	optsB := f.opts(nil)
	optsB.Progress = func(p UnpackProgress) {
		second.add(p)
		if p.Index == 0 && p.Status == UnpackWaiting {
			close(waited)
		}
	}
	var (
		wg         sync.WaitGroup
		uA, uB     *Unpacked
		errA, errB error
	)
	wg.Go(func() { uA, errA = f.s.Unpack(context.Background(), f.app, f.lh, f.root, optsA) })
	<-started
	wg.Go(func() { uB, errB = other.Unpack(context.Background(), f.app, f.lh, f.root, optsB) })
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("unpacking at once: %v; %v", errA, errB)
	}
	defer uA.Close()
	defer uB.Close()
	if !slices.Equal(uA.Layers(), uB.Layers()) {
		t.Errorf("layers %q and %q", uA.Layers(), uB.Layers())
	}
	if got := second.statuses(0); !slices.Equal(got, []UnpackStatus{UnpackWaiting, UnpackCached}) {
		t.Errorf("the second Unpack's base layer: %v", got)
	}
	for i := range 3 {
		n := 0
		for _, log := range []*unpackLog{&first, &second} {
			if slices.Contains(log.statuses(i), UnpackWriting) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("layer %d unpacked %d times", i, n)
		}
	}
}

// TestUnpackArguments checks what Unpack refuses before it starts.
func TestUnpackArguments(t *testing.T) {
	f := newUnpackFixture(t, layerServices[0])
	ctx := context.Background()
	for _, c := range []struct {
		name string
		call func() error
		want string
	}{
		{"nil image", func() error { _, err := f.s.Unpack(ctx, nil, f.lh, f.root, f.opts(nil)); return err }, "no image"},
		{"nil host", func() error { _, err := f.s.Unpack(ctx, f.app, nil, f.root, f.opts(nil)); return err }, "no layer service"},
		{"no root", func() error { _, err := f.s.Unpack(ctx, f.app, f.lh, "", f.opts(nil)); return err }, "root is empty"},
		{"bad base", func() error {
			_, err := f.s.Unpack(ctx, f.app, f.lh, f.root, UnpackOptions{Base: 7})
			return err
		}, "unknown UnpackOptions.Base BaseWriter(7)"},
	} {
		if err := c.call(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := os.Lstat(f.root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused Unpack made the root: %v", err)
	}
}

// TestUnpackUtilityVMUpdate refuses a layer above the base that changes
// the utility VM, naming it, and leaves the base layer unpacked.
func TestUnpackUtilityVMUpdate(t *testing.T) { eachLayerService(t, testUnpackUtilityVMUpdate) }

func testUnpackUtilityVMUpdate(t *testing.T, svc layerService) {
	f := newUnpackFixture(t, svc)
	im, err := f.s.Pull(context.Background(), f.reg.Ref(registrytest.UtilityVMUpdate), options(t, f.reg))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.s.Unpack(context.Background(), im, f.lh, f.root, f.opts(nil))
	if err == nil || !strings.Contains(err.Error(), "layer 2 of 2") || !strings.Contains(err.Error(), "changes the utility VM") {
		t.Fatalf("Unpack of a layer that changes the utility VM: %v", err)
	}
	checkRoot(t, f, im, 1)
}

// TestUnpackBackupWrite unpacks with BackupWrite, the base layer writer of
// real Windows, on the simulator's layer service. Off Windows it is
// refused (errors.ErrUnsupported); under Wine, whose BackupWrite is a
// stub, the failure names the file and BackupWrite and leaves nothing;
// on Windows, elevated, the image is unpacked.
func TestUnpackBackupWrite(t *testing.T) {
	f := newUnpackFixture(t, layerServices[0])
	u, err := f.s.Unpack(context.Background(), f.app, f.lh, f.root, UnpackOptions{Base: BaseBackupWrite})
	switch {
	case runtime.GOOS != "windows":
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("BackupWrite off Windows: %v", err)
		}
	case winetest.UnderWine():
		if err == nil || !strings.Contains(err.Error(), "restoring Files") || !strings.Contains(err.Error(), "BackupWrite") {
			t.Fatalf("BackupWrite under Wine: %v, want its stub's failure", err)
		}
		t.Logf("under Wine: %v", err)
	default:
		if err != nil && strings.Contains(err.Error(), "privilege not held") {
			t.Skipf("BackupWrite needs an elevated test: %v", err)
		}
		if err != nil {
			t.Fatal(err)
		}
		u.Close()
		checkRoot(t, f, f.app, 3)
		return
	}
	checkRoot(t, f, f.app, 0)
}
