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
// retries transient registry failures, fetches foreign layers from their
// own URLs when they are on hosts it allows (Microsoft's, over https, by
// default; PullOptions.ForeignURLs), verifies every digest and reports
// progress. The Store keeps blobs by digest and a catalog of
// images by reference; writes are atomic, and several processes may share
// a store (see Store).
//
// Store.Unpack makes an image's layers into the layer folders HCS mounts,
// through a layer service of package layers (layers.Local on Windows,
// hcssim's elsewhere), each layer once, under its chain id
// (Image.ChainIDs); an interrupted or failed unpacking leaves nothing a
// later one trusts:
//
//	u, err := store.Unpack(ctx, im, lh, root, images.UnpackOptions{})
//	defer u.Close() // once the container is gone: Remove refuses meanwhile
//	err = lh.CreateScratch(ctx, scratch, u.Layers(), 0)
//
// Remove, given the layer service and the root (RemoveOptions), destroys
// the layer folders of the image no other image uses.
package images
