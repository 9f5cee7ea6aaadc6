package spec

import "fmt"

// An override corrects or extends the published sources where what HCS and
// widely used clients put on the wire differs from them. Every entry says
// why it exists. Overrides never remove anything the sources list.
//
// An entry does one of four things: with Define, it defines a new object
// type (Define "object") or enum (Define "enum") named Type; with Value, it
// adds a value to an enum; with Field and Add, it adds a field to an
// object; with Field alone, it adds a note to a field the sources list.
// Entries apply in order, so a type is defined before its fields are added.
type override struct {
	Type   string   // definition name
	Define string   // "object" or "enum": define Type (it must not exist yet), or
	Field  string   // wire name of a field of an object, or
	Value  string   // a value to add to an enum (it must not exist yet)
	Add    *TypeRef // with Field, non-nil: add the field (it must not exist yet)
	Note   string   // becomes part of the type's, field's or value's doc comment
}

var overrides = []override{
	{
		Type: "VirtualMachine_Memory", Field: "Backing",
		Add: &TypeRef{Kind: KindString},
		Note: "Backing selects how guest memory is backed: \"Virtual\" (pageable, the default), " +
			"\"Physical\" or \"Hybrid\". Microsoft's own samples (Tutorial.md, OperationCompletionSample.md, " +
			"EventCallbackSample.md) send it; neither published source lists it.",
	},
	{
		Type: "ProcessParameters", Field: "ConsoleSize",
		Note: "ConsoleSize holds two numbers, height then width (SchemaReference.md types it as a " +
			"two-element uint16 array; older clients send int64s, which decode as long as they fit).",
	},
	{
		Type: "ProcessParameters", Field: "CreateInUtilityVM",
		Add: &TypeRef{Kind: KindBool},
		Note: "CreateInUtilityVM asks HCS to start the process in the utility VM hosting a " +
			"Hyper-V isolated container rather than in the container. hcsshim sends it; neither " +
			"published source lists it.",
	},
	{
		Type: "Container", Field: "IsolationType",
		Add: &TypeRef{Kind: KindString},
		Note: "IsolationType selects the container kind; hcsshim sends \"HostProcess\" for " +
			"Windows HostProcess containers and \"Process\" otherwise. Neither published source lists it.",
	},
	{
		Type: "Plan9Share", Field: "Flags",
		Add: &TypeRef{Kind: KindInt, Format: "uint32"},
		Note: "Flags is a bit mask of share options: 0x1 read-only, 0x4 Linux metadata, 0x8 case " +
			"sensitive, 0x80 restricted to AllowedFiles. hcsshim sets it on every Plan9 share of a " +
			"Linux utility VM; neither published source lists it.",
	},
	{
		Type: "Attachment", Field: "ExtensibleVirtualDiskType",
		Add: &TypeRef{Kind: KindString},
		Note: "ExtensibleVirtualDiskType names the provider of an attachment of type " +
			"\"ExtensibleVirtualDisk\". hcsshim sends it; neither published source lists it.",
	},
	{
		Type: "AttachmentType", Value: "ExtensibleVirtualDisk",
		Note: "A disk served by an extensible virtual disk provider, named by " +
			"Attachment.ExtensibleVirtualDiskType. hcsshim sends it; neither published source lists it.",
	},

	// Members that live hosts send and that hcsshim's internal/hcs/schema2
	// (generated from Microsoft's newer, unpublished schema) or its
	// schema1 package type, found with their shapes by issue 16.
	{
		Type: "NetworkStats", Define: "object",
		Note: "NetworkStats is the traffic of one network endpoint of a compute system, an element of " +
			"Statistics.Network; the counters are cumulative. Its shape is hcsshim's schema1.NetworkStats " +
			"(the statistics of schema 1, which windows_exporter read until 2023) and HNS's endpoint " +
			"statistics, which have the same members. Neither published source lists it.",
	},
	{Type: "NetworkStats", Field: "BytesReceived", Add: &TypeRef{Kind: KindInt, Format: "uint64"},
		Note: "BytesReceived counts the bytes the endpoint received."},
	{Type: "NetworkStats", Field: "BytesSent", Add: &TypeRef{Kind: KindInt, Format: "uint64"},
		Note: "BytesSent counts the bytes the endpoint sent."},
	{Type: "NetworkStats", Field: "PacketsReceived", Add: &TypeRef{Kind: KindInt, Format: "uint64"},
		Note: "PacketsReceived counts the packets the endpoint received."},
	{Type: "NetworkStats", Field: "PacketsSent", Add: &TypeRef{Kind: KindInt, Format: "uint64"},
		Note: "PacketsSent counts the packets the endpoint sent."},
	{Type: "NetworkStats", Field: "DroppedPacketsIncoming", Add: &TypeRef{Kind: KindInt, Format: "uint64"},
		Note: "DroppedPacketsIncoming counts the incoming packets dropped; absent where HCS does not report drops."},
	{Type: "NetworkStats", Field: "DroppedPacketsOutgoing", Add: &TypeRef{Kind: KindInt, Format: "uint64"},
		Note: "DroppedPacketsOutgoing counts the outgoing packets dropped; absent where HCS does not report drops."},
	{Type: "NetworkStats", Field: "EndpointId", Add: &TypeRef{Kind: KindString, Format: "guid"},
		Note: "EndpointID is the HNS endpoint the counters are for."},
	{Type: "NetworkStats", Field: "InstanceId", Add: &TypeRef{Kind: KindString},
		Note: "InstanceID identifies the instance of the endpoint the counters were read from, as HNS reports it."},
	{
		Type: "Statistics", Field: "Network",
		Add: &TypeRef{Kind: KindArray, Elem: &TypeRef{Kind: KindRef, Ref: "NetworkStats"}},
		Note: "Network holds the traffic of each network endpoint of the system. HCS sends it in schema 2 " +
			"statistics too: a live capture of a Hyper-V isolated container without endpoints published by " +
			"AspireHcs (Windows Server 2025) carries \"Network\": []. windows_exporter reports that the " +
			"statistics of containers created with schema 2 may lack the counters and reads them from HNS " +
			"instead (its commit 9adefdce, 2023). Neither published source lists it.",
	},
	{
		Type: "Properties", Field: "RuntimeImagePath", Add: &TypeRef{Kind: KindString},
		Note: "RuntimeImagePath is the folder of the image the system runs from: for a Hyper-V isolated " +
			"container, the UtilityVM folder of its base layer. hcsshim's schema1.ContainerProperties types " +
			"it and a live capture published by AspireHcs carries it; neither published source lists it.",
	},
	{
		Type: "Properties", Field: "ServiceSessionId", Add: &TypeRef{Kind: KindInt, Format: "uint32"},
		Note: "ServiceSessionID is a session number HCS reports for the system; its meaning is not " +
			"documented. A live capture published by AspireHcs carries it (1 for a Hyper-V isolated " +
			"container); neither published source lists it.",
	},
	{
		Type: "MemoryTopology", Define: "object",
		Note: "MemoryTopology reports the guest memory access tracking of a compute system; its meaning is " +
			"not documented beyond the member names. A live capture of a Hyper-V isolated container " +
			"published by AspireHcs carries it in Properties, every member false or 0; neither published " +
			"source lists it.",
	},
	{Type: "MemoryTopology", Field: "AccessTrackingEnabled", Add: &TypeRef{Kind: KindBool},
		Note: "AccessTrackingEnabled reports whether guest memory access tracking is on."},
	{Type: "MemoryTopology", Field: "HardwareAccessTrackingSupported", Add: &TypeRef{Kind: KindBool},
		Note: "HardwareAccessTrackingSupported reports whether the hardware can track memory accesses."},
	{Type: "MemoryTopology", Field: "DeviceAccessTrackingSupported", Add: &TypeRef{Kind: KindBool},
		Note: "DeviceAccessTrackingSupported reports whether device memory accesses can be tracked."},
	{Type: "MemoryTopology", Field: "AccessTrackingRangeSizeInPages", Add: &TypeRef{Kind: KindInt, Format: "uint64"},
		Note: "AccessTrackingRangeSizeInPages is the size of a tracked range, in pages."},
	{Type: "MemoryTopology", Field: "AccessTrackingBitmapSizeInBits", Add: &TypeRef{Kind: KindInt, Format: "uint64"},
		Note: "AccessTrackingBitmapSizeInBits is the size of the tracking bitmap, in bits."},
	{Type: "MemoryTopology", Field: "GpaMappingSizeInPages", Add: &TypeRef{Kind: KindInt, Format: "uint64"},
		Note: "GPAMappingSizeInPages is the size of the guest physical address mapping, in pages."},
	{
		Type: "Properties", Field: "MemoryTopology", Add: &TypeRef{Kind: KindRef, Ref: "MemoryTopology"},
		Note: "MemoryTopology reports the guest memory access tracking of the system. A live capture " +
			"published by AspireHcs carries it; neither published source lists it.",
	},
	{
		Type: "SecuritySettings", Define: "object",
		Note: "SecuritySettings configures the security of a virtual machine: its virtual TPM and its " +
			"guest isolation (the confidential computing modes). Secure boot is configured elsewhere, by " +
			"Chipset.UEFI.ApplySecureBootTemplate. The shape is hcsshim's internal/hcs/schema2, " +
			"generated from Microsoft's schema 2.4; hcsshim sends it for confidential Linux and Windows " +
			"utility VMs. Neither published source lists it.",
	},
	{Type: "SecuritySettings", Field: "EnableTpm", Add: &TypeRef{Kind: KindBool},
		Note: "EnableTPM gives the virtual machine a virtual Trusted Platform Module. hcsshim keeps it " +
			"false in confidential (isolated) mode."},
	{Type: "SecuritySettings", Field: "Isolation", Add: &TypeRef{Kind: KindRef, Ref: "IsolationSettings"},
		Note: "Isolation selects and configures the guest isolation."},
	{
		Type: "IsolationSettings", Define: "object",
		Note: "IsolationSettings configures the guest isolation of a virtual machine, which decides its " +
			"virtual trust levels. The shape is hcsshim's internal/hcs/schema2, generated from " +
			"Microsoft's schema 2.4; neither published source lists it.",
	},
	{Type: "IsolationSettings", Field: "IsolationType", Add: &TypeRef{Kind: KindString},
		Note: "IsolationType is the isolation mode. hcsshim sends \"SecureNestedPaging\" (AMD SEV-SNP), " +
			"\"VirtualizationBasedSecurity\" and \"GuestStateOnly\"."},
	{Type: "IsolationSettings", Field: "DebugHost", Add: &TypeRef{Kind: KindString},
		Note: "DebugHost is the host, with DebugPort its port, for debugging the paravisor (HCL) of the " +
			"isolated guest; hcsshim never sets it."},
	{Type: "IsolationSettings", Field: "DebugPort", Add: &TypeRef{Kind: KindInt, Format: "int64"},
		Note: "DebugPort is the port of DebugHost."},
	{Type: "IsolationSettings", Field: "LaunchData", Add: &TypeRef{Kind: KindString},
		Note: "LaunchData is data, base64 encoded, that the host passes to the isolated guest at start: " +
			"hcsshim sends the digest of the security policy, which SEV-SNP reports back as the HOST_DATA " +
			"of the guest's attestation report."},
	{Type: "IsolationSettings", Field: "HclEnabled", Add: &TypeRef{Kind: KindBool},
		Note: "HCLEnabled runs the guest under its paravisor (HCL). hcsshim " +
			"notes that schema 2.5 lacks it and that schema 2.6 requires it with a BlockStorage guest " +
			"state file."},
	{
		Type: "VirtualMachine", Field: "SecuritySettings", Add: &TypeRef{Kind: KindRef, Ref: "SecuritySettings"},
		Note: "SecuritySettings configures the virtual TPM and the guest isolation (confidential " +
			"computing). hcsshim's internal/hcs/schema2 types it and hcsshim sends it for confidential " +
			"utility VMs; neither published source lists it.",
	},
	{
		Type: "GuestState", Field: "GuestStateFileType", Add: &TypeRef{Kind: KindString},
		Note: "GuestStateFileType says how GuestStateFilePath is stored, as the guest isolation mode " +
			"requires: \"FileMode\" (a VMGS file) or \"BlockStorage\". hcsshim's internal/hcs/schema2 " +
			"types it and hcsshim sends both values for confidential utility VMs; neither published " +
			"source lists it.",
	},
}

func (m *Model) applyOverrides() error {
	for _, o := range overrides {
		if o.Define != "" {
			if err := m.define(o); err != nil {
				return err
			}
			continue
		}
		t := m.byName[o.Type]
		if t == nil {
			return fmt.Errorf("override: no definition %s", o.Type)
		}
		if o.Value != "" {
			switch {
			case o.Field != "" || o.Add != nil:
				return fmt.Errorf("override of %s value %q also names a field", o.Type, o.Value)
			case !t.Enum:
				return fmt.Errorf("override adds value %q to %s, which is not an enum", o.Value, o.Type)
			case t.value(o.Value) != nil:
				return fmt.Errorf("override adds %s value %q, which the sources now list: drop the entry", o.Type, o.Value)
			}
			t.Values = append(t.Values, &Value{Value: o.Value, Description: o.Note,
				SinceFrom: OverrideSource, Sources: []string{OverrideSource}})
			continue
		}
		f := t.field(o.Field)
		switch {
		case o.Add != nil && f != nil:
			return fmt.Errorf("override adds %s.%s, which the sources now list: drop the entry", o.Type, o.Field)
		case o.Add == nil && f == nil:
			return fmt.Errorf("override: no field %s.%s", o.Type, o.Field)
		case o.Add != nil:
			f = &Field{Name: o.Field, Type: o.Add, SinceFrom: OverrideSource, Sources: []string{OverrideSource}}
			t.Fields = append(t.Fields, f)
		}
		f.Note = o.Note
	}
	return nil
}

// define applies an override that defines a type.
func (m *Model) define(o override) error {
	switch {
	case o.Field != "" || o.Value != "" || o.Add != nil:
		return fmt.Errorf("override defining %s also names a field or value", o.Type)
	case o.Define != "object" && o.Define != "enum":
		return fmt.Errorf("override defines %s as %q, not \"object\" or \"enum\"", o.Type, o.Define)
	case m.byName[o.Type] != nil:
		return fmt.Errorf("override defines %s, which the sources now list: drop the entry", o.Type)
	}
	t := &Type{Name: o.Type, Enum: o.Define == "enum", Description: o.Note,
		SinceFrom: OverrideSource, Sources: []string{OverrideSource}}
	m.byName[t.Name] = t
	m.Types = append(m.Types, t)
	return nil
}

// Overrides describes the override table, one line an entry, for the
// generator's documentation and tests.
func Overrides() []string {
	var out []string
	for _, o := range overrides {
		switch {
		case o.Define != "":
			out = append(out, fmt.Sprintf("define %s %s: %s", o.Define, o.Type, o.Note))
			continue
		case o.Value != "":
			out = append(out, fmt.Sprintf("add %s value %q: %s", o.Type, o.Value, o.Note))
			continue
		}
		verb := "note"
		if o.Add != nil {
			verb = "add"
		}
		out = append(out, fmt.Sprintf("%s %s.%s: %s", verb, o.Type, o.Field, o.Note))
	}
	return out
}
