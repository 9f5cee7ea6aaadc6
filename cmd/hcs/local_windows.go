package main

import (
	"errors"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs"
)

// localHost returns this machine's HCS. HCS serves administrators only:
// from a prompt that is not elevated, localHost says so instead of letting
// every call fail with access denied.
func localHost() (*hcs.Host, error) {
	if !windows.GetCurrentProcessToken().IsElevated() {
		return nil, errors.New("the Host Compute Service needs an elevated prompt: run hcs as administrator (or use --sim for the simulator)")
	}
	return hcs.Local(), nil
}
