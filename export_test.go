package hcs

import "time"

// OpenRegistryEntries returns the number of entries in the two registries
// the native callbacks dispatch through: operations not yet finished (ops)
// and event sinks of handles not yet closed (sinks). Both are zero once
// every handle is closed and Host.Drain has returned.
func OpenRegistryEntries() (operations, eventSinks int) {
	return ops.len(), sinks.len()
}

// SetOrphanTimeout sets how long terminating an orphan waits for HCS before
// giving up waiting, and returns a function that restores it.
func SetOrphanTimeout(d time.Duration) (restore func()) {
	old := orphanTimeout.Swap(int64(d))
	return func() { orphanTimeout.Store(old) }
}
