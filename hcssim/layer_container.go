package hcssim

import (
	"encoding/json"
	"strings"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
)

// Compute system documents checked against the layer store.

// storageDocument is what the simulator reads of a configuration to check
// it against the layer store.
type storageDocument struct {
	Container *struct {
		Storage *struct {
			Layers []struct {
				ID   string `json:"Id"`
				Path string
			}
			Path string
		}
	}
	VirtualMachine *struct {
		Devices *struct {
			Scsi map[string]struct {
				Attachments map[string]struct {
					Path string
				}
			}
		}
	}
}

// checkStorage checks the storage of a configuration against the layer
// store and records, for a container, the volume it runs on. s.mu is held.
//
// A container's Storage.Path must be the volume of a prepared scratch
// layer, and Storage.Layers the parents that layer was prepared with, in
// the same order, each with its id. Windows reports
// ERROR_NOT_A_REPARSE_POINT for a directory given instead of a volume
// (ZLayer saw it). A virtual machine may not attach over SCSI the
// sandbox.vhdx of a scratch layer activated on the host: Windows reports
// ERROR_SHARING_VIOLATION (ZLayer saw it too).
func (s *Sim) checkStorage(sys *system, configuration string) (outcome, bool) {
	var doc storageDocument
	if err := json.Unmarshal([]byte(configuration), &doc); err != nil {
		return fail(hcs.HCS_E_INVALID_JSON, "invalid configuration: %v", err), false
	}
	if vm := doc.VirtualMachine; vm != nil && vm.Devices != nil {
		for _, ctrl := range vm.Devices.Scsi {
			for _, att := range ctrl.Attachments {
				if !strings.EqualFold(backend.LayerName(att.Path), sandboxFile) {
					continue
				}
				dir := strings.TrimRight(att.Path, `\/`)
				dir = dir[:max(strings.LastIndexAny(dir, `\/`), 0)]
				if s.layers.record(dir) != nil {
					return fail(hcs.ERROR_SHARING_VIOLATION,
						"SCSI attachment %s: the scratch layer is activated on the host", att.Path), false
				}
			}
		}
	}
	if doc.Container == nil {
		return outcome{}, true
	}
	st := doc.Container.Storage
	if st == nil || st.Path == "" {
		if s.layers.requireStorage {
			return fail(hcs.E_INVALIDARG, "the container has no Storage.Path: it needs the volume of a mounted scratch layer"), false
		}
		return outcome{}, true
	}
	r := s.layers.byVolume(st.Path)
	switch {
	case r == nil && isDir(st.Path):
		return fail(hcs.ERROR_NOT_A_REPARSE_POINT,
			"Storage.Path %s is a directory, not a volume: give the volume path of a mounted scratch layer", st.Path), false
	case r == nil:
		return fail(hcs.ERROR_PATH_NOT_FOUND, "Storage.Path %s is not the volume of a mounted scratch layer", st.Path), false
	}
	for i, parent := range r.Parents {
		if i >= len(st.Layers) {
			return fail(hcs.E_INVALIDARG, "Storage.Layers has %d layers, the scratch layer was prepared with %d",
				len(st.Layers), len(r.Parents)), false
		}
		l := st.Layers[i]
		if layerKey(l.Path) != layerKey(parent) {
			return fail(hcs.E_INVALIDARG, "Storage.Layers[%d] is %s, the scratch layer was prepared with %s there",
				i, l.Path, parent), false
		}
		want := nameToGUID(backend.LayerName(parent))
		if id, ok := schemaGUID(l.ID); !ok || id != want {
			return fail(hcs.E_INVALIDARG, "Storage.Layers[%d].Id is %q, want %s for %s", i, l.ID, want, parent), false
		}
	}
	if len(st.Layers) > len(r.Parents) {
		return fail(hcs.E_INVALIDARG, "Storage.Layers has %d layers, the scratch layer was prepared with %d",
			len(st.Layers), len(r.Parents)), false
	}
	sys.StoragePath = r.VolumePath
	return outcome{}, true
}

// volumeInUse reports whether a compute system that has not stopped runs
// on volume. s.mu is held.
func (s *Sim) volumeInUse(volume string) bool {
	for _, sys := range s.systems {
		if sys.State != stateStopped && sys.StoragePath != "" && sameVolume(sys.StoragePath, volume) {
			return true
		}
	}
	return false
}
