//go:build !windows

package main

import "github.com/gohcs/hcs"

// localHost returns nil: HCS runs on Windows only, and hcs uses the
// simulator instead.
func localHost() (*hcs.Host, error) { return nil, nil }

// simReason completes the notice that hcs uses the simulator.
func simReason(chosen bool) string {
	if chosen {
		return ""
	}
	return "; HCS itself runs on Windows only"
}
