package hcssim

import (
	"github.com/gohcs/hcs/internal/winetest"
	"os"
	"path/filepath"
	"testing"

	"github.com/gohcs/hcs"
)

func TestServiceProperties(t *testing.T) {
	h := newHarness(t)
	const basic = `{"Properties":[{"SupportedSchemaVersions":[{"Major":2,"Minor":0},{"Major":2,"Minor":1},` +
		`{"Major":2,"Minor":2},{"Major":2,"Minor":3},{"Major":2,"Minor":4},{"Major":2,"Minor":5},{"Major":2,"Minor":6}]}]}`
	for _, query := range []string{"", `{"PropertyTypes":["Basic"]}`} {
		if doc, err := h.b.GetServiceProperties(query); err != nil || doc != basic {
			t.Errorf("GetServiceProperties(%q) = %s, %v", query, doc, err)
		}
	}
	doc, err := h.b.GetServiceProperties(`{"PropertyTypes":["CpuGroup"]}`)
	wantHR(t, err, hcs.E_INVALIDARG)
	wantResultError(t, doc, hcs.E_INVALIDARG, "CpuGroup")
	doc, err = h.b.GetServiceProperties(`{"PropertyTypes":`)
	wantHR(t, err, hcs.HCS_E_INVALID_JSON)
	wantResultError(t, doc, hcs.HCS_E_INVALID_JSON, string(CallGetServiceProperties))
}

func TestServiceSettings(t *testing.T) {
	h := newHarness(t)
	if doc, err := h.b.ModifyServiceSettings(`{"PropertyType":"CpuGroup","Settings":{}}`); err != nil || doc != "" {
		t.Errorf("ModifyServiceSettings = %q, %v", doc, err)
	}
	_, err := h.b.ModifyServiceSettings("")
	wantHR(t, err, hcs.E_INVALIDARG)
	doc, err := h.b.ModifyServiceSettings(`[1]`)
	wantHR(t, err, hcs.HCS_E_INVALID_JSON)
	wantResultError(t, doc, hcs.HCS_E_INVALID_JSON, string(CallModifyServiceSettings))

	if err := h.b.SubmitWerReport(`{"SystemId":"s"}`); err != nil {
		t.Error(err)
	}
	wantHR(t, h.b.SubmitWerReport(""), hcs.E_INVALIDARG)
	wantHR(t, h.b.SubmitWerReport(`{`), hcs.HCS_E_INVALID_JSON)
	h.s.FailNext(CallSubmitWerReport, hcs.E_FAIL, "")
	wantHR(t, h.b.SubmitWerReport(`{}`), hcs.E_FAIL)
}

func TestStateFilesAndAccess(t *testing.T) {
	h := newHarness(t)
	const guest, runtime = `C:\vm\guest.vmgs`, `C:\vm\runtime.vmrs`
	wantHR(t, h.b.GrantVMAccess("vm", guest), hcs.ERROR_FILE_NOT_FOUND)
	if err := h.b.CreateEmptyGuestStateFile(guest); err != nil {
		t.Fatal(err)
	}
	wantHR(t, h.b.CreateEmptyGuestStateFile(guest), hcs.ERROR_FILE_EXISTS)
	if err := h.b.CreateEmptyRuntimeStateFile(runtime); err != nil {
		t.Fatal(err)
	}
	wantHR(t, h.b.CreateEmptyRuntimeStateFile(guest), hcs.ERROR_FILE_EXISTS)
	wantHR(t, h.b.CreateEmptyGuestStateFile(""), hcs.E_INVALIDARG)
	wantHR(t, h.b.CreateEmptyRuntimeStateFile(""), hcs.E_INVALIDARG)

	for _, path := range []string{guest, runtime} {
		if err := h.b.GrantVMAccess("vm", path); err != nil {
			t.Error(err)
		}
		if err := h.b.RevokeVMAccess("vm", path); err != nil {
			t.Error(err)
		}
		if err := h.b.GrantVMGroupAccess(path); err != nil {
			t.Error(err)
		}
		if err := h.b.RevokeVMGroupAccess(path); err != nil {
			t.Error(err)
		}
	}
	wantHR(t, h.b.GrantVMAccess("", guest), hcs.E_INVALIDARG)
	wantHR(t, h.b.RevokeVMAccess("vm", ""), hcs.E_INVALIDARG)
	wantHR(t, h.b.GrantVMGroupAccess(""), hcs.E_INVALIDARG)
	wantHR(t, h.b.RevokeVMGroupAccess(`C:\nope`), hcs.ERROR_FILE_NOT_FOUND)
	if doc, err := h.b.GetProcessorCompatibilityFromSavedState(runtime); err != nil || doc != "{}" {
		t.Errorf("GetProcessorCompatibilityFromSavedState = %q, %v", doc, err)
	}
	_, err := h.b.GetProcessorCompatibilityFromSavedState("")
	wantHR(t, err, hcs.E_INVALIDARG)

	// A file of the real file system counts, and is never overwritten.
	real := filepath.Join(winetest.TempDir(t), "disk.vhdx")
	if err := os.WriteFile(real, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.b.GrantVMAccess("vm", real); err != nil {
		t.Error(err)
	}
	wantHR(t, h.b.CreateEmptyGuestStateFile(real), hcs.ERROR_FILE_EXISTS)

	h.s.Disconnect()
	wantHR(t, h.b.GrantVMGroupAccess(guest), hcs.HCS_E_SERVICE_DISCONNECT)
	_, err = h.b.ModifyServiceSettings(`{}`)
	wantHR(t, err, hcs.HCS_E_SERVICE_DISCONNECT)
	h.s.Reconnect()
	h.s.RejectNext(CallCreateEmptyGuestStateFile, hcs.E_ACCESSDENIED)
	wantHR(t, h.b.CreateEmptyGuestStateFile(`C:\x`), hcs.E_ACCESSDENIED)
}
