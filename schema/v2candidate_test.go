package schema

import (
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The encoding/json/v2 candidate of issue 16 §3: the benchmarked types as a
// v2 engine would have them — the same fields as package schema's, tags,
// an embedded fallback member (`embed`) for Unknown, and no generated methods — decoded and
// encoded by github.com/go-json-experiment/json (the code of Go's
// encoding/json/v2). Members whose types the benchmark documents do not use
// are jsontext.Value.

var v2New = []func() any{func() any { return new(v2Properties) }, func() any { return new(v2ComputeSystem) }}

func init() {
	benchCodecs = append(benchCodecs, benchCodec{"v2", false, func(i int) any { return v2New[i]() },
		func(data []byte, v any) error { return jsonv2.Unmarshal(data, v) },
		func(v any) ([]byte, error) { return jsonv2.Marshal(v, jsonv2.Deterministic(true)) }})
}

type v2Properties struct {
	ID                          string                    `json:"Id,omitempty"`
	SystemType                  SystemType                `json:"SystemType,omitempty"`
	RuntimeOSType               OSType                    `json:"RuntimeOsType,omitempty"`
	Name                        string                    `json:"Name,omitempty"`
	Owner                       string                    `json:"Owner,omitempty"`
	RuntimeID                   string                    `json:"RuntimeId,omitempty"`
	RuntimeTemplateID           string                    `json:"RuntimeTemplateId,omitempty"`
	State                       State                     `json:"State,omitempty"`
	Stopped                     *bool                     `json:"Stopped,omitempty"`
	ExitType                    NotificationType          `json:"ExitType,omitempty"`
	Memory                      jsontext.Value            `json:"Memory,omitempty"`
	Statistics                  *v2Statistics             `json:"Statistics,omitempty"`
	ProcessList                 []v2ProcessDetails        `json:"ProcessList,omitzero"`
	TerminateOnLastHandleClosed *bool                     `json:"TerminateOnLastHandleClosed,omitempty"`
	HostingSystemID             string                    `json:"HostingSystemId,omitempty"`
	SharedMemoryRegionInfo      jsontext.Value            `json:"SharedMemoryRegionInfo,omitzero"`
	GuestConnectionInfo         jsontext.Value            `json:"GuestConnectionInfo,omitempty"`
	ICHeartbeatStatus           jsontext.Value            `json:"ICHeartbeatStatus,omitempty"`
	PropertyResponses           jsontext.Value            `json:"PropertyResponses,omitzero"`
	RuntimeImagePath            string                    `json:"RuntimeImagePath,omitempty"`
	ServiceSessionID            *uint32                   `json:"ServiceSessionId,omitempty"`
	MemoryTopology              jsontext.Value            `json:"MemoryTopology,omitempty"`
	Unknown                     map[string]jsontext.Value `json:",embed"`
}

type v2Statistics struct {
	Timestamp          time.Time                 `json:"Timestamp,omitzero"`
	ContainerStartTime time.Time                 `json:"ContainerStartTime,omitzero"`
	Uptime100ns        *uint64                   `json:"Uptime100ns,omitempty"`
	Processor          *v2ProcessorStats         `json:"Processor,omitempty"`
	Memory             *v2MemoryStats            `json:"Memory,omitempty"`
	Storage            *v2StorageStats           `json:"Storage,omitempty"`
	Network            jsontext.Value            `json:"Network,omitzero"`
	Unknown            map[string]jsontext.Value `json:",embed"`
}

type v2ProcessorStats struct {
	TotalRuntime100ns  *uint64                   `json:"TotalRuntime100ns,omitempty"`
	RuntimeUser100ns   *uint64                   `json:"RuntimeUser100ns,omitempty"`
	RuntimeKernel100ns *uint64                   `json:"RuntimeKernel100ns,omitempty"`
	Unknown            map[string]jsontext.Value `json:",embed"`
}

type v2MemoryStats struct {
	MemoryUsageCommitBytes            *uint64                   `json:"MemoryUsageCommitBytes,omitempty"`
	MemoryUsageCommitPeakBytes        *uint64                   `json:"MemoryUsageCommitPeakBytes,omitempty"`
	MemoryUsagePrivateWorkingSetBytes *uint64                   `json:"MemoryUsagePrivateWorkingSetBytes,omitempty"`
	Unknown                           map[string]jsontext.Value `json:",embed"`
}

type v2StorageStats struct {
	ReadCountNormalized  *uint64                   `json:"ReadCountNormalized,omitempty"`
	ReadSizeBytes        *uint64                   `json:"ReadSizeBytes,omitempty"`
	WriteCountNormalized *uint64                   `json:"WriteCountNormalized,omitempty"`
	WriteSizeBytes       *uint64                   `json:"WriteSizeBytes,omitempty"`
	Unknown              map[string]jsontext.Value `json:",embed"`
}

type v2ProcessDetails struct {
	ProcessID                    *uint32                   `json:"ProcessId,omitempty"`
	ImageName                    string                    `json:"ImageName,omitempty"`
	CreateTimestamp              time.Time                 `json:"CreateTimestamp,omitzero"`
	UserTime100ns                *uint64                   `json:"UserTime100ns,omitempty"`
	KernelTime100ns              *uint64                   `json:"KernelTime100ns,omitempty"`
	MemoryCommitBytes            *uint64                   `json:"MemoryCommitBytes,omitempty"`
	MemoryWorkingSetPrivateBytes *uint64                   `json:"MemoryWorkingSetPrivateBytes,omitempty"`
	MemoryWorkingSetSharedBytes  *uint64                   `json:"MemoryWorkingSetSharedBytes,omitempty"`
	Unknown                      map[string]jsontext.Value `json:",embed"`
}

type v2ComputeSystem struct {
	Owner                             string                    `json:"Owner,omitempty"`
	SchemaVersion                     *v2Version                `json:"SchemaVersion,omitempty"`
	HostingSystemID                   string                    `json:"HostingSystemId,omitempty"`
	HostedSystem                      jsontext.Value            `json:"HostedSystem,omitzero"`
	Container                         *v2Container              `json:"Container,omitempty"`
	VirtualMachine                    *v2VirtualMachine         `json:"VirtualMachine,omitempty"`
	ShouldTerminateOnLastHandleClosed *bool                     `json:"ShouldTerminateOnLastHandleClosed,omitempty"`
	Unknown                           map[string]jsontext.Value `json:",embed"`
}

type v2Version struct {
	Major   *uint32                   `json:"Major,omitempty"`
	Minor   *uint32                   `json:"Minor,omitempty"`
	Unknown map[string]jsontext.Value `json:",embed"`
}

type v2VirtualMachine struct {
	StopOnReset      *bool                     `json:"StopOnReset,omitempty"`
	Chipset          *v2Chipset                `json:"Chipset,omitempty"`
	ComputeTopology  *v2Topology               `json:"ComputeTopology,omitempty"`
	Devices          *v2Devices                `json:"Devices,omitempty"`
	GuestState       jsontext.Value            `json:"GuestState,omitempty"`
	RestoreState     jsontext.Value            `json:"RestoreState,omitempty"`
	RegistryChanges  jsontext.Value            `json:"RegistryChanges,omitempty"`
	StorageQoS       jsontext.Value            `json:"StorageQoS,omitempty"`
	GuestConnection  jsontext.Value            `json:"GuestConnection,omitempty"`
	Services         jsontext.Value            `json:"Services,omitempty"`
	Version          *v2Version                `json:"Version,omitempty"`
	SecuritySettings jsontext.Value            `json:"SecuritySettings,omitempty"`
	Unknown          map[string]jsontext.Value `json:",embed"`
}

type v2Chipset struct {
	UEFI                  *v2UEFI                   `json:"Uefi,omitempty"`
	IsNumLockDisabled     *bool                     `json:"IsNumLockDisabled,omitempty"`
	BaseBoardSerialNumber string                    `json:"BaseBoardSerialNumber,omitempty"`
	ChassisSerialNumber   string                    `json:"ChassisSerialNumber,omitempty"`
	ChassisAssetTag       string                    `json:"ChassisAssetTag,omitempty"`
	UseUTC                *bool                     `json:"UseUtc,omitempty"`
	LinuxKernelDirect     jsontext.Value            `json:"LinuxKernelDirect,omitempty"`
	EnableHibernation     *bool                     `json:"EnableHibernation,omitempty"`
	Unknown               map[string]jsontext.Value `json:",embed"`
}

type v2UEFI struct {
	EnableDebugger          *bool                       `json:"EnableDebugger,omitempty"`
	SecureBootTemplateID    string                      `json:"SecureBootTemplateId,omitempty"`
	BootThis                *v2UEFIBootEntry            `json:"BootThis,omitempty"`
	Console                 SerialConsole               `json:"Console,omitempty"`
	StopOnBootFailure       *bool                       `json:"StopOnBootFailure,omitempty"`
	ApplySecureBootTemplate ApplySecureBootTemplateType `json:"ApplySecureBootTemplate,omitempty"`
	Unknown                 map[string]jsontext.Value   `json:",embed"`
}

type v2UEFIBootEntry struct {
	DeviceType    UEFIBootDevice            `json:"DeviceType,omitempty"`
	DevicePath    string                    `json:"DevicePath,omitempty"`
	DiskNumber    *uint16                   `json:"DiskNumber,omitempty"`
	OptionalData  string                    `json:"OptionalData,omitempty"`
	VmbFsRootPath string                    `json:"VmbFsRootPath,omitempty"`
	Unknown       map[string]jsontext.Value `json:",embed"`
}

type v2Topology struct {
	Memory    *v2VirtualMachineMemory    `json:"Memory,omitempty"`
	Processor *v2VirtualMachineProcessor `json:"Processor,omitempty"`
	Unknown   map[string]jsontext.Value  `json:",embed"`
}

type v2VirtualMachineMemory struct {
	SizeInMB                       *uint64                   `json:"SizeInMB,omitempty"`
	AllowOvercommit                *bool                     `json:"AllowOvercommit,omitempty"`
	BackingPageSize                MemoryBackingPageSize     `json:"BackingPageSize,omitempty"`
	FaultClusterSizeShift          *uint32                   `json:"FaultClusterSizeShift,omitempty"`
	DirectMapFaultClusterSizeShift *uint32                   `json:"DirectMapFaultClusterSizeShift,omitempty"`
	PinBackingPages                *bool                     `json:"PinBackingPages,omitempty"`
	ForbidSmallBackingPages        *bool                     `json:"ForbidSmallBackingPages,omitempty"`
	EnableHotHint                  *bool                     `json:"EnableHotHint,omitempty"`
	EnableColdHint                 *bool                     `json:"EnableColdHint,omitempty"`
	EnableColdDiscardHint          *bool                     `json:"EnableColdDiscardHint,omitempty"`
	EnableDeferredCommit           *bool                     `json:"EnableDeferredCommit,omitempty"`
	LowMMIOGapInMB                 *uint64                   `json:"LowMmioGapInMB,omitempty"`
	HighMMIOBaseInMB               *uint64                   `json:"HighMmioBaseInMB,omitempty"`
	HighMMIOGapInMB                *uint64                   `json:"HighMmioGapInMB,omitempty"`
	Backing                        string                    `json:"Backing,omitempty"`
	Unknown                        map[string]jsontext.Value `json:",embed"`
}

type v2VirtualMachineProcessor struct {
	Count                          *uint32                   `json:"Count,omitempty"`
	Limit                          *uint64                   `json:"Limit,omitempty"`
	Weight                         *uint64                   `json:"Weight,omitempty"`
	Reservation                    *uint64                   `json:"Reservation,omitempty"`
	MaximumFrequencyMHz            *uint32                   `json:"MaximumFrequencyMHz,omitempty"`
	ExposeVirtualizationExtensions *bool                     `json:"ExposeVirtualizationExtensions,omitempty"`
	EnablePerfmonPmu               *bool                     `json:"EnablePerfmonPmu,omitempty"`
	EnablePerfmonArchPmu           *bool                     `json:"EnablePerfmonArchPmu,omitempty"`
	EnablePerfmonPebs              *bool                     `json:"EnablePerfmonPebs,omitempty"`
	EnablePerfmonLbr               *bool                     `json:"EnablePerfmonLbr,omitempty"`
	EnablePerfmonIpt               *bool                     `json:"EnablePerfmonIpt,omitempty"`
	CPUGroup                       jsontext.Value            `json:"CpuGroup,omitempty"`
	EnablePageShattering           *bool                     `json:"EnablePageShattering,omitempty"`
	DisableSpeculationControls     *bool                     `json:"DisableSpeculationControls,omitempty"`
	ProcessorFeatureSet            jsontext.Value            `json:"ProcessorFeatureSet,omitempty"`
	Unknown                        map[string]jsontext.Value `json:",embed"`
}

type v2Devices struct {
	ComPorts            jsontext.Value              `json:"ComPorts,omitzero"`
	SCSI                map[string]v2SCSI           `json:"Scsi,omitzero"`
	VirtualPMem         jsontext.Value              `json:"VirtualPMem,omitempty"`
	NetworkAdapters     map[string]v2NetworkAdapter `json:"NetworkAdapters,omitzero"`
	VideoMonitor        jsontext.Value              `json:"VideoMonitor,omitempty"`
	Keyboard            jsontext.Value              `json:"Keyboard,omitempty"`
	Mouse               jsontext.Value              `json:"Mouse,omitempty"`
	HvSocket            jsontext.Value              `json:"HvSocket,omitempty"`
	EnhancedModeVideo   jsontext.Value              `json:"EnhancedModeVideo,omitempty"`
	GuestCrashReporting jsontext.Value              `json:"GuestCrashReporting,omitempty"`
	VirtualSMB          jsontext.Value              `json:"VirtualSmb,omitempty"`
	Plan9               jsontext.Value              `json:"Plan9,omitempty"`
	Battery             jsontext.Value              `json:"Battery,omitempty"`
	FlexibleIov         jsontext.Value              `json:"FlexibleIov,omitzero"`
	SharedMemory        jsontext.Value              `json:"SharedMemory,omitempty"`
	KernelIntegration   jsontext.Value              `json:"KernelIntegration,omitempty"`
	VirtioSerial        jsontext.Value              `json:"VirtioSerial,omitempty"`
	VirtualPCI          jsontext.Value              `json:"VirtualPci,omitzero"`
	Unknown             map[string]jsontext.Value   `json:",embed"`
}

type v2SCSI struct {
	Attachments              map[string]v2Attachment   `json:"Attachments,omitzero"`
	DisableInterruptBatching *bool                     `json:"DisableInterruptBatching,omitempty"`
	Unknown                  map[string]jsontext.Value `json:",embed"`
}

type v2Attachment struct {
	Type                      AttachmentType            `json:"Type,omitempty"`
	Path                      string                    `json:"Path,omitempty"`
	CachingMode               CachingMode               `json:"CachingMode,omitempty"`
	ReadOnly                  *bool                     `json:"ReadOnly,omitempty"`
	SupportCompressedVolumes  *bool                     `json:"SupportCompressedVolumes,omitempty"`
	AlwaysAllowSparseFiles    *bool                     `json:"AlwaysAllowSparseFiles,omitempty"`
	SupportEncryptedFiles     *bool                     `json:"SupportEncryptedFiles,omitempty"`
	ExtensibleVirtualDiskType string                    `json:"ExtensibleVirtualDiskType,omitempty"`
	Unknown                   map[string]jsontext.Value `json:",embed"`
}

type v2NetworkAdapter struct {
	EndpointID               string                    `json:"EndpointId,omitempty"`
	MACAddress               string                    `json:"MacAddress,omitempty"`
	InstanceID               string                    `json:"InstanceId,omitempty"`
	DisableInterruptBatching *bool                     `json:"DisableInterruptBatching,omitempty"`
	IovSettings              jsontext.Value            `json:"IovSettings,omitempty"`
	ConnectionState          StateOverride             `json:"ConnectionState,omitempty"`
	Unknown                  map[string]jsontext.Value `json:",embed"`
}

type v2Container struct {
	GuestOS                   jsontext.Value            `json:"GuestOs,omitempty"`
	Storage                   jsontext.Value            `json:"Storage,omitempty"`
	MappedDirectories         []v2MappedDirectory       `json:"MappedDirectories,omitzero"`
	MappedPipes               jsontext.Value            `json:"MappedPipes,omitzero"`
	Memory                    jsontext.Value            `json:"Memory,omitempty"`
	Processor                 jsontext.Value            `json:"Processor,omitempty"`
	Networking                jsontext.Value            `json:"Networking,omitempty"`
	HvSocket                  jsontext.Value            `json:"HvSocket,omitempty"`
	ContainerCredentialGuard  jsontext.Value            `json:"ContainerCredentialGuard,omitempty"`
	RegistryChanges           jsontext.Value            `json:"RegistryChanges,omitempty"`
	AssignedDevices           jsontext.Value            `json:"AssignedDevices,omitzero"`
	AdditionalDeviceNamespace jsontext.Value            `json:"AdditionalDeviceNamespace,omitempty"`
	IsolationType             string                    `json:"IsolationType,omitempty"`
	Unknown                   map[string]jsontext.Value `json:",embed"`
}

type v2MappedDirectory struct {
	HostPath          string                    `json:"HostPath,omitempty"`
	HostPathType      PathType                  `json:"HostPathType,omitempty"`
	ContainerPath     string                    `json:"ContainerPath,omitempty"`
	ReadOnly          *bool                     `json:"ReadOnly,omitempty"`
	SupportCloudFiles *bool                     `json:"SupportCloudFiles,omitempty"`
	Unknown           map[string]jsontext.Value `json:",embed"`
}

// TestV2CandidateLosesReceivedEmptyStrings records why the v2 candidate
// cannot replace the generated methods as it is: with types and tags only,
// nothing remembers that a string or a time was received with its zero
// value, so a received "" and a received zero time are dropped on encoding.
// Package schema keeps them (TestEmptyArraysObjectsAndStrings).
func TestV2CandidateLosesReceivedEmptyStrings(t *testing.T) {
	doc := `{"Owner":"","Container":{"MappedDirectories":[{"HostPath":"","ReadOnly":false}]}}`
	var v v2ComputeSystem
	if err := jsonv2.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	out, err := jsonv2.Marshal(&v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"Container":{"MappedDirectories":[{"ReadOnly":false}]}}`; string(out) != want {
		t.Errorf("v2 candidate: %s, want %s", out, want)
	}
	s := roundTrip[ComputeSystem](t, []byte(doc))
	if s.Owner != "" || s.Container.MappedDirectories[0].HostPath != "" {
		t.Errorf("schema: %+v", s)
	}
	var p v2Properties
	if err := jsonv2.Unmarshal([]byte(`{"ProcessList":[{"CreateTimestamp":"0001-01-01T00:00:00Z"}]}`), &p); err != nil {
		t.Fatal(err)
	}
	if out, _ := jsonv2.Marshal(&p); string(out) != `{"ProcessList":[{}]}` {
		t.Errorf("v2 candidate kept a zero time: %s", out)
	}
}
