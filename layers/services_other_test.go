//go:build !windows

package layers_test

// platformServices: none but the simulator off Windows.
var platformServices []service
