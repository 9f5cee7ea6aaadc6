package hcs

// OpenRegistryEntries returns the number of entries in the two registries
// the native callbacks dispatch through: operations not yet finished (ops)
// and event sinks of handles not yet closed (sinks). Both are zero once
// every handle is closed and Host.Drain has returned.
func OpenRegistryEntries() (operations, eventSinks int) {
	ops.Range(func(any, any) bool { operations++; return true })
	sinks.Range(func(any, any) bool { eventSinks++; return true })
	return operations, eventSinks
}
