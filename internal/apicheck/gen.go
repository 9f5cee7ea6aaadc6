// Package apicheck holds the record of the module's exported API: api.txt,
// which go generate rewrites from the code (see apilist) and make test
// checks for a diff, and apicheck.sh, which classifies the changes since a
// base commit with apidiff.
package apicheck

//go:generate go run ./apilist -o api.txt github.com/gohcs/hcs/...
