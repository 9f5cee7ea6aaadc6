//go:build !windows

package images

// platformLayerServices: none but the simulator off Windows.
var platformLayerServices []layerService
