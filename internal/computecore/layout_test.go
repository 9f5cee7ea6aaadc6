//go:build windows

package computecore

import (
	"testing"
	"unsafe"
)

// The layouts of computedefs.h on 64-bit Windows (amd64 and arm64 share
// them): HCS_EVENT is {DWORD; pad; PCWSTR; HANDLE}, HCS_PROCESS_INFORMATION
// is {DWORD; DWORD; HANDLE; HANDLE; HANDLE}. On arm64 this file is only
// compiled (go vet); the constants hold for both.
func TestLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("layout constants are those of 64-bit Windows")
	}
	checks := []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof(HCS_EVENT)", unsafe.Sizeof(hcsEvent{}), sizeofEvent},
		{"HCS_EVENT.Type", unsafe.Offsetof(hcsEvent{}.Type), 0},
		{"HCS_EVENT.EventData", unsafe.Offsetof(hcsEvent{}.EventData), 8},
		{"HCS_EVENT.Operation", unsafe.Offsetof(hcsEvent{}.Operation), 16},
		{"sizeof(HCS_PROCESS_INFORMATION)", unsafe.Sizeof(processInformation{}), sizeofProcessInformation},
		{"HCS_PROCESS_INFORMATION.ProcessId", unsafe.Offsetof(processInformation{}.ProcessID), 0},
		{"HCS_PROCESS_INFORMATION.Reserved", unsafe.Offsetof(processInformation{}.Reserved), 4},
		{"HCS_PROCESS_INFORMATION.StdInput", unsafe.Offsetof(processInformation{}.StdInput), 8},
		{"HCS_PROCESS_INFORMATION.StdOutput", unsafe.Offsetof(processInformation{}.StdOutput), 16},
		{"HCS_PROCESS_INFORMATION.StdError", unsafe.Offsetof(processInformation{}.StdError), 24},
		{"sizeof(HCS_CREATE_OPTIONS_1)", unsafe.Sizeof(createOptions{}), 48},
		{"HCS_CREATE_OPTIONS_1.UserToken", unsafe.Offsetof(createOptions{}.UserToken), 8},
		{"HCS_CREATE_OPTIONS_1.SecurityDescriptor", unsafe.Offsetof(createOptions{}.SecurityDescriptor), 16},
		{"HCS_CREATE_OPTIONS_1.CallbackOptions", unsafe.Offsetof(createOptions{}.CallbackOptions), 24},
		{"HCS_CREATE_OPTIONS_1.CallbackContext", unsafe.Offsetof(createOptions{}.CallbackContext), 32},
		{"HCS_CREATE_OPTIONS_1.Callback", unsafe.Offsetof(createOptions{}.Callback), 40},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}
