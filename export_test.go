package hcs

// OpenRegistryEntries returns the number of entries in the two registries
// the native callbacks dispatch through: operations not yet finished (ops)
// and event sinks of handles not yet closed (sinks). Both are zero once
// every handle is closed and Host.Drain has returned.
func OpenRegistryEntries() (operations, eventSinks int) {
	return ops.len(), sinks.len()
}
