// Package layers mounts and manages the storage of Windows containers: the
// read-only layers of an image and the writable scratch layer a container
// runs on.
//
// A process-isolated container's document names a volume in
// Container.Storage.Path and the image's layers in Storage.Layers. The
// volume comes from mounting a scratch layer over the image's layers:
//
//	lh := layers.Local() // or sim.Layers() on the simulator
//	parents := []string{`C:\layers\app`, `C:\layers\nanoserver`} // nearest first, base last
//	if err := lh.CreateScratch(ctx, `C:\scratch\web`, parents, 0); err != nil {
//		return err
//	}
//	m, err := lh.Mount(ctx, `C:\scratch\web`, parents)
//	if err != nil {
//		return err
//	}
//	defer m.Release(ctx)             // after the container has stopped
//	storage := m.Storage()           // *schema.Storage for the document
//
// Package container builds the rest of the document.
//
// # Layer order
//
// Every list of parent layers is ordered nearest first, base last: the
// layer directly below first, the image's base layer (nanoserver,
// servercore) last. That is the order of a layer folder's layerchain.json
// and of Storage.Layers. The calls that take parents check the order
// against the parents' layerchain.json files, where they have one, and say
// what is wrong before asking Windows. Chain gives the whole list from an
// image's top layer.
//
// # Layer ids
//
// HCS knows a layer by the GUID that vmcompute.dll's NameToGuid gives for
// its folder's name. How Windows computes it is not published, so only a
// Host can: see Host.LayerID. The simulator computes ids of its own.
//
// # The layer service
//
// On Windows, Local drives the layer calls of vmcompute.dll — undocumented
// but used by every runtime (Docker, containerd, hcsshim), whose behaviour
// this package follows — and of computestorage.dll. They need an elevated
// process: an error from a process that is not says so. Package hcssim
// provides a simulated layer service with the same states and errors,
// whose layer folders are real directories, for tests on any OS.
//
// What runtimes learned the hard way is inside: PrepareLayer runs one call
// at a time in the process (concurrent calls make Windows time out), the
// activation and preparation are retried when Windows reports the disk not
// ready (ERROR_NOT_READY, ERROR_DEVICE_NOT_CONNECTED), and a failure in the
// middle of Mount undoes what was done.
//
// # Waiting and cancellation
//
// The layer calls block their thread until Windows is done, and cannot be
// interrupted. Every method that makes them takes a context and runs them
// on a goroutine of its own: when the context ends first, the method
// returns the context's error at once; the work finishes in the
// background and is then undone (a mount is released, a scratch layer
// removed). Host.Drain waits for that background work.
//
// # Errors
//
// Failures are *Error values naming the operation, the layer folder and
// the entry point that failed; the cause is an hcs.HRESULT classified by
// the sentinels of package hcs (hcs.ErrNotFound, hcs.ErrInvalidState for
// a layer in use or not mounted, hcs.ErrAccessDenied without elevation,
// ...).
package layers
