//go:build windows

package computecore

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/winstr"
)

// genericAll is the access HcsOpenComputeSystem and HcsOpenProcess expect.
const genericAll = windows.GENERIC_ALL

// Backend returns the process-wide backend over computecore.dll. It loads
// the DLL from System32 and looks up every entry point of Windows 10 1809 on
// the first call; if that fails, it returns an error wrapping
// errors.ErrUnsupported, now and on every later call.
func Backend() (backend.Backend, error) {
	return loadBackend()
}

var loadBackend = sync.OnceValues(func() (backend.Backend, error) {
	if err := modcomputecore.Load(); err != nil {
		return nil, fmt.Errorf("computecore: %v: %w", err, errors.ErrUnsupported)
	}
	for _, p := range requiredProcs {
		if err := p.Find(); err != nil {
			return nil, fmt.Errorf("computecore: %v: %w", err, errors.ErrUnsupported)
		}
	}
	return &ffi{}, nil
})

// ffi implements backend.Backend with computecore.dll. It holds no state of
// its own beyond the callback registry: handles belong to the caller.
type ffi struct{}

var _ backend.Backend = (*ffi)(nil)

// optional turns the lookup failure of an optional entry point, which the
// generated code returns as a *windows.DLLError, into an error wrapping
// errors.ErrUnsupported. Errors from the call itself are returned as they are.
func optional(err error) error {
	var dllErr *windows.DLLError
	if errors.As(err, &dllErr) {
		return fmt.Errorf("computecore: %s: %w", dllErr.Msg, errors.ErrUnsupported)
	}
	return err
}

// Init installs the dispatchers of the two native callbacks.
func (*ffi) Init(cb backend.Callbacks) {
	callbacks.Store(&cb)
	trampolines() // create them now rather than inside the first call
}

func (*ffi) CreateOperation(ctx uintptr) (backend.Handle, error) {
	completion, _ := trampolines()
	op := hcsCreateOperation(ctx, completion)
	if op == 0 {
		// HcsCreateOperation reports no reason; it fails only when out of memory.
		return 0, fmt.Errorf("computecore: HcsCreateOperation failed: %w", windows.ERROR_NOT_ENOUGH_MEMORY)
	}
	registerOperation(op, ctx)
	return op, nil
}

func (*ffi) CloseOperation(op backend.Handle) {
	unregisterOperation(op)
	hcsCloseOperation(op)
}

func (*ffi) CancelOperation(op backend.Handle) error {
	return hcsCancelOperation(op)
}

func (*ffi) GetOperationResult(op backend.Handle) (string, error) {
	var doc *uint16
	err := hcsGetOperationResult(op, &doc)
	return winstr.Take(doc), err
}

func (*ffi) GetOperationResultAndProcessInfo(op backend.Handle) (backend.ProcessInfo, string, error) {
	var pi processInformation
	var doc *uint16
	err := hcsGetOperationResultAndProcessInfo(op, &pi, &doc)
	result := winstr.Take(doc)
	if err != nil {
		closeStdio(&pi)
		return backend.ProcessInfo{}, result, err
	}
	return processInfo(&pi), result, nil
}

func (*ffi) WaitForOperationResult(op backend.Handle, timeoutMs uint32) (string, error) {
	var doc *uint16
	err := hcsWaitForOperationResult(op, timeoutMs, &doc)
	return winstr.Take(doc), err
}

func (*ffi) CreateComputeSystem(id, configuration string, op backend.Handle) (backend.Handle, error) {
	id16, err := winstr.Ptr(id)
	if err != nil {
		return 0, err
	}
	config16, err := winstr.Ptr(configuration)
	if err != nil {
		return 0, err
	}
	var system handle
	err = hcsCreateComputeSystem(id16, config16, op, nil, &system)
	return system, err
}

func (*ffi) OpenComputeSystem(id string) (backend.Handle, error) {
	id16, err := winstr.Ptr(id)
	if err != nil {
		return 0, err
	}
	var system handle
	err = hcsOpenComputeSystem(id16, genericAll, &system)
	return system, err
}

func (*ffi) CloseComputeSystem(system backend.Handle) {
	unregisterCallback(systemHandle, system)
	hcsCloseComputeSystem(system)
}

// systemCall is the shape of the asynchronous calls on a system or process
// that take one optional string.
type systemCall func(h, op handle, s *uint16) error

func callWithString(fn systemCall, h, op backend.Handle, s string) error {
	s16, err := winstr.Ptr(s)
	if err != nil {
		return err
	}
	return fn(h, op, s16)
}

func (*ffi) StartComputeSystem(system, op backend.Handle, options string) error {
	return callWithString(hcsStartComputeSystem, system, op, options)
}

func (*ffi) ShutDownComputeSystem(system, op backend.Handle, options string) error {
	return callWithString(hcsShutDownComputeSystem, system, op, options)
}

func (*ffi) TerminateComputeSystem(system, op backend.Handle, options string) error {
	return callWithString(hcsTerminateComputeSystem, system, op, options)
}

func (*ffi) CrashComputeSystem(system, op backend.Handle, options string) error {
	return callWithString(hcsCrashComputeSystem, system, op, options)
}

func (*ffi) PauseComputeSystem(system, op backend.Handle, options string) error {
	return callWithString(hcsPauseComputeSystem, system, op, options)
}

func (*ffi) ResumeComputeSystem(system, op backend.Handle, options string) error {
	return callWithString(hcsResumeComputeSystem, system, op, options)
}

func (*ffi) SaveComputeSystem(system, op backend.Handle, options string) error {
	return callWithString(hcsSaveComputeSystem, system, op, options)
}

func (*ffi) GetComputeSystemProperties(system, op backend.Handle, query string) error {
	return callWithString(hcsGetComputeSystemProperties, system, op, query)
}

func (*ffi) ModifyComputeSystem(system, op backend.Handle, configuration string) error {
	config16, err := winstr.Ptr(configuration)
	if err != nil {
		return err
	}
	return hcsModifyComputeSystem(system, op, config16, 0)
}

func (*ffi) SetComputeSystemCallback(system backend.Handle, options uint32, ctx uintptr) error {
	_, event := trampolines()
	return registerCallback(systemHandle, system, ctx, func() error {
		return hcsSetComputeSystemCallback(system, options, ctx, event)
	})
}

func (*ffi) EnumerateComputeSystems(query string, op backend.Handle) error {
	query16, err := winstr.Ptr(query)
	if err != nil {
		return err
	}
	return hcsEnumerateComputeSystems(query16, op)
}

func (*ffi) CreateProcess(system backend.Handle, parameters string, op backend.Handle) (backend.Handle, error) {
	params16, err := winstr.Ptr(parameters)
	if err != nil {
		return 0, err
	}
	var process handle
	err = hcsCreateProcess(system, params16, op, nil, &process)
	return process, err
}

func (*ffi) OpenProcess(system backend.Handle, pid uint32) (backend.Handle, error) {
	var process handle
	err := hcsOpenProcess(system, pid, genericAll, &process)
	return process, err
}

func (*ffi) CloseProcess(process backend.Handle) {
	unregisterCallback(processHandle, process)
	hcsCloseProcess(process)
}

func (*ffi) TerminateProcess(process, op backend.Handle, options string) error {
	return callWithString(hcsTerminateProcess, process, op, options)
}

func (*ffi) SignalProcess(process, op backend.Handle, options string) error {
	return callWithString(hcsSignalProcess, process, op, options)
}

func (*ffi) GetProcessInfo(process, op backend.Handle) error {
	return hcsGetProcessInfo(process, op)
}

func (*ffi) GetProcessProperties(process, op backend.Handle, query string) error {
	return callWithString(hcsGetProcessProperties, process, op, query)
}

func (*ffi) ModifyProcess(process, op backend.Handle, settings string) error {
	return callWithString(hcsModifyProcess, process, op, settings)
}

func (*ffi) SetProcessCallback(process backend.Handle, options uint32, ctx uintptr) error {
	_, event := trampolines()
	return registerCallback(processHandle, process, ctx, func() error {
		return hcsSetProcessCallback(process, options, ctx, event)
	})
}

func (*ffi) GetServiceProperties(query string) (string, error) {
	query16, err := winstr.Ptr(query)
	if err != nil {
		return "", err
	}
	var doc *uint16
	err = hcsGetServiceProperties(query16, &doc)
	return winstr.Take(doc), err
}

func (*ffi) ModifyServiceSettings(settings string) (string, error) {
	settings16, err := winstr.Ptr(settings)
	if err != nil {
		return "", err
	}
	var doc *uint16
	err = hcsModifyServiceSettings(settings16, &doc)
	return winstr.Take(doc), err
}

// callOne calls fn with s converted to UTF-16, classifying a missing
// optional entry point.
func callOne(fn func(*uint16) error, s string) error {
	s16, err := winstr.Ptr(s)
	if err != nil {
		return err
	}
	return optional(fn(s16))
}

func (*ffi) SubmitWerReport(settings string) error {
	return callOne(hcsSubmitWerReport, settings)
}

func (*ffi) CreateEmptyGuestStateFile(path string) error {
	return callOne(hcsCreateEmptyGuestStateFile, path)
}

func (*ffi) CreateEmptyRuntimeStateFile(path string) error {
	return callOne(hcsCreateEmptyRuntimeStateFile, path)
}

func (*ffi) GrantVMAccess(vmID, path string) error {
	return callTwo(hcsGrantVMAccess, vmID, path)
}

func (*ffi) RevokeVMAccess(vmID, path string) error {
	return callTwo(hcsRevokeVMAccess, vmID, path)
}

func callTwo(fn func(a, b *uint16) error, a, b string) error {
	a16, err := winstr.Ptr(a)
	if err != nil {
		return err
	}
	b16, err := winstr.Ptr(b)
	if err != nil {
		return err
	}
	return fn(a16, b16)
}

func (*ffi) GrantVMGroupAccess(path string) error {
	return callOne(hcsGrantVMGroupAccess, path)
}

func (*ffi) RevokeVMGroupAccess(path string) error {
	return callOne(hcsRevokeVMGroupAccess, path)
}

func (*ffi) GetProcessorCompatibilityFromSavedState(path string) (string, error) {
	path16, err := winstr.Ptr(path)
	if err != nil {
		return "", err
	}
	var doc *uint16
	err = hcsGetProcessorCompatibilityFromSavedState(path16, &doc)
	return winstr.Take(doc), optional(err)
}
