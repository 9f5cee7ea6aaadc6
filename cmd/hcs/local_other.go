//go:build !windows

package main

import "github.com/gohcs/hcs"

// localHost returns nil: HCS runs on Windows only, and hcs uses the
// simulator instead.
func localHost() (*hcs.Host, error) { return nil, nil }
