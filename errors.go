package hcs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/gohcs/hcs/schema"
)

// HRESULT is a Windows HRESULT, the 32-bit status code HCS returns.
//
// It is signed, like the Windows type (a C LONG) and the Error member of an
// HCS result document (an int32 in the schema): a code is a failure exactly
// when it is negative. Print it with uint32(h), as in 0x%08X, to get the
// spelling winerror.h uses.
//
// An HRESULT is an error. Its Is method makes a failure code match the
// sentinel error of its class (see [ErrNotFound] and the others), so
// errors.Is(err, ErrNotFound) holds for HCS_E_SYSTEM_NOT_FOUND and for the
// other codes that mean "not found". errors.As(err, &hr) recovers the exact
// code. As for any error, fmt's %v prints the result of Error; String gives
// the short form.
type HRESULT int32

// The codes HCS is known to return, named as in winerror.h so that a name
// seen in a log, in Microsoft's documentation or in C code can be searched
// for here unchanged. The names break Go's MixedCaps convention on purpose:
// a Go spelling such as ErrCodeSystemNotFound would hide the one name every
// other source uses.
//
// The Win32 errors HCS passes through are HRESULTs of facility Win32
// (0x8007xxxx), that is HRESULT_FROM_WIN32 of the winerror.h error, and carry
// the name of that error: ERROR_NOT_FOUND here is 0x80070490, not 1168. Four
// Win32 errors have a generic E_ name with the same value and appear only
// under it: E_ACCESSDENIED (ERROR_ACCESS_DENIED), E_HANDLE
// (ERROR_INVALID_HANDLE), E_OUTOFMEMORY (ERROR_OUTOFMEMORY) and E_INVALIDARG
// (ERROR_INVALID_PARAMETER).
//
// Values are written as the unsigned winerror.h spelling minus 1<<32, which is
// that bit pattern as a signed 32-bit constant.
const (
	// S_OK is success.
	S_OK HRESULT = 0

	// HCS codes (facility 0x37, FACILITY_VIRTUALIZATION), from Microsoft's
	// "HCS Error Code" reference page and winerror.h.

	HCS_E_TERMINATED_DURING_START               HRESULT = 0x80370100 - 1<<32 // The virtual machine or container exited unexpectedly while starting.
	HCS_E_IMAGE_MISMATCH                        HRESULT = 0x80370101 - 1<<32 // The container operating system does not match the host operating system.
	HCS_E_HYPERV_NOT_INSTALLED                  HRESULT = 0x80370102 - 1<<32 // A required feature (Hyper-V) is not installed.
	HCS_E_INVALID_STATE                         HRESULT = 0x80370105 - 1<<32 // The operation is not valid in the current state.
	HCS_E_UNEXPECTED_EXIT                       HRESULT = 0x80370106 - 1<<32 // The virtual machine or container exited unexpectedly.
	HCS_E_TERMINATED                            HRESULT = 0x80370107 - 1<<32 // The virtual machine or container was forcefully exited.
	HCS_E_CONNECT_FAILED                        HRESULT = 0x80370108 - 1<<32 // No connection could be established with the system.
	HCS_E_CONNECTION_TIMEOUT                    HRESULT = 0x80370109 - 1<<32 // The system did not respond in time.
	HCS_E_CONNECTION_CLOSED                     HRESULT = 0x8037010A - 1<<32 // The connection with the system was closed.
	HCS_E_UNKNOWN_MESSAGE                       HRESULT = 0x8037010B - 1<<32 // The system received an unknown internal message.
	HCS_E_UNSUPPORTED_PROTOCOL_VERSION          HRESULT = 0x8037010C - 1<<32 // The system supports no available protocol version.
	HCS_E_INVALID_JSON                          HRESULT = 0x8037010D - 1<<32 // The JSON document is invalid.
	HCS_E_SYSTEM_NOT_FOUND                      HRESULT = 0x8037010E - 1<<32 // No system with the identifier exists.
	HCS_E_SYSTEM_ALREADY_EXISTS                 HRESULT = 0x8037010F - 1<<32 // A system with the identifier already exists.
	HCS_E_SYSTEM_ALREADY_STOPPED                HRESULT = 0x80370110 - 1<<32 // The system is not running.
	HCS_E_PROTOCOL_ERROR                        HRESULT = 0x80370111 - 1<<32 // A protocol error occurred between the system and the host.
	HCS_E_INVALID_LAYER                         HRESULT = 0x80370112 - 1<<32 // The image contains a layer with an unrecognized format.
	HCS_E_WINDOWS_INSIDER_REQUIRED              HRESULT = 0x80370113 - 1<<32 // The image requires the Windows Insider Program.
	HCS_E_SERVICE_NOT_AVAILABLE                 HRESULT = 0x80370114 - 1<<32 // A required feature is not installed.
	HCS_E_OPERATION_NOT_STARTED                 HRESULT = 0x80370115 - 1<<32 // The operation has not started.
	HCS_E_OPERATION_ALREADY_STARTED             HRESULT = 0x80370116 - 1<<32 // The operation is already running.
	HCS_E_OPERATION_PENDING                     HRESULT = 0x80370117 - 1<<32 // The operation is still running.
	HCS_E_OPERATION_TIMEOUT                     HRESULT = 0x80370118 - 1<<32 // The operation did not complete in time.
	HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET HRESULT = 0x80370119 - 1<<32 // An event callback is already registered on the handle.
	HCS_E_OPERATION_RESULT_ALLOCATION_FAILED    HRESULT = 0x8037011A - 1<<32 // No memory to return the result of the operation.
	HCS_E_ACCESS_DENIED                         HRESULT = 0x8037011B - 1<<32 // The caller is neither an administrator nor a Hyper-V administrator.
	HCS_E_GUEST_CRITICAL_ERROR                  HRESULT = 0x8037011C - 1<<32 // The system reported a critical error and was stopped or restarted.
	HCS_E_PROCESS_INFO_NOT_AVAILABLE            HRESULT = 0x8037011D - 1<<32 // The process information is not available.
	HCS_E_SERVICE_DISCONNECT                    HRESULT = 0x8037011E - 1<<32 // The compute service disconnected unexpectedly.
	HCS_E_PROCESS_ALREADY_STOPPED               HRESULT = 0x8037011F - 1<<32 // The process has already exited.
	HCS_E_SYSTEM_NOT_CONFIGURED_FOR_OPERATION   HRESULT = 0x80370120 - 1<<32 // The system is not configured for the operation.
	HCS_E_OPERATION_ALREADY_CANCELLED           HRESULT = 0x80370121 - 1<<32 // The operation has already been cancelled.

	// Legacy forms (severity 0xC) returned by older code paths, with the
	// low 16 bits of the HCS_E code of the same meaning.

	ERROR_VMCOMPUTE_TERMINATED_DURING_START      HRESULT = 0xC0370100 - 1<<32 // Legacy HCS_E_TERMINATED_DURING_START.
	ERROR_VMCOMPUTE_IMAGE_MISMATCH               HRESULT = 0xC0370101 - 1<<32 // Legacy HCS_E_IMAGE_MISMATCH.
	ERROR_VMCOMPUTE_HYPERV_NOT_INSTALLED         HRESULT = 0xC0370102 - 1<<32 // Legacy HCS_E_HYPERV_NOT_INSTALLED.
	ERROR_VMCOMPUTE_OPERATION_PENDING            HRESULT = 0xC0370103 - 1<<32 // The operation will complete asynchronously (vmcompute.dll).
	ERROR_VMCOMPUTE_TOO_MANY_NOTIFICATIONS       HRESULT = 0xC0370104 - 1<<32 // A notification could not be registered (vmcompute.dll).
	ERROR_VMCOMPUTE_INVALID_STATE                HRESULT = 0xC0370105 - 1<<32 // Legacy HCS_E_INVALID_STATE.
	ERROR_VMCOMPUTE_UNEXPECTED_EXIT              HRESULT = 0xC0370106 - 1<<32 // Legacy HCS_E_UNEXPECTED_EXIT.
	ERROR_VMCOMPUTE_TERMINATED                   HRESULT = 0xC0370107 - 1<<32 // Legacy HCS_E_TERMINATED.
	ERROR_VMCOMPUTE_CONNECT_FAILED               HRESULT = 0xC0370108 - 1<<32 // Legacy HCS_E_CONNECT_FAILED.
	ERROR_VMCOMPUTE_TIMEOUT                      HRESULT = 0xC0370109 - 1<<32 // Legacy HCS_E_CONNECTION_TIMEOUT.
	ERROR_VMCOMPUTE_CONNECTION_CLOSED            HRESULT = 0xC037010A - 1<<32 // Legacy HCS_E_CONNECTION_CLOSED.
	ERROR_VMCOMPUTE_UNKNOWN_MESSAGE              HRESULT = 0xC037010B - 1<<32 // Legacy HCS_E_UNKNOWN_MESSAGE.
	ERROR_VMCOMPUTE_UNSUPPORTED_PROTOCOL_VERSION HRESULT = 0xC037010C - 1<<32 // Legacy HCS_E_UNSUPPORTED_PROTOCOL_VERSION.
	ERROR_VMCOMPUTE_INVALID_JSON                 HRESULT = 0xC037010D - 1<<32 // Legacy HCS_E_INVALID_JSON.
	ERROR_VMCOMPUTE_SYSTEM_NOT_FOUND             HRESULT = 0xC037010E - 1<<32 // Legacy HCS_E_SYSTEM_NOT_FOUND.
	ERROR_VMCOMPUTE_SYSTEM_ALREADY_EXISTS        HRESULT = 0xC037010F - 1<<32 // Legacy HCS_E_SYSTEM_ALREADY_EXISTS.
	ERROR_VMCOMPUTE_SYSTEM_ALREADY_STOPPED       HRESULT = 0xC0370110 - 1<<32 // Legacy HCS_E_SYSTEM_ALREADY_STOPPED.
	ERROR_VMCOMPUTE_PROTOCOL_ERROR               HRESULT = 0xC0370111 - 1<<32 // Legacy HCS_E_PROTOCOL_ERROR.
	ERROR_VMCOMPUTE_INVALID_LAYER                HRESULT = 0xC0370112 - 1<<32 // Legacy HCS_E_INVALID_LAYER.
	ERROR_VMCOMPUTE_WINDOWS_INSIDER_REQUIRED     HRESULT = 0xC0370113 - 1<<32 // Legacy HCS_E_WINDOWS_INSIDER_REQUIRED.

	// Generic COM codes.

	E_NOTIMPL      HRESULT = 0x80004001 - 1<<32 // Not implemented.
	E_POINTER      HRESULT = 0x80004003 - 1<<32 // Invalid pointer.
	E_ABORT        HRESULT = 0x80004004 - 1<<32 // Operation aborted.
	E_FAIL         HRESULT = 0x80004005 - 1<<32 // Unspecified error.
	E_UNEXPECTED   HRESULT = 0x8000FFFF - 1<<32 // Catastrophic failure.
	E_ACCESSDENIED HRESULT = 0x80070005 - 1<<32 // Access is denied; also ERROR_ACCESS_DENIED (5).
	E_HANDLE       HRESULT = 0x80070006 - 1<<32 // The handle is invalid; also ERROR_INVALID_HANDLE (6).
	E_OUTOFMEMORY  HRESULT = 0x8007000E - 1<<32 // Out of memory; also ERROR_OUTOFMEMORY (14).
	E_INVALIDARG   HRESULT = 0x80070057 - 1<<32 // The parameter is incorrect; also ERROR_INVALID_PARAMETER (87).

	// Win32 errors as HRESULTs (HRESULT_FROM_WIN32 of the decimal code).

	ERROR_FILE_NOT_FOUND         HRESULT = 0x80070002 - 1<<32 // Win32 error 2.
	ERROR_PATH_NOT_FOUND         HRESULT = 0x80070003 - 1<<32 // Win32 error 3.
	ERROR_INVALID_DATA           HRESULT = 0x8007000D - 1<<32 // Win32 error 13.
	ERROR_NOT_READY              HRESULT = 0x80070015 - 1<<32 // Win32 error 21.
	ERROR_SHARING_VIOLATION      HRESULT = 0x80070020 - 1<<32 // Win32 error 32.
	ERROR_NOT_SUPPORTED          HRESULT = 0x80070032 - 1<<32 // Win32 error 50.
	ERROR_FILE_EXISTS            HRESULT = 0x80070050 - 1<<32 // Win32 error 80.
	ERROR_INSUFFICIENT_BUFFER    HRESULT = 0x8007007A - 1<<32 // Win32 error 122.
	ERROR_DIR_NOT_EMPTY          HRESULT = 0x80070091 - 1<<32 // Win32 error 145.
	ERROR_MOD_NOT_FOUND          HRESULT = 0x8007007E - 1<<32 // Win32 error 126.
	ERROR_PROC_NOT_FOUND         HRESULT = 0x8007007F - 1<<32 // Win32 error 127.
	ERROR_BAD_PATHNAME           HRESULT = 0x800700A1 - 1<<32 // Win32 error 161.
	ERROR_BUSY                   HRESULT = 0x800700AA - 1<<32 // Win32 error 170.
	ERROR_ALREADY_EXISTS         HRESULT = 0x800700B7 - 1<<32 // Win32 error 183.
	WAIT_TIMEOUT                 HRESULT = 0x80070102 - 1<<32 // Win32 error 258.
	ERROR_UNRECOGNIZED_VOLUME    HRESULT = 0x800703ED - 1<<32 // Win32 error 1005.
	ERROR_SERVICE_DOES_NOT_EXIST HRESULT = 0x80070424 - 1<<32 // Win32 error 1060.
	ERROR_DEVICE_NOT_CONNECTED   HRESULT = 0x8007048F - 1<<32 // Win32 error 1167.
	ERROR_NOT_FOUND              HRESULT = 0x80070490 - 1<<32 // Win32 error 1168.
	ERROR_PRIVILEGE_NOT_HELD     HRESULT = 0x80070522 - 1<<32 // Win32 error 1314.
	ERROR_TIMEOUT                HRESULT = 0x800705B4 - 1<<32 // Win32 error 1460.
	ERROR_NOT_A_REPARSE_POINT    HRESULT = 0x80071126 - 1<<32 // Win32 error 4390.
	ERROR_INVALID_STATE          HRESULT = 0x8007139F - 1<<32 // Win32 error 5023.
)

// The error classes callers branch on, with errors.Is. Each HRESULT of the
// table below matches its sentinel, whether it is returned bare, inside an
// [*Error] or wrapped further with %w; codes not listed match none.
//
//	Sentinel                Codes
//	ErrNotFound             HCS_E_SYSTEM_NOT_FOUND, ERROR_VMCOMPUTE_SYSTEM_NOT_FOUND,
//	                        ERROR_NOT_FOUND, ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND
//	ErrAlreadyExists        HCS_E_SYSTEM_ALREADY_EXISTS, ERROR_VMCOMPUTE_SYSTEM_ALREADY_EXISTS,
//	                        ERROR_ALREADY_EXISTS, ERROR_FILE_EXISTS, ERROR_DIR_NOT_EMPTY
//	ErrAlreadyStopped       HCS_E_SYSTEM_ALREADY_STOPPED, ERROR_VMCOMPUTE_SYSTEM_ALREADY_STOPPED,
//	                        HCS_E_PROCESS_ALREADY_STOPPED
//	ErrAccessDenied         HCS_E_ACCESS_DENIED, E_ACCESSDENIED, ERROR_PRIVILEGE_NOT_HELD
//	ErrInvalidSchema        HCS_E_INVALID_JSON, ERROR_VMCOMPUTE_INVALID_JSON, ERROR_INVALID_DATA
//	ErrInvalidArgument      E_INVALIDARG, E_POINTER, E_HANDLE, ERROR_BAD_PATHNAME,
//	                        ERROR_NOT_A_REPARSE_POINT
//	ErrInvalidState         HCS_E_INVALID_STATE, ERROR_VMCOMPUTE_INVALID_STATE, ERROR_INVALID_STATE,
//	                        ERROR_BUSY, ERROR_SHARING_VIOLATION, ERROR_NOT_READY,
//	                        ERROR_UNRECOGNIZED_VOLUME
//	ErrImageMismatch        HCS_E_IMAGE_MISMATCH, ERROR_VMCOMPUTE_IMAGE_MISMATCH
//	ErrFeatureNotInstalled  HCS_E_HYPERV_NOT_INSTALLED, ERROR_VMCOMPUTE_HYPERV_NOT_INSTALLED,
//	                        HCS_E_SERVICE_NOT_AVAILABLE, ERROR_SERVICE_DOES_NOT_EXIST
//	ErrTimeout              HCS_E_OPERATION_TIMEOUT, HCS_E_CONNECTION_TIMEOUT,
//	                        ERROR_VMCOMPUTE_TIMEOUT, WAIT_TIMEOUT, ERROR_TIMEOUT
//	ErrServiceDisconnect    HCS_E_SERVICE_DISCONNECT
//	ErrUnexpectedExit       HCS_E_UNEXPECTED_EXIT, ERROR_VMCOMPUTE_UNEXPECTED_EXIT,
//	                        HCS_E_TERMINATED, ERROR_VMCOMPUTE_TERMINATED,
//	                        HCS_E_TERMINATED_DURING_START, ERROR_VMCOMPUTE_TERMINATED_DURING_START,
//	                        HCS_E_GUEST_CRITICAL_ERROR
//	ErrNotSupported         E_NOTIMPL, ERROR_NOT_SUPPORTED,
//	                        ERROR_PROC_NOT_FOUND (an entry point missing from computecore.dll),
//	                        ERROR_MOD_NOT_FOUND (computecore.dll missing);
//	                        also returned as is on hosts other than Windows
//	ErrClosed               no code: use of a closed System or Process
//
// A legacy 0xC037xxxx code not listed (older hosts answer
// HCS_E_PROCESS_ALREADY_STOPPED as 0xC037011F, say) matches the sentinel of
// its 0x8037xxxx form.
//
// ErrTimeout is HCS giving up; a context deadline is reported as
// [context.DeadlineExceeded] instead, and a cancelled context as
// [context.Canceled].
var (
	// ErrNotFound means the compute system, process or file does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists means a compute system with that identifier, or the
	// file, already exists.
	ErrAlreadyExists = errors.New("already exists")
	// ErrAlreadyStopped means the compute system or process is not running any more.
	ErrAlreadyStopped = errors.New("already stopped")
	// ErrAccessDenied means the caller is neither an administrator nor a
	// Hyper-V administrator, or, for the layer calls, that the process is not
	// elevated.
	ErrAccessDenied = errors.New("access denied")
	// ErrInvalidSchema means HCS rejected a JSON document.
	ErrInvalidSchema = errors.New("invalid document")
	// ErrInvalidArgument means HCS rejected an argument of the call.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrInvalidState means the operation is not valid in the current state
	// of the system, such as starting a running system, or of a layer, such
	// as unmounting a scratch layer that a running container uses or one
	// that is not mounted.
	ErrInvalidState = errors.New("operation not valid in the current state")
	// ErrImageMismatch means the container image does not match the Windows
	// version of the host; callers typically retry with Hyper-V isolation.
	ErrImageMismatch = errors.New("container image does not match the host")
	// ErrFeatureNotInstalled means Hyper-V, the Containers feature or the
	// compute service is not installed.
	ErrFeatureNotInstalled = errors.New("required feature not installed")
	// ErrTimeout means HCS, or the system it waited for, timed out.
	ErrTimeout = errors.New("operation timed out")
	// ErrServiceDisconnect means the compute service (vmcompute)
	// disconnected. A System or Process handle opened before the
	// disconnection stays unusable after the service is back: open the
	// system (and the process) again.
	ErrServiceDisconnect = errors.New("compute service disconnected")
	// ErrUnexpectedExit means the compute system exited, was terminated or
	// crashed during the call.
	ErrUnexpectedExit = errors.New("compute system exited unexpectedly")
	// ErrNotSupported means the host does not support the call. It also
	// matches [errors.ErrUnsupported].
	ErrNotSupported error = &refinedError{"not supported", errors.ErrUnsupported}
	// ErrClosed means a System or Process was used after Close. It also
	// matches [net.ErrClosed], as the closed connections of package net do.
	ErrClosed error = &refinedError{"use of closed handle", net.ErrClosed}
)

// refinedError is a sentinel that also matches a more general standard error.
type refinedError struct {
	msg string
	std error
}

func (e *refinedError) Error() string { return e.msg }
func (e *refinedError) Unwrap() error { return e.std }

// code is an entry of the table of known codes.
type code struct {
	name  string
	msg   string // from the reference, without the final period
	class error  // sentinel matched by errors.Is, or nil
}

// codes is the table of every HRESULT known by name: the single source of
// names, messages and classes. A test checks that it holds every constant
// above, under the constant's name, and that the sentinel table in the doc
// comment above agrees with it.
var codes = map[HRESULT]code{
	S_OK: {"S_OK", "Success", nil},

	HCS_E_TERMINATED_DURING_START:               {"HCS_E_TERMINATED_DURING_START", "The virtual machine or container exited unexpectedly while starting", ErrUnexpectedExit},
	HCS_E_IMAGE_MISMATCH:                        {"HCS_E_IMAGE_MISMATCH", "The container operating system does not match the host operating system", ErrImageMismatch},
	HCS_E_HYPERV_NOT_INSTALLED:                  {"HCS_E_HYPERV_NOT_INSTALLED", "The virtual machine could not be started because a required feature is not installed", ErrFeatureNotInstalled},
	HCS_E_INVALID_STATE:                         {"HCS_E_INVALID_STATE", "The requested virtual machine or container operation is not valid in the current state", ErrInvalidState},
	HCS_E_UNEXPECTED_EXIT:                       {"HCS_E_UNEXPECTED_EXIT", "The virtual machine or container exited unexpectedly", ErrUnexpectedExit},
	HCS_E_TERMINATED:                            {"HCS_E_TERMINATED", "The virtual machine or container was forcefully exited", ErrUnexpectedExit},
	HCS_E_CONNECT_FAILED:                        {"HCS_E_CONNECT_FAILED", "A connection could not be established with the container or virtual machine", nil},
	HCS_E_CONNECTION_TIMEOUT:                    {"HCS_E_CONNECTION_TIMEOUT", "The operation timed out because a response was not received from the virtual machine or container", ErrTimeout},
	HCS_E_CONNECTION_CLOSED:                     {"HCS_E_CONNECTION_CLOSED", "The connection with the virtual machine or container was closed", nil},
	HCS_E_UNKNOWN_MESSAGE:                       {"HCS_E_UNKNOWN_MESSAGE", "An unknown internal message was received by the virtual machine or container", nil},
	HCS_E_UNSUPPORTED_PROTOCOL_VERSION:          {"HCS_E_UNSUPPORTED_PROTOCOL_VERSION", "The virtual machine or container does not support an available version of the communication protocol with the host", nil},
	HCS_E_INVALID_JSON:                          {"HCS_E_INVALID_JSON", "The virtual machine or container JSON document is invalid", ErrInvalidSchema},
	HCS_E_SYSTEM_NOT_FOUND:                      {"HCS_E_SYSTEM_NOT_FOUND", "A virtual machine or container with the specified identifier does not exist", ErrNotFound},
	HCS_E_SYSTEM_ALREADY_EXISTS:                 {"HCS_E_SYSTEM_ALREADY_EXISTS", "A virtual machine or container with the specified identifier already exists", ErrAlreadyExists},
	HCS_E_SYSTEM_ALREADY_STOPPED:                {"HCS_E_SYSTEM_ALREADY_STOPPED", "The virtual machine or container with the specified identifier is not running", ErrAlreadyStopped},
	HCS_E_PROTOCOL_ERROR:                        {"HCS_E_PROTOCOL_ERROR", "A communication protocol error has occurred between the virtual machine or container and the host", nil},
	HCS_E_INVALID_LAYER:                         {"HCS_E_INVALID_LAYER", "The container image contains a layer with an unrecognized format", nil},
	HCS_E_WINDOWS_INSIDER_REQUIRED:              {"HCS_E_WINDOWS_INSIDER_REQUIRED", "To use this container image, you must join the Windows Insider Program", nil},
	HCS_E_SERVICE_NOT_AVAILABLE:                 {"HCS_E_SERVICE_NOT_AVAILABLE", "The operation could not be started because a required feature is not installed", ErrFeatureNotInstalled},
	HCS_E_OPERATION_NOT_STARTED:                 {"HCS_E_OPERATION_NOT_STARTED", "The operation has not started", nil},
	HCS_E_OPERATION_ALREADY_STARTED:             {"HCS_E_OPERATION_ALREADY_STARTED", "The operation is already running", nil},
	HCS_E_OPERATION_PENDING:                     {"HCS_E_OPERATION_PENDING", "The operation is still running", nil},
	HCS_E_OPERATION_TIMEOUT:                     {"HCS_E_OPERATION_TIMEOUT", "The operation did not complete in time", ErrTimeout},
	HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET: {"HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET", "An event callback has already been registered on this handle", nil},
	HCS_E_OPERATION_RESULT_ALLOCATION_FAILED:    {"HCS_E_OPERATION_RESULT_ALLOCATION_FAILED", "Not enough memory available to return the result of the operation", nil},
	HCS_E_ACCESS_DENIED:                         {"HCS_E_ACCESS_DENIED", "Insufficient privileges. Only administrators or users that are members of the Hyper-V Administrators user group are permitted to access virtual machines or containers. To add yourself to the Hyper-V Administrators user group, please see https://aka.ms/hcsadmin for more information", ErrAccessDenied},
	HCS_E_GUEST_CRITICAL_ERROR:                  {"HCS_E_GUEST_CRITICAL_ERROR", "The virtual machine or container reported a critical error and was stopped or restarted", ErrUnexpectedExit},
	HCS_E_PROCESS_INFO_NOT_AVAILABLE:            {"HCS_E_PROCESS_INFO_NOT_AVAILABLE", "The process information is not available", nil},
	HCS_E_SERVICE_DISCONNECT:                    {"HCS_E_SERVICE_DISCONNECT", "The host compute system service has disconnected unexpectedly", ErrServiceDisconnect},
	HCS_E_PROCESS_ALREADY_STOPPED:               {"HCS_E_PROCESS_ALREADY_STOPPED", "The process has already exited", ErrAlreadyStopped},
	HCS_E_SYSTEM_NOT_CONFIGURED_FOR_OPERATION:   {"HCS_E_SYSTEM_NOT_CONFIGURED_FOR_OPERATION", "The virtual machine or container is not configured to perform the operation", nil},
	HCS_E_OPERATION_ALREADY_CANCELLED:           {"HCS_E_OPERATION_ALREADY_CANCELLED", "The operation has already been cancelled", nil},

	ERROR_VMCOMPUTE_TERMINATED_DURING_START:      {"ERROR_VMCOMPUTE_TERMINATED_DURING_START", "The virtual machine or container exited unexpectedly while starting", ErrUnexpectedExit},
	ERROR_VMCOMPUTE_IMAGE_MISMATCH:               {"ERROR_VMCOMPUTE_IMAGE_MISMATCH", "The container operating system does not match the host operating system", ErrImageMismatch},
	ERROR_VMCOMPUTE_HYPERV_NOT_INSTALLED:         {"ERROR_VMCOMPUTE_HYPERV_NOT_INSTALLED", "The virtual machine could not be started because a required feature is not installed", ErrFeatureNotInstalled},
	ERROR_VMCOMPUTE_OPERATION_PENDING:            {"ERROR_VMCOMPUTE_OPERATION_PENDING", "The operation is pending and will complete asynchronously", nil},
	ERROR_VMCOMPUTE_TOO_MANY_NOTIFICATIONS:       {"ERROR_VMCOMPUTE_TOO_MANY_NOTIFICATIONS", "Too many notifications", nil},
	ERROR_VMCOMPUTE_INVALID_STATE:                {"ERROR_VMCOMPUTE_INVALID_STATE", "The requested virtual machine or container operation is not valid in the current state", ErrInvalidState},
	ERROR_VMCOMPUTE_UNEXPECTED_EXIT:              {"ERROR_VMCOMPUTE_UNEXPECTED_EXIT", "The virtual machine or container exited unexpectedly", ErrUnexpectedExit},
	ERROR_VMCOMPUTE_TERMINATED:                   {"ERROR_VMCOMPUTE_TERMINATED", "The virtual machine or container was forcefully exited", ErrUnexpectedExit},
	ERROR_VMCOMPUTE_CONNECT_FAILED:               {"ERROR_VMCOMPUTE_CONNECT_FAILED", "A connection could not be established with the container or virtual machine", nil},
	ERROR_VMCOMPUTE_TIMEOUT:                      {"ERROR_VMCOMPUTE_TIMEOUT", "The operation timed out because a response was not received from the virtual machine or container", ErrTimeout},
	ERROR_VMCOMPUTE_CONNECTION_CLOSED:            {"ERROR_VMCOMPUTE_CONNECTION_CLOSED", "The connection with the virtual machine or container was closed", nil},
	ERROR_VMCOMPUTE_UNKNOWN_MESSAGE:              {"ERROR_VMCOMPUTE_UNKNOWN_MESSAGE", "An unknown internal message was received by the virtual machine or container", nil},
	ERROR_VMCOMPUTE_UNSUPPORTED_PROTOCOL_VERSION: {"ERROR_VMCOMPUTE_UNSUPPORTED_PROTOCOL_VERSION", "The virtual machine or container does not support an available version of the communication protocol with the host", nil},
	ERROR_VMCOMPUTE_INVALID_JSON:                 {"ERROR_VMCOMPUTE_INVALID_JSON", "The virtual machine or container JSON document is invalid", ErrInvalidSchema},
	ERROR_VMCOMPUTE_SYSTEM_NOT_FOUND:             {"ERROR_VMCOMPUTE_SYSTEM_NOT_FOUND", "A virtual machine or container with the specified identifier does not exist", ErrNotFound},
	ERROR_VMCOMPUTE_SYSTEM_ALREADY_EXISTS:        {"ERROR_VMCOMPUTE_SYSTEM_ALREADY_EXISTS", "A virtual machine or container with the specified identifier already exists", ErrAlreadyExists},
	ERROR_VMCOMPUTE_SYSTEM_ALREADY_STOPPED:       {"ERROR_VMCOMPUTE_SYSTEM_ALREADY_STOPPED", "The virtual machine or container with the specified identifier is not running", ErrAlreadyStopped},
	ERROR_VMCOMPUTE_PROTOCOL_ERROR:               {"ERROR_VMCOMPUTE_PROTOCOL_ERROR", "A communication protocol error has occurred between the virtual machine or container and the host", nil},
	ERROR_VMCOMPUTE_INVALID_LAYER:                {"ERROR_VMCOMPUTE_INVALID_LAYER", "The container image contains a layer with an unrecognized format", nil},
	ERROR_VMCOMPUTE_WINDOWS_INSIDER_REQUIRED:     {"ERROR_VMCOMPUTE_WINDOWS_INSIDER_REQUIRED", "To use this container image, you must join the Windows Insider Program", nil},

	E_NOTIMPL:      {"E_NOTIMPL", "Not implemented", ErrNotSupported},
	E_POINTER:      {"E_POINTER", "Invalid pointer", ErrInvalidArgument},
	E_ABORT:        {"E_ABORT", "Operation aborted", nil},
	E_FAIL:         {"E_FAIL", "Unspecified error", nil},
	E_UNEXPECTED:   {"E_UNEXPECTED", "Catastrophic failure", nil},
	E_ACCESSDENIED: {"E_ACCESSDENIED", "Access is denied", ErrAccessDenied},
	E_HANDLE:       {"E_HANDLE", "The handle is invalid", ErrInvalidArgument},
	E_OUTOFMEMORY:  {"E_OUTOFMEMORY", "Not enough memory resources are available to complete this operation", nil},
	E_INVALIDARG:   {"E_INVALIDARG", "The parameter is incorrect", ErrInvalidArgument},

	ERROR_FILE_NOT_FOUND:         {"ERROR_FILE_NOT_FOUND", "The system cannot find the file specified", ErrNotFound},
	ERROR_PATH_NOT_FOUND:         {"ERROR_PATH_NOT_FOUND", "The system cannot find the path specified", ErrNotFound},
	ERROR_INVALID_DATA:           {"ERROR_INVALID_DATA", "The data is invalid", ErrInvalidSchema},
	ERROR_NOT_READY:              {"ERROR_NOT_READY", "The device is not ready", ErrInvalidState},
	ERROR_SHARING_VIOLATION:      {"ERROR_SHARING_VIOLATION", "The process cannot access the file because it is being used by another process", ErrInvalidState},
	ERROR_NOT_SUPPORTED:          {"ERROR_NOT_SUPPORTED", "The request is not supported", ErrNotSupported},
	ERROR_FILE_EXISTS:            {"ERROR_FILE_EXISTS", "The file exists", ErrAlreadyExists},
	ERROR_INSUFFICIENT_BUFFER:    {"ERROR_INSUFFICIENT_BUFFER", "The data area passed to a system call is too small", nil},
	ERROR_DIR_NOT_EMPTY:          {"ERROR_DIR_NOT_EMPTY", "The directory is not empty", ErrAlreadyExists},
	ERROR_MOD_NOT_FOUND:          {"ERROR_MOD_NOT_FOUND", "The specified module could not be found", ErrNotSupported},
	ERROR_PROC_NOT_FOUND:         {"ERROR_PROC_NOT_FOUND", "The specified procedure could not be found", ErrNotSupported},
	ERROR_BAD_PATHNAME:           {"ERROR_BAD_PATHNAME", "The specified path is invalid", ErrInvalidArgument},
	ERROR_BUSY:                   {"ERROR_BUSY", "The requested resource is in use", ErrInvalidState},
	ERROR_ALREADY_EXISTS:         {"ERROR_ALREADY_EXISTS", "Cannot create a file when that file already exists", ErrAlreadyExists},
	WAIT_TIMEOUT:                 {"WAIT_TIMEOUT", "The wait operation timed out", ErrTimeout},
	ERROR_UNRECOGNIZED_VOLUME:    {"ERROR_UNRECOGNIZED_VOLUME", "The volume does not contain a recognized file system", ErrInvalidState},
	ERROR_SERVICE_DOES_NOT_EXIST: {"ERROR_SERVICE_DOES_NOT_EXIST", "The specified service does not exist as an installed service", ErrFeatureNotInstalled},
	ERROR_DEVICE_NOT_CONNECTED:   {"ERROR_DEVICE_NOT_CONNECTED", "The device is not connected", nil},
	ERROR_NOT_FOUND:              {"ERROR_NOT_FOUND", "Element not found", ErrNotFound},
	ERROR_PRIVILEGE_NOT_HELD:     {"ERROR_PRIVILEGE_NOT_HELD", "A required privilege is not held by the client", ErrAccessDenied},
	ERROR_TIMEOUT:                {"ERROR_TIMEOUT", "This operation returned because the timeout period expired", ErrTimeout},
	ERROR_NOT_A_REPARSE_POINT:    {"ERROR_NOT_A_REPARSE_POINT", "The file or directory is not a reparse point", ErrInvalidArgument},
	ERROR_INVALID_STATE:          {"ERROR_INVALID_STATE", "The group or resource is not in the correct state to perform the requested operation", ErrInvalidState},
}

const facilityWin32 = 7

// HRESULTFromWin32 returns the HRESULT for the Win32 error code e, as the
// HRESULT_FROM_WIN32 macro does: 0x8007xxxx for an error code, e itself when
// e is 0 or already has the top bit set (an HRESULT or NTSTATUS value).
func HRESULTFromWin32(e uint32) HRESULT {
	if int32(e) <= 0 {
		return HRESULT(int32(e))
	}
	return HRESULT(int32(e&0xFFFF | facilityWin32<<16 | 0x80000000))
}

// Failed reports whether h is a failure code, that is negative.
func (h HRESULT) Failed() bool { return h < 0 }

// Name returns the winerror.h name of h, such as "HCS_E_SYSTEM_NOT_FOUND",
// or "" if h is not in the package's table.
func (h HRESULT) Name() string { return codes[h].name }

// String returns the name and hexadecimal value of h, such as
// "HCS_E_SYSTEM_NOT_FOUND (0x8037010E)". A code not in the table reads
// "HRESULT 0x80371234", or "HRESULT 0x80070426 (Win32 error 1062)" when it
// wraps a Win32 error.
func (h HRESULT) String() string {
	if c, ok := codes[h]; ok {
		return fmt.Sprintf("%s (0x%08X)", c.name, uint32(h))
	}
	if uint32(h)>>16 == 0x8000|facilityWin32 {
		return fmt.Sprintf("HRESULT 0x%08X (Win32 error %d)", uint32(h), uint32(h)&0xFFFF)
	}
	return fmt.Sprintf("HRESULT 0x%08X", uint32(h))
}

// Error returns String followed by the reference message of h, such as
// "HCS_E_SYSTEM_NOT_FOUND (0x8037010E): A virtual machine or container with
// the specified identifier does not exist". A code not in the table has no
// message and reads as String.
func (h HRESULT) Error() string {
	if c, ok := codes[h]; ok {
		return h.String() + ": " + c.msg
	}
	return h.String()
}

// Is reports whether target is the sentinel error of h's class, so that
// errors.Is(HCS_E_SYSTEM_NOT_FOUND, ErrNotFound) is true. A legacy
// 0xC037xxxx code the table does not list has the class of its 0x8037xxxx
// form: older hosts answer with both. Comparing with another HRESULT is
// left to errors.Is, which compares the values.
func (h HRESULT) Is(target error) bool {
	c, ok := codes[h]
	if !ok && uint32(h)>>16 == 0xC037 {
		c, ok = codes[HRESULT(int32(uint32(h)&^0x40000000))]
	}
	return ok && c.class != nil && c.class == target
}

// UnmarshalJSON decodes a JSON number into h. It accepts the signed form of
// the schema (-2143878898) and the unsigned form some producers write
// (2151088398); null leaves h unchanged.
func (h *HRESULT) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < -1<<31 || v > 1<<32-1 {
		return fmt.Errorf("hcs: invalid HRESULT %.32q", s)
	}
	*h = HRESULT(int32(v))
	return nil
}

// Error is the error the functions and methods of package hcs return for a
// failed call.
//
// Its message names the operation, the compute system and the process, then
// the cause, with HCS's own ErrorMessage when there is one. It never includes
// a document sent to HCS, so no configuration or environment variable values,
// nor the raw result document: Result keeps HCS's details for logging.
type Error struct {
	// Op is the operation, such as "create", "start", "shutdown",
	// "properties" or "open process".
	Op string
	// ID is the compute system identifier (the virtual machine's for
	// GrantVMAccess and RevokeVMAccess); "" for other calls on the host.
	ID string
	// PID is the process identifier when the call concerns a process; 0 otherwise.
	PID uint32
	// Err is the cause: an HRESULT, a context error, ErrClosed,
	// ErrNotSupported, ... Never nil in errors made by this package.
	Err error
	// Result is the result document HCS returned with the failure, or nil.
	Result *ResultError
}

// Error returns a message such as
// `hcs: start "web1": HCS_E_INVALID_STATE (0x80370105): message`, where the
// message is HCS's ErrorMessage from Result when there is one, and the
// reference message of the code otherwise.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("hcs: ")
	b.WriteString(e.Op)
	if e.ID != "" {
		b.WriteString(" ")
		b.WriteString(strconv.Quote(e.ID))
	}
	if e.PID != 0 {
		fmt.Fprintf(&b, " process %d", e.PID)
	}
	b.WriteString(": ")
	hr, isHR := e.Err.(HRESULT)
	switch {
	case isHR && e.Result != nil && strings.TrimSpace(e.Result.ErrorMessage) != "":
		b.WriteString(hr.String())
		b.WriteString(": ")
		b.WriteString(strings.TrimSpace(e.Result.ErrorMessage))
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString("unknown error")
	}
	return b.String()
}

// errStaleSystem and errStaleProcess are the causes of the calls on a
// System or Process whose connection to the compute service was lost: they
// match ErrServiceDisconnect and say what to do.
var (
	errStaleSystem  = fmt.Errorf("%w: the handle belongs to the lost connection; open the system again (Host.OpenSystem)", ErrServiceDisconnect)
	errStaleProcess = fmt.Errorf("%w: the handle belongs to the lost connection; open the system and the process again (Host.OpenSystem, System.OpenProcess)", ErrServiceDisconnect)
)

// Unwrap returns e.Err, so that errors.Is and errors.As see the HRESULT or
// the context error behind e.
func (e *Error) Unwrap() error { return e.Err }

// newError returns the error for a failed call. resultDoc, when not empty,
// is parsed into Result. If err is nil or a success code, the cause is the
// failure code of the result document, or E_FAIL when it has none, so that
// Err is always a failure.
func newError(op, id string, pid uint32, err error, resultDoc string) *Error {
	e := &Error{Op: op, ID: id, PID: pid, Err: err, Result: ParseResultError([]byte(resultDoc))}
	if hr, ok := err.(HRESULT); err == nil || ok && !hr.Failed() {
		e.Err = E_FAIL
		if e.Result != nil && e.Result.Error.Failed() {
			e.Err = e.Result.Error
		}
	}
	return e
}

// ResultError is the extended error information of a result document that
// HCS returns with a failure. It is a detail of an [*Error], found in its
// Result field, not an error itself.
//
// It is the typed view of [schema.ResultError], which stays the wire type:
// Error is an HRESULT rather than a *int32, Raw keeps the document, and
// ParseResultError keeps what it can of a damaged document. The events and
// attribution records are the schema's own types; there is one home for
// each concept.
type ResultError struct {
	// Error is the failure code. The schema types it as int32, but
	// unsigned numbers are accepted too.
	Error HRESULT `json:"Error"`
	// ErrorMessage is HCS's description of the failure.
	ErrorMessage string `json:"ErrorMessage,omitempty"`
	// ErrorEvents are the events that HCS and its components logged for the failure.
	ErrorEvents []schema.ErrorEvent `json:"ErrorEvents,omitempty"`
	// Attribution holds the records (Windows 10 2104 and later) saying what
	// caused a system to stop: a worker exit, a guest crash, a triple fault,
	// an operation or device failure, ...
	Attribution []schema.AttributionRecord `json:"Attribution,omitempty"`
	// Raw is the document as received, even if it could not be parsed.
	// Like ExitStatus.Raw and Event.Data it is bytes, as encoding/json
	// reads them.
	Raw []byte `json:"-"`
}

// ParseResultError parses an HCS result document. It returns nil if doc is
// empty or only white space. It never fails: for a malformed or truncated
// document the result keeps Raw and whatever members, events and attribution
// records could be read before the damage. Raw is doc itself, not a copy.
func ParseResultError(doc []byte) *ResultError {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil
	}
	r := &ResultError{Raw: doc}
	// Members are read one by one, rather than with one json.Unmarshal, so
	// that a syntax error late in the document keeps what came before it.
	dec := json.NewDecoder(bytes.NewReader(doc))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return r
	}
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok {
			return r
		}
		// Names match case-insensitively, as with json.Unmarshal. Of
		// repeated members the last wins outright (json.Unmarshal would
		// merge repeated ErrorEvents element by element).
		switch {
		case strings.EqualFold(key, "ErrorEvents"):
			r.ErrorEvents, ok = decodeArray[schema.ErrorEvent](dec)
		case strings.EqualFold(key, "Attribution"):
			r.Attribution, ok = decodeArray[schema.AttributionRecord](dec)
		case strings.EqualFold(key, "Error"):
			ok = decodeMember(dec, &r.Error)
		case strings.EqualFold(key, "ErrorMessage"):
			ok = decodeMember(dec, &r.ErrorMessage)
		default:
			ok = decodeMember(dec, new(json.RawMessage))
		}
		if !ok {
			return r
		}
	}
	return r
}

// decodeMember decodes the next value of dec into v. It reports false if the
// document is broken at that point; a value of the wrong type leaves v as
// far as it was decoded and reports true.
func decodeMember(dec *json.Decoder, v any) bool {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return false
	}
	// A value of the wrong type is not an error here: keep what decoded.
	_ = json.Unmarshal(raw, v)
	return true
}

// decodeArray decodes the next value of dec, which should be an array, one
// element at a time, so that a truncated array keeps its complete elements.
// It reports false if the document is broken at that point. null, and a
// value that is not an array, give nil.
func decodeArray[T any](dec *json.Decoder) ([]T, bool) {
	t, err := dec.Token()
	if err != nil {
		return nil, false
	}
	switch t {
	case json.Delim('['):
	case json.Delim('{'):
		return nil, skipRest(dec)
	default:
		return nil, true
	}
	out := []T{}
	for dec.More() {
		var v T
		if !decodeMember(dec, &v) {
			return out, false
		}
		out = append(out, v)
	}
	_, err = dec.Token() // ']'
	return out, err == nil
}

// skipRest skips the rest of the object or array whose opening delimiter
// dec has just returned. It reports false if the document is broken.
func skipRest(dec *json.Decoder) bool {
	for depth := 1; depth > 0; {
		t, err := dec.Token()
		if err != nil {
			return false
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return true
}
