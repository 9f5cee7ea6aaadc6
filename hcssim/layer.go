package hcssim

import (
	"cmp"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/layers"
)

// The layer store: the state the simulator keeps about container storage,
// as vmcompute.dll and computestorage.dll manage it on Windows. Layer
// folders are real directories of the file system the simulator runs on;
// the store records which of them are activated or prepared (mounted), with
// what parents and at what volume path. A layer the store does not list is
// inactive. The calls themselves are in layer_vmcompute.go and
// layer_storage.go; the checks of container documents against the store in
// layer_container.go.

// LayerState is the state of a layer that is not inactive, as the layer
// store records it and MountedLayers reports it.
type LayerState string

// Layer states. An inactive layer is not listed at all.
const (
	// LayerActivated is a layer that ActivateLayer activated and that is
	// not prepared.
	LayerActivated LayerState = "Activated"
	// LayerPrepared is a layer that PrepareLayer (or
	// HcsAttachLayerStorageFilter) mounted at a volume path.
	LayerPrepared LayerState = "Prepared"
)

// layerRecord is the state of one layer that is not inactive.
type layerRecord struct {
	// Path is the layer folder, cleaned. For a writable layer mounted
	// through computestorage (HcsAttachLayerStorageFilter) it is the path
	// the filter was attached to, usually a volume path.
	Path string
	// State is LayerActivated or LayerPrepared.
	State LayerState
	// Activations counts ActivateLayer calls not yet matched by a
	// DeactivateLayer: a layer activated twice is deactivated twice.
	Activations int
	// Parents are the parent layer folders the layer was prepared with,
	// nearest first; VolumePath the volume it was given. Prepared only.
	Parents    []string `json:",omitempty"`
	VolumePath string   `json:",omitempty"`
	// Filter marks a layer prepared by HcsAttachLayerStorageFilter (its
	// VolumePath is its Path, and it has one activation): it is undone
	// with HcsDetachLayerStorageFilter, not with UnprepareLayer and
	// DeactivateLayer.
	Filter bool `json:",omitempty"`
}

// writableLayer is a writable layer that HcsInitializeWritableLayer or
// HcsInitializeLegacyWritableLayer initialized: a folder, or the volume
// of a virtual disk, with the parents it was initialized over.
type writableLayer struct {
	Path    string
	Parents []string
}

// layerStore is the simulator's layer state. It is guarded by Sim.mu.
type layerStore struct {
	records map[string]*layerRecord // by layerKey of the path
	// writable are the initialized writable layers, by layerKey.
	writable map[string]*writableLayer
	// vhds are the VHD handles OpenVHD handed out.
	vhds    map[uintptr]*vhd
	lastVHD uintptr
	// unelevated makes every layer call fail as for a process without
	// elevation.
	unelevated bool
	// preparing counts the PrepareLayer calls running; peakPrepares is
	// the most that ever ran at once.
	preparing, peakPrepares int
	// requireStorage makes container creation require Storage.Path.
	requireStorage bool
	// closed is closed by Sim.Close: it ends the injected delays of layer
	// calls.
	closed chan struct{}
}

func (l *layerStore) init() {
	l.records = make(map[string]*layerRecord)
	l.writable = make(map[string]*writableLayer)
	l.vhds = make(map[uintptr]*vhd)
	l.closed = make(chan struct{})
}

// layerKey is the key of path in the store: cleaned, and case-folded where
// file names are case-insensitive (Windows).
func layerKey(path string) string {
	if isVolumePath(path) {
		return strings.ToLower(strings.TrimSuffix(path, `\`))
	}
	path = filepath.Clean(path)
	if runtime.GOOS == "windows" {
		path = strings.ToLower(path)
	}
	return path
}

// isVolumePath reports whether path has the form of a volume GUID path,
// \\?\Volume{GUID}\ (the trailing backslash optional).
func isVolumePath(path string) bool {
	rest, ok := strings.CutPrefix(path, `\\?\Volume{`)
	if !ok {
		return false
	}
	rest = strings.TrimSuffix(rest, `\`)
	guid, ok := strings.CutSuffix(rest, "}")
	return ok && len(guid) == 36 && strings.Count(guid, "-") == 4
}

// sameVolume reports whether a and b name the same volume.
func sameVolume(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, `\`), strings.TrimSuffix(b, `\`))
}

// record returns the record of the layer at path, or nil when it is
// inactive. s.mu is held.
func (l *layerStore) record(path string) *layerRecord { return l.records[layerKey(path)] }

// byVolume returns the prepared layer whose volume is volume, or nil.
func (l *layerStore) byVolume(volume string) *layerRecord {
	for _, r := range l.records {
		if r.State == LayerPrepared && sameVolume(r.VolumePath, volume) {
			return r
		}
	}
	return nil
}

// Layers returns the layer calls of s: a *layers.Host that mounts and
// manages container storage on the simulator, as layers.Local does on
// Windows. Layer folders are real directories; see the package
// documentation for what the simulator checks. Every call returns a new
// Host; all of them share the simulator's layer store.
func (s *Sim) Layers() *layers.Host {
	return backend.NewLayers((*layerSeam)(s)).(*layers.Host)
}

// layerSeam is a Sim seen as the raw layer surface package layers drives.
type layerSeam Sim

var _ backend.Layers = (*layerSeam)(nil)

// WithRequireStorage makes the simulator refuse to create a container
// whose document has no Container.Storage.Path, with E_INVALIDARG, as real
// HCS cannot run a process-isolated container without a mounted scratch
// layer. By default such documents are accepted, so that tests of code
// that does not deal with layers can create containers from a minimal
// document.
func WithRequireStorage() Option {
	return func(s *Sim) { s.layers.requireStorage = true }
}

// SetElevated sets whether the simulated caller is elevated, as real layer
// calls require. While it is not, every layer call (of vmcompute.dll and
// computestorage.dll) fails with ERROR_PRIVILEGE_NOT_HELD (0x80070522), as
// for a process whose token lacks the administrator privileges; the
// compute system calls are not affected. A new Sim is elevated.
func (s *Sim) SetElevated(elevated bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.layers.unelevated = !elevated
}

// LayerSnapshot describes a layer that is activated or prepared (mounted)
// as the simulator sees it, for tests, as SystemSnapshot does a compute
// system.
type LayerSnapshot struct {
	// Path is the layer folder (for a writable layer mounted through
	// HcsAttachLayerStorageFilter, the path the filter is attached to).
	Path string
	// State is LayerActivated or LayerPrepared.
	State LayerState
	// Activations is the number of ActivateLayer calls not yet undone by a
	// DeactivateLayer.
	Activations int
	// Parents are the parent layers a prepared layer was prepared with,
	// nearest first; VolumePath is its volume. Empty unless prepared.
	Parents    []string
	VolumePath string
}

// MountedLayers returns the layers that are activated or prepared, sorted
// by path. Tests check that it is empty once their code has released what
// it mounted.
func (s *Sim) MountedLayers() []LayerSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	infos := []LayerSnapshot{}
	for _, r := range s.layers.records {
		infos = append(infos, LayerSnapshot{
			Path:        r.Path,
			State:       r.State,
			Activations: r.Activations,
			Parents:     slices.Clone(r.Parents),
			VolumePath:  r.VolumePath,
		})
	}
	slices.SortFunc(infos, func(a, b LayerSnapshot) int { return cmp.Compare(a.Path, b.Path) })
	return infos
}

// PeakPrepares returns the largest number of PrepareLayer calls that ran at
// the same time. PrepareLayer takes no time unless a delay is injected
// (DelayNext with CallPrepareLayer); with delays, a caller that serialises
// its PrepareLayer calls, as runtimes do to avoid a Windows bug, keeps it
// at 1.
func (s *Sim) PeakPrepares() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.layers.peakPrepares
}

// layerCall makes the checks every layer call makes — the service is
// reachable, the caller elevated, no failure injected — waits out an
// injected delay (DelayNext), and then runs fn with s.mu held. A
// PrepareLayer call counts as running from its start to its end, delay
// included.
func (s *Sim) layerCall(call Call, fn func() error) error {
	s.mu.Lock()
	if err := s.layerGate(); err != nil {
		s.mu.Unlock()
		return err
	}
	f, delay, delayed, _ := s.takeFaults(call)
	prepare := call == CallPrepareLayer
	if prepare {
		s.layers.preparing++
		s.layers.peakPrepares = max(s.layers.peakPrepares, s.layers.preparing)
	}
	closed := s.layers.closed
	s.mu.Unlock()
	if delayed && delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-closed:
			t.Stop()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prepare {
		s.layers.preparing--
	}
	if err := s.layerGate(); err != nil {
		return err
	}
	if f != nil {
		return f.hr
	}
	return fn()
}

// layerGate returns the error of every layer call while the service is
// not reachable or the caller not elevated. s.mu is held.
func (s *Sim) layerGate() error {
	if err := s.available(); err != nil {
		return err
	}
	if s.layers.unelevated {
		return hcs.ERROR_PRIVILEGE_NOT_HELD
	}
	return nil
}
