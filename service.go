package hcs

import (
	"context"
	"encoding/json"
	"time"
)

// The calls in this file are synchronous in computecore: HCS offers no way
// to interrupt them, so their context is checked before the call only (as
// the package documentation says).

// ServiceProperties queries properties of the compute service itself, such
// as the schema versions it supports. query is a *schema.ServicePropertyQuery,
// JSON text, or nil for the basic properties. The result is HCS's document.
func (h *Host) ServiceProperties(ctx context.Context, query any) (json.RawMessage, error) {
	doc, err := h.serviceCall(ctx, "service properties", query, func(q string) (string, error) {
		return h.b.GetServiceProperties(q)
	})
	return rawDocument(doc), err
}

// ModifyServiceSettings changes settings of the compute service. settings
// is a *schema.ModificationRequest or JSON text. The result is HCS's
// document, often empty.
func (h *Host) ModifyServiceSettings(ctx context.Context, settings any) (json.RawMessage, error) {
	doc, err := h.serviceCall(ctx, "modify service settings", settings, func(s string) (string, error) {
		return h.b.ModifyServiceSettings(s)
	})
	return rawDocument(doc), err
}

// SubmitWERReport submits a Windows Error Reporting report for a compute
// system. settings is the report document or JSON text.
func (h *Host) SubmitWERReport(ctx context.Context, settings any) error {
	_, err := h.serviceCall(ctx, "submit WER report", settings, func(doc string) (string, error) {
		return "", h.b.SubmitWerReport(doc)
	})
	return err
}

// GrantVMAccess grants the virtual machine with identifier vmID access to
// the file at path (a VHD, a saved state file, ...).
func (h *Host) GrantVMAccess(ctx context.Context, vmID, path string) error {
	return h.fileCall(ctx, "grant VM access", vmID, func() error { return h.b.GrantVMAccess(vmID, path) })
}

// RevokeVMAccess revokes access granted by GrantVMAccess.
func (h *Host) RevokeVMAccess(ctx context.Context, vmID, path string) error {
	return h.fileCall(ctx, "revoke VM access", vmID, func() error { return h.b.RevokeVMAccess(vmID, path) })
}

// GrantVMGroupAccess grants every virtual machine access to the file at
// path. Hosts before Windows Server 2022 lack it: the error matches
// ErrNotSupported.
func (h *Host) GrantVMGroupAccess(ctx context.Context, path string) error {
	return h.fileCall(ctx, "grant VM group access", "", func() error { return h.b.GrantVMGroupAccess(path) })
}

// RevokeVMGroupAccess revokes access granted by GrantVMGroupAccess.
func (h *Host) RevokeVMGroupAccess(ctx context.Context, path string) error {
	return h.fileCall(ctx, "revoke VM group access", "", func() error { return h.b.RevokeVMGroupAccess(path) })
}

// CreateEmptyGuestStateFile creates an empty guest state (.vmgs) file at
// path for a new virtual machine.
func (h *Host) CreateEmptyGuestStateFile(ctx context.Context, path string) error {
	return h.fileCall(ctx, "create guest state file", "", func() error { return h.b.CreateEmptyGuestStateFile(path) })
}

// CreateEmptyRuntimeStateFile creates an empty runtime state (.vmrs) file
// at path for a new virtual machine.
func (h *Host) CreateEmptyRuntimeStateFile(ctx context.Context, path string) error {
	return h.fileCall(ctx, "create runtime state file", "", func() error { return h.b.CreateEmptyRuntimeStateFile(path) })
}

// ProcessorCompatibilityFromSavedState returns the processor features
// recorded in the saved runtime state file at path, as HCS's document.
func (h *Host) ProcessorCompatibilityFromSavedState(ctx context.Context, path string) (json.RawMessage, error) {
	var doc string
	err := h.fileCall(ctx, "processor compatibility", "", func() error {
		var err error
		doc, err = h.b.GetProcessorCompatibilityFromSavedState(path)
		return err
	})
	return rawDocument(doc), err
}

// serviceCall makes a synchronous call that takes a document and returns one.
func (h *Host) serviceCall(ctx context.Context, op string, in any, call func(string) (string, error)) (string, error) {
	start := time.Now()
	out, err := h.serviceCallErr(ctx, op, in, call)
	h.log(ctx, op, "", start, err)
	return out, err
}

func (h *Host) serviceCallErr(ctx context.Context, op string, in any, call func(string) (string, error)) (string, error) {
	if err := h.available(op, ""); err != nil {
		return "", err
	}
	doc, err := document(in)
	if err != nil {
		return "", &Error{Op: op, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return "", &Error{Op: op, Err: err}
	}
	out, err := call(doc)
	if err != nil {
		return "", newError(op, "", 0, backendError(err), out)
	}
	return out, nil
}

// fileCall makes a synchronous call that returns only an error.
func (h *Host) fileCall(ctx context.Context, op, id string, call func() error) error {
	start := time.Now()
	err := h.available(op, id)
	if err == nil {
		err = ctx.Err()
		if err != nil {
			err = &Error{Op: op, ID: id, Err: err}
		}
	}
	if err == nil {
		if cerr := call(); cerr != nil {
			err = newError(op, id, 0, backendError(cerr), "")
		}
	}
	h.log(ctx, op, id, start, err)
	return err
}

// rawDocument returns doc as a json.RawMessage, nil when empty.
func rawDocument(doc string) json.RawMessage {
	if doc == "" {
		return nil
	}
	return json.RawMessage(doc)
}
