// Package container builds the HCS document of a process-isolated Windows
// container: from the storage a scratch layer mount gives (package
// layers) and the few things a runtime decides — owner, host name, mapped
// directories and pipes, processor and memory limits, network namespace —
// a complete *schema.ComputeSystem to pass to hcs.Host.CreateSystem.
//
//	doc, err := (&container.Config{
//		Owner:    "my-runtime",
//		Storage:  mount.Storage(), // a *layers.Mount
//		HostName: "web",
//		MappedDirectories: []container.MappedDirectory{
//			{HostPath: `C:\data\web`, ContainerPath: `C:\data`, ReadOnly: true},
//		},
//		MemoryMB: 2048,
//	}).Document()
//
// Config checks what it is given and says what is wrong, before HCS sees
// the document; the document it returns is the caller's to amend (registry
// changes, devices, ...).
//
// It is a package of its own, not part of package layers, because it
// needs no layer service (it imports only packages schema and hcs, the
// latter for ErrInvalidArgument): storage mounted by other means
// (hcsshim, a CimFS mount) serves as well, and the builder runs, and is
// tested, on every OS.
//
// # Networking
//
// Networking is out of scope: a container joins the network namespace
// whose GUID Config.NetworkNamespace gives, and without one it has no
// network. The Host Networking Service makes namespaces and endpoints;
// with Microsoft's hnslib module (github.com/Microsoft/hnslib/hcn), a
// runtime creates a namespace, attaches an endpoint of an existing
// network to it, and passes the namespace's id:
//
//	ns, err := hcn.NewNamespace(hcn.NamespaceTypeHostDefault).Create()
//	// ep is an *hcn.HostComputeEndpoint created on a network (hcn.GetNetworkByName("nat"), ...)
//	err = hcn.AddNamespaceEndpoint(ns.Id, ep.Id)
//	cfg.NetworkNamespace = ns.Id
//
// and deletes the namespace (ns.Delete) once the container has stopped.
package container
