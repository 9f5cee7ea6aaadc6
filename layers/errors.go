package layers

import (
	"errors"
	"strings"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
)

// Error is the error the methods of Host and Mount return for a failed
// call.
//
// Its message names the operation, the layer folder and, when the layer
// service failed, the entry point that did, then the cause, as in
//
//	layers: mount C:\scratch\web: PrepareLayer: ERROR_NOT_READY (0x80070015): The device is not ready
//
// The cause is an hcs.HRESULT for a failure of the layer service, so that
// errors.Is matches the sentinels of package hcs (hcs.ErrNotFound,
// hcs.ErrInvalidState, hcs.ErrAccessDenied, ...) and errors.As recovers the
// code; a context error when the context ended first; or an error saying
// what is wrong with the arguments, matching hcs.ErrInvalidArgument.
type Error struct {
	// Op is the operation: "mount", "release", "unmount", "create
	// scratch", "destroy", "import", "layer id", ...
	Op string
	// Path is the layer folder the operation acts on.
	Path string
	// Call is the vmcompute.dll entry point that failed, such as
	// "PrepareLayer"; "" when the failure is not one of the layer service.
	Call string
	// Err is the cause. Never nil in errors made by this package.
	Err error
}

// Error returns the message described on the type. A process that is not
// elevated gets a message saying that the layer calls need it.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("layers: ")
	b.WriteString(e.Op)
	if e.Path != "" {
		b.WriteString(" ")
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	if e.Call != "" {
		b.WriteString(e.Call)
		b.WriteString(": ")
	}
	if e.Err == nil {
		b.WriteString("unknown error")
		return b.String()
	}
	b.WriteString(e.Err.Error())
	if errors.Is(e.Err, hcs.ErrAccessDenied) {
		b.WriteString(" (the layer calls need an elevated process: run as administrator)")
	}
	return b.String()
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// fail returns the error of op on path when call failed with err, as the
// backend returned it.
func fail(op, path, call string, err error) *Error {
	return &Error{Op: op, Path: path, Call: call, Err: backend.ClassifyError(err)}
}

// wrap returns err as an *Error of op on path: unchanged when it is one
// already, as the errors of the work of a call are.
func wrap(op, path string, err error) error {
	var e *Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	return &Error{Op: op, Path: path, Err: err}
}

// invalid returns the error of op on path for arguments that are wrong,
// as msg says.
func invalid(op, path, msg string) *Error {
	return &Error{Op: op, Path: path, Err: &argumentError{msg}}
}

// argumentError says what is wrong with the arguments of a call.
type argumentError struct{ msg string }

func (e *argumentError) Error() string        { return e.msg }
func (e *argumentError) Is(target error) bool { return target == hcs.ErrInvalidArgument }
