//go:build windows

package mockctl

import (
	"encoding/json"
	"fmt"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The test-only exports of the mock vmcompute.dll
// (internal/winetest/layermock), which holds the layer state of both mock
// layer DLLs: the mock computestorage.dll forwards to it. Like the
// computecore controls, these panic when the export is missing: tests check
// [LayersWhy] first.
var (
	layerDLL = windows.NewLazySystemDLL("vmcompute.dll")

	procLayersReset              = layerDLL.NewProc("MockLayersReset")
	procLayersFailNext           = layerDLL.NewProc("MockLayersFailNext")
	procLayersDelayNext          = layerDLL.NewProc("MockLayersDelayNext")
	procLayersRelease            = layerDLL.NewProc("MockLayersRelease")
	procLayersSetElevated        = layerDLL.NewProc("MockLayersSetElevated")
	procLayersCalls              = layerDLL.NewProc("MockLayersCalls")
	procLayersPeak               = layerDLL.NewProc("MockLayersPeak")
	procLayersActivated          = layerDLL.NewProc("MockLayersActivated")
	procLayersPrepared           = layerDLL.NewProc("MockLayersPrepared")
	procLayersOutstandingStrings = layerDLL.NewProc("MockLayersOutstandingStrings")
	procLayersLiveVhds           = layerDLL.NewProc("MockLayersLiveVhds")
	procLayersLastError          = layerDLL.NewProc("MockLayersLastError")
	procLayersState              = layerDLL.NewProc("MockLayersState")
	procVhdOpen                  = layerDLL.NewProc("MockVhdOpen")
	procVhdAttach                = layerDLL.NewProc("MockVhdAttach")
	procVhdDetach                = layerDLL.NewProc("MockVhdDetach")
	procVhdClose                 = layerDLL.NewProc("MockVhdClose")
)

// LayersWhy returns why the mock vmcompute.dll is not available, for
// t.Skip, or "" when it is.
func LayersWhy() string {
	if err := layerDLL.Load(); err != nil {
		return "vmcompute.dll cannot be loaded: " + err.Error()
	}
	if err := procLayersReset.Find(); err != nil {
		return "vmcompute.dll is not the mock (no MockLayersReset export): " + err.Error()
	}
	return ""
}

// LayersReset forgets every layer state, VHD handle, fault and counter of
// the mock layer DLLs. Layer folders on disk stay.
func LayersReset() { call(procLayersReset) }

// LayersFailNext makes the next n calls of the layer entry point fn fail
// with the HRESULT hr. fn names an export: of vmcompute.dll ("PrepareLayer")
// or of computestorage.dll ("HcsImportLayer"). Faults queue up; it panics
// when the mock cannot queue one more.
func LayersFailNext(fn string, hr uint32, n int) {
	if callString(procLayersFailNext, fn, uintptr(hr), uintptr(uint32(n))) == 0 {
		panic(fmt.Sprintf("mockctl: the mock vmcompute.dll did not queue %d failures of %s", n, fn))
	}
}

// LayersDelayNext makes the next call of the layer entry point fn wait d
// (millisecond resolution) before it starts, without holding the mock's
// lock: delayed calls overlap as slow ones would. Delays queue up; it panics
// when the mock cannot queue one more.
func LayersDelayNext(fn string, d time.Duration) {
	if callString(procLayersDelayNext, fn, uintptr(uint32(d/time.Millisecond))) == 0 {
		panic(fmt.Sprintf("mockctl: the mock vmcompute.dll did not queue a delay of %s", fn))
	}
}

// LayersHoldNext makes the next call of the layer entry point fn wait,
// before it starts, until LayersRelease (or LayersReset): a call a test
// knows to be in progress. Holds and delays queue up together.
func LayersHoldNext(fn string) {
	if callString(procLayersDelayNext, fn, uintptr(windows.INFINITE)) == 0 {
		panic(fmt.Sprintf("mockctl: the mock vmcompute.dll did not queue a hold of %s", fn))
	}
}

// LayersRelease lets every held call go on.
func LayersRelease() { call(procLayersRelease) }

// LayersSetElevated sets whether the caller counts as elevated. While it
// does not, every layer call fails with ERROR_PRIVILEGE_NOT_HELD, as for a
// token without elevation. LayersReset makes it elevated again.
func LayersSetElevated(elevated bool) {
	var b uintptr
	if elevated {
		b = 1
	}
	call(procLayersSetElevated, b)
}

// LayersCalls returns the number of calls of the layer entry point fn
// since the mock was loaded or reset, failed calls included.
func LayersCalls(fn string) int { return int(uint32(callString(procLayersCalls, fn))) }

// LayersPeakPrepares returns the most PrepareLayer calls that ran at the
// same time since the mock was loaded or reset. PrepareLayer takes no time
// unless a delay is injected (LayersDelayNext); with delays, a caller that
// serialises its PrepareLayer calls keeps it at 1.
func LayersPeakPrepares() int { return int(uint32(callString(procLayersPeak, "PrepareLayer"))) }

// LayersMounted returns the number of layers activated (ActivateLayer, or
// an attached storage filter; prepared layers are activated too), and of
// layers prepared (PrepareLayer, or an attached storage filter).
func LayersMounted() (activated, prepared int) {
	return int(uint32(call(procLayersActivated))), int(uint32(call(procLayersPrepared)))
}

// LayersOutstandingStrings returns the number of result strings the mock
// layer DLLs handed out (GetBaseImages, HcsGetLayerVhdMountPath) that have
// not been freed with LocalFree.
func LayersOutstandingStrings() int { return int(uint32(call(procLayersOutstandingStrings))) }

// LayersLiveVHDs returns the number of open VHD handles of the mock.
func LayersLiveVHDs() int { return int(uint32(call(procLayersLiveVhds))) }

// LayersLastError returns why the last failing layer call failed, as the
// mock explains it, or "". It is global: read it right after the call.
func LayersLastError() string { return readText(procLayersLastError) }

// LayerState is the mock's view of one layer.
type LayerState struct {
	Path        string
	State       string // Inactive, Activated or Prepared
	Activations int
	Filter      bool   // prepared by HcsAttachLayerStorageFilter
	Writable    bool   // initialized by HcsInitialize*WritableLayer
	Size        uint64 // the last ExpandSandboxSize
	Volume      string // the path a container uses as Storage.Path, while prepared
	Parents     []LayerParent
}

// LayerParent is a parent layer as the mock received it.
type LayerParent struct {
	ID    string `json:"Id"`
	Flags uint32
	Path  string
}

// Layer returns the mock's state of the layer at path. It panics when the
// mock's answer is not a layer state (path is not absolute).
func Layer(path string) LayerState {
	s16, err := windows.UTF16PtrFromString(path)
	if err != nil {
		panic("mockctl: " + err.Error())
	}
	// SAFETY: s16 is Go heap memory kept reachable by the KeepAlive below
	// until the call has returned; the mock copies the path and keeps no
	// pointer to it.
	text := readText(procLayersState, uintptr(unsafe.Pointer(s16)))
	runtime.KeepAlive(s16)
	var st LayerState
	if err := json.Unmarshal([]byte(text), &st); err != nil || st.Path == "" {
		panic(fmt.Sprintf("mockctl: the mock's state of %q is %q (%v)", path, text, err))
	}
	return st
}

// readText calls an export (args..., buf, cap) that writes UTF-8 text and
// returns the size it needs, NUL included.
func readText(p *windows.LazyProc, args ...uintptr) string {
	mustFind(p)
	buf := make([]byte, 256)
	for {
		// SAFETY: buf is Go heap memory kept reachable by the KeepAlive
		// below until the call has returned; the mock writes at most
		// len(buf) bytes into it and keeps no pointer to it.
		r, _, _ := p.Call(append(args, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))...)
		runtime.KeepAlive(buf)
		n := int(uint32(r))
		if n <= len(buf) {
			if n == 0 {
				return ""
			}
			return string(buf[:n-1])
		}
		buf = make([]byte, n)
	}
}

// hresult turns an HRESULT returned by a mock export into an error, as
// mkwinsyscall's `hr error` does.
func hresult(r uintptr) error {
	if int32(r) >= 0 {
		return nil
	}
	if r&0x1fff0000 == 0x00070000 {
		r &= 0xffff
	}
	return syscall.Errno(r)
}

// OpenVHD opens a virtual disk of the mock, the stand-in for virtdisk.dll's
// OpenVirtualDisk (Wine's is a stub), and returns its handle for the VHD
// calls of computestorage.dll. With create, it first writes a fake VHDX
// file at path, which must not exist.
func OpenVHD(path string, create bool) (uintptr, error) {
	s16, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return 0, err
	}
	var b uintptr
	if create {
		b = 1
	}
	mustFind(procVhdOpen)
	var h uintptr
	// SAFETY: s16 and h are Go memory kept alive by the call's argument
	// list; the mock copies the path, writes h and keeps no pointer to
	// either.
	r, _, _ := procVhdOpen.Call(uintptr(unsafe.Pointer(s16)), b, uintptr(unsafe.Pointer(&h)))
	return h, hresult(r)
}

// AttachVHD attaches an open virtual disk: it gets a volume, which
// HcsGetLayerVhdMountPath returns once the disk is formatted.
func AttachVHD(vhd uintptr) error {
	mustFind(procVhdAttach)
	r, _, _ := procVhdAttach.Call(vhd)
	return hresult(r)
}

// DetachVHD detaches a virtual disk; it fails with ERROR_BUSY while a
// writable layer on its volume is attached.
func DetachVHD(vhd uintptr) error {
	mustFind(procVhdDetach)
	r, _, _ := procVhdDetach.Call(vhd)
	return hresult(r)
}

// CloseVHD closes a virtual disk handle.
func CloseVHD(vhd uintptr) error {
	mustFind(procVhdClose)
	r, _, _ := procVhdClose.Call(vhd)
	return hresult(r)
}
