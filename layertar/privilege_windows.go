package layertar

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The privileges BackupWrite needs to restore files whatever their
// security descriptors say, and to set owners and SACLs.
var backupPrivileges = []string{"SeBackupPrivilege", "SeRestorePrivilege"}

var (
	privilegeLUIDs    []windows.LUID
	privilegeLUIDsErr error
	privilegeLUIDOnce sync.Once
)

// lookupPrivileges returns the LUIDs of backupPrivileges.
func lookupPrivileges() ([]windows.LUID, error) {
	privilegeLUIDOnce.Do(func() {
		for _, name := range backupPrivileges {
			var luid windows.LUID
			if err := windows.LookupPrivilegeValue(nil, windows.StringToUTF16Ptr(name), &luid); err != nil {
				privilegeLUIDsErr = fmt.Errorf("looking up %s: %w", name, err)
				return
			}
			privilegeLUIDs = append(privilegeLUIDs, luid)
		}
	})
	return privilegeLUIDs, privilegeLUIDsErr
}

// errNotElevated is wrapped by withPrivileges' error when the process does
// not hold the privileges.
var errNotElevated = errors.New("privilege not held: run elevated (as an administrator)")

// withPrivileges runs fn on an OS thread that impersonates the process
// with SeBackupPrivilege and SeRestorePrivilege enabled, and only there:
// other goroutines, and the process's own token, are unaffected. It fails
// when the process does not hold the privileges (it is not elevated).
func withPrivileges(fn func() error) error {
	luids, err := lookupPrivileges()
	if err != nil {
		return err
	}
	runtime.LockOSThread()
	if err := windows.ImpersonateSelf(windows.SecurityImpersonation); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("impersonating the process: %w", err)
	}
	defer func() {
		// A thread that cannot stop impersonating stays locked: Go ends
		// it with this goroutine instead of reusing it.
		if windows.RevertToSelf() == nil {
			runtime.UnlockOSThread()
		}
	}()
	var tok windows.Token
	if err := windows.OpenThreadToken(windows.CurrentThread(), windows.TOKEN_ADJUST_PRIVILEGES|windows.TOKEN_QUERY, false, &tok); err != nil {
		return fmt.Errorf("opening the thread's token: %w", err)
	}
	defer tok.Close()
	for _, luid := range luids {
		tp := windows.Tokenprivileges{PrivilegeCount: 1}
		tp.Privileges[0] = windows.LUIDAndAttributes{Luid: luid, Attributes: windows.SE_PRIVILEGE_ENABLED}
		if err := windows.AdjustTokenPrivileges(tok, false, &tp, 0, nil, nil); err != nil {
			return fmt.Errorf("enabling %v: %w", backupPrivileges, err)
		}
	}
	// AdjustTokenPrivileges succeeds for privileges the token lacks (it
	// sets ERROR_NOT_ALL_ASSIGNED): check what is enabled.
	if err := checkEnabled(tok, luids); err != nil {
		return err
	}
	return fn()
}

// checkEnabled fails unless every privilege of luids is enabled in tok.
func checkEnabled(tok windows.Token, luids []windows.LUID) error {
	var n uint32
	_ = windows.GetTokenInformation(tok, windows.TokenPrivileges, nil, 0, &n)
	if n == 0 {
		return fmt.Errorf("reading the thread's privileges: no size")
	}
	buf := make([]uint64, (n+7)/8) // 8-byte aligned, as TOKEN_PRIVILEGES needs
	// SAFETY: buf is n bytes or more, aligned, and GetTokenInformation
	// writes a TOKEN_PRIVILEGES of at most n bytes into it; AllPrivileges
	// slices its array by PrivilegeCount, within what was written. buf
	// stays alive while held is used (held is used within this function).
	p := unsafe.Pointer(&buf[0])
	if err := windows.GetTokenInformation(tok, windows.TokenPrivileges, (*byte)(p), n, &n); err != nil {
		return fmt.Errorf("reading the thread's privileges: %w", err)
	}
	held := (*windows.Tokenprivileges)(p).AllPrivileges()
	for i, luid := range luids {
		enabled := false
		for _, p := range held {
			if p.Luid == luid && p.Attributes&windows.SE_PRIVILEGE_ENABLED != 0 {
				enabled = true
			}
		}
		if !enabled {
			return fmt.Errorf("%s: %w", backupPrivileges[i], errNotElevated)
		}
	}
	return nil
}
