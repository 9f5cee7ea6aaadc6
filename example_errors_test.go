package hcs_test

import (
	"errors"
	"fmt"

	"github.com/gohcs/hcs"
)

// A caller branches on the class of an error with errors.Is, and gets the
// exact code, or HCS's details, with errors.As.
func ExampleError() {
	// An error as System.Start returns it when the system is already running.
	var err error = &hcs.Error{
		Op:  "start",
		ID:  "web1",
		Err: hcs.HCS_E_INVALID_STATE,
	}
	err = fmt.Errorf("deploy: %w", err)

	switch {
	case errors.Is(err, hcs.ErrInvalidState):
		fmt.Println("already running; nothing to do")
	case errors.Is(err, hcs.ErrImageMismatch):
		fmt.Println("retry with Hyper-V isolation")
	case errors.Is(err, hcs.ErrNotFound):
		fmt.Println("create it first")
	}

	var hr hcs.HRESULT
	if errors.As(err, &hr) {
		fmt.Println(hr.Name(), uint32(hr) == 0x80370105)
	}
	var e *hcs.Error
	if errors.As(err, &e) {
		fmt.Println(e.Op, e.ID)
	}
	fmt.Println(err)
	// Output:
	// already running; nothing to do
	// HCS_E_INVALID_STATE true
	// start web1
	// deploy: hcs: start "web1": HCS_E_INVALID_STATE (0x80370105): The requested virtual machine or container operation is not valid in the current state
}

// ParseResultError reads the result document HCS returns with a failure,
// whatever its shape; the legacy unsigned form of Error is accepted.
func ExampleParseResultError() {
	r := hcs.ParseResultError([]byte(`{"Error":2151088398,"ErrorMessage":"No such system.","ErrorEvents":[{"Message":"lookup failed","EventId":11}]}`))
	fmt.Println(r.Error.String())
	fmt.Println(r.ErrorMessage)
	fmt.Println(*r.ErrorEvents[0].EventID, r.ErrorEvents[0].Message)

	// A truncated document keeps what could be read, and the raw text.
	r = hcs.ParseResultError([]byte(`{"Error":-2143878898,"ErrorMess`))
	fmt.Println(r.Error.String(), r.ErrorMessage == "")
	fmt.Println(string(r.Raw))
	// Output:
	// HCS_E_SYSTEM_NOT_FOUND (0x8037010E)
	// No such system.
	// 11 lookup failed
	// HCS_E_SYSTEM_NOT_FOUND (0x8037010E) true
	// {"Error":-2143878898,"ErrorMess
}

// HRESULTFromWin32 gives the HRESULT HCS reports for a Win32 error code.
func ExampleHRESULTFromWin32() {
	hr := hcs.HRESULTFromWin32(1168) // ERROR_NOT_FOUND
	fmt.Println(hr == hcs.ERROR_NOT_FOUND, errors.Is(hr, hcs.ErrNotFound))
	fmt.Printf("%v\n", hcs.HRESULTFromWin32(1062))
	// Output:
	// true true
	// HRESULT 0x80070426 (Win32 error 1062)
}
