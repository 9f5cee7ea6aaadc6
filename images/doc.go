// Package images pulls Windows container images into a content store on
// disk, for the layers of package layertar to be imported from.
//
//	store, err := images.Open(dir)
//	host, err := images.HostOSVersion() // on Windows; pick one elsewhere
//	im, err := store.Pull(ctx, "mcr.microsoft.com/windows/nanoserver:ltsc2022",
//		images.PullOptions{OSVersion: host, Progress: show})
//	for _, l := range im.Layers { // the base layer first
//		tar, err := store.OpenLayer(ctx, l) // uncompressed, verified at EOF
//		...
//	}
//
// Pull resolves a reference with github.com/google/go-containerregistry,
// the registry client of the Go ecosystem, with the credentials docker
// and crane use. From a multi-platform index it picks the Windows image
// the host can run with process isolation (OSVersion.CanRun) and says,
// when there is none, which builds the host runs and which the index
// offers. It downloads blobs concurrently, resumes broken downloads,
// fetches foreign layers from their own URLs, verifies every digest and
// reports progress. The Store keeps blobs by digest and a catalog of
// images by reference; writes are atomic, and several processes may share
// a store (see Store).
//
// Importing the layers into layer folders HCS mounts is the job of the
// layer package; Image.ChainIDs gives the keys to import each layer once.
package images
