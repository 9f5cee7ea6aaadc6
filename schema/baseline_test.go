package schema

import (
	"encoding/json"
	"time"
)

// The plain-struct baseline of the codec benchmarks (bench_test.go): a copy
// of the benchmarked schema types in the style of hcsshim's
// internal/hcs/schema2, written for the benchmark. Scalars are values with
// omitempty, nested objects are pointers, arrays and maps hold values, and
// encoding/json decodes and encodes them by reflection. Such types lose what
// package schema keeps: false and 0 cannot be told from absent, members they
// do not list are dropped, and received empty strings are not written back.
//
// Members whose types the benchmark documents do not use are json.RawMessage:
// they are absent from the documents, so their type costs nothing, and
// TestPlainBaselineCoversTheDocuments checks that nothing present is dropped.

type plainProperties struct {
	ID                          string                `json:"Id,omitempty"`
	SystemType                  string                `json:"SystemType,omitempty"`
	RuntimeOSType               string                `json:"RuntimeOsType,omitempty"`
	Name                        string                `json:"Name,omitempty"`
	Owner                       string                `json:"Owner,omitempty"`
	RuntimeID                   string                `json:"RuntimeId,omitempty"`
	RuntimeTemplateID           string                `json:"RuntimeTemplateId,omitempty"`
	State                       string                `json:"State,omitempty"`
	Stopped                     bool                  `json:"Stopped,omitempty"`
	ExitType                    string                `json:"ExitType,omitempty"`
	Memory                      json.RawMessage       `json:"Memory,omitempty"`
	Statistics                  *plainStatistics      `json:"Statistics,omitempty"`
	ProcessList                 []plainProcessDetails `json:"ProcessList,omitempty"`
	TerminateOnLastHandleClosed bool                  `json:"TerminateOnLastHandleClosed,omitempty"`
	HostingSystemID             string                `json:"HostingSystemId,omitempty"`
	SharedMemoryRegionInfo      json.RawMessage       `json:"SharedMemoryRegionInfo,omitempty"`
	GuestConnectionInfo         json.RawMessage       `json:"GuestConnectionInfo,omitempty"`
	ICHeartbeatStatus           json.RawMessage       `json:"ICHeartbeatStatus,omitempty"`
	PropertyResponses           json.RawMessage       `json:"PropertyResponses,omitempty"`
	RuntimeImagePath            string                `json:"RuntimeImagePath,omitempty"`
	ServiceSessionID            uint32                `json:"ServiceSessionId,omitempty"`
	MemoryTopology              json.RawMessage       `json:"MemoryTopology,omitempty"`
}

type plainStatistics struct {
	Timestamp          time.Time            `json:"Timestamp,omitempty"`
	ContainerStartTime time.Time            `json:"ContainerStartTime,omitempty"`
	Uptime100ns        uint64               `json:"Uptime100ns,omitempty"`
	Processor          *plainProcessorStats `json:"Processor,omitempty"`
	Memory             *plainMemoryStats    `json:"Memory,omitempty"`
	Storage            *plainStorageStats   `json:"Storage,omitempty"`
	Network            json.RawMessage      `json:"Network,omitempty"`
}

type plainProcessorStats struct {
	TotalRuntime100ns  uint64 `json:"TotalRuntime100ns,omitempty"`
	RuntimeUser100ns   uint64 `json:"RuntimeUser100ns,omitempty"`
	RuntimeKernel100ns uint64 `json:"RuntimeKernel100ns,omitempty"`
}

type plainMemoryStats struct {
	MemoryUsageCommitBytes            uint64 `json:"MemoryUsageCommitBytes,omitempty"`
	MemoryUsageCommitPeakBytes        uint64 `json:"MemoryUsageCommitPeakBytes,omitempty"`
	MemoryUsagePrivateWorkingSetBytes uint64 `json:"MemoryUsagePrivateWorkingSetBytes,omitempty"`
}

type plainStorageStats struct {
	ReadCountNormalized  uint64 `json:"ReadCountNormalized,omitempty"`
	ReadSizeBytes        uint64 `json:"ReadSizeBytes,omitempty"`
	WriteCountNormalized uint64 `json:"WriteCountNormalized,omitempty"`
	WriteSizeBytes       uint64 `json:"WriteSizeBytes,omitempty"`
}

type plainProcessDetails struct {
	ProcessID                    uint32    `json:"ProcessId,omitempty"`
	ImageName                    string    `json:"ImageName,omitempty"`
	CreateTimestamp              time.Time `json:"CreateTimestamp,omitempty"`
	UserTime100ns                uint64    `json:"UserTime100ns,omitempty"`
	KernelTime100ns              uint64    `json:"KernelTime100ns,omitempty"`
	MemoryCommitBytes            uint64    `json:"MemoryCommitBytes,omitempty"`
	MemoryWorkingSetPrivateBytes uint64    `json:"MemoryWorkingSetPrivateBytes,omitempty"`
	MemoryWorkingSetSharedBytes  uint64    `json:"MemoryWorkingSetSharedBytes,omitempty"`
}

type plainComputeSystem struct {
	Owner                             string               `json:"Owner,omitempty"`
	SchemaVersion                     *plainVersion        `json:"SchemaVersion,omitempty"`
	HostingSystemID                   string               `json:"HostingSystemId,omitempty"`
	HostedSystem                      json.RawMessage      `json:"HostedSystem,omitempty"`
	Container                         *plainContainer      `json:"Container,omitempty"`
	VirtualMachine                    *plainVirtualMachine `json:"VirtualMachine,omitempty"`
	ShouldTerminateOnLastHandleClosed bool                 `json:"ShouldTerminateOnLastHandleClosed,omitempty"`
}

type plainVersion struct {
	Major uint32 `json:"Major,omitempty"`
	Minor uint32 `json:"Minor,omitempty"`
}

type plainVirtualMachine struct {
	StopOnReset      bool            `json:"StopOnReset,omitempty"`
	Chipset          *plainChipset   `json:"Chipset,omitempty"`
	ComputeTopology  *plainTopology  `json:"ComputeTopology,omitempty"`
	Devices          *plainDevices   `json:"Devices,omitempty"`
	GuestState       json.RawMessage `json:"GuestState,omitempty"`
	RestoreState     json.RawMessage `json:"RestoreState,omitempty"`
	RegistryChanges  json.RawMessage `json:"RegistryChanges,omitempty"`
	StorageQoS       json.RawMessage `json:"StorageQoS,omitempty"`
	GuestConnection  json.RawMessage `json:"GuestConnection,omitempty"`
	Services         json.RawMessage `json:"Services,omitempty"`
	Version          *plainVersion   `json:"Version,omitempty"`
	SecuritySettings json.RawMessage `json:"SecuritySettings,omitempty"`
}

type plainChipset struct {
	UEFI                  *plainUEFI      `json:"Uefi,omitempty"`
	IsNumLockDisabled     bool            `json:"IsNumLockDisabled,omitempty"`
	BaseBoardSerialNumber string          `json:"BaseBoardSerialNumber,omitempty"`
	ChassisSerialNumber   string          `json:"ChassisSerialNumber,omitempty"`
	ChassisAssetTag       string          `json:"ChassisAssetTag,omitempty"`
	UseUTC                bool            `json:"UseUtc,omitempty"`
	LinuxKernelDirect     json.RawMessage `json:"LinuxKernelDirect,omitempty"`
	EnableHibernation     bool            `json:"EnableHibernation,omitempty"`
}

type plainUEFI struct {
	EnableDebugger          bool                `json:"EnableDebugger,omitempty"`
	SecureBootTemplateID    string              `json:"SecureBootTemplateId,omitempty"`
	BootThis                *plainUEFIBootEntry `json:"BootThis,omitempty"`
	Console                 string              `json:"Console,omitempty"`
	StopOnBootFailure       bool                `json:"StopOnBootFailure,omitempty"`
	ApplySecureBootTemplate string              `json:"ApplySecureBootTemplate,omitempty"`
}

type plainUEFIBootEntry struct {
	DeviceType    string `json:"DeviceType,omitempty"`
	DevicePath    string `json:"DevicePath,omitempty"`
	DiskNumber    uint16 `json:"DiskNumber,omitempty"`
	OptionalData  string `json:"OptionalData,omitempty"`
	VmbFsRootPath string `json:"VmbFsRootPath,omitempty"`
}

type plainTopology struct {
	Memory    *plainVirtualMachineMemory    `json:"Memory,omitempty"`
	Processor *plainVirtualMachineProcessor `json:"Processor,omitempty"`
}

type plainVirtualMachineMemory struct {
	SizeInMB                       uint64 `json:"SizeInMB,omitempty"`
	AllowOvercommit                bool   `json:"AllowOvercommit,omitempty"`
	BackingPageSize                string `json:"BackingPageSize,omitempty"`
	FaultClusterSizeShift          uint32 `json:"FaultClusterSizeShift,omitempty"`
	DirectMapFaultClusterSizeShift uint32 `json:"DirectMapFaultClusterSizeShift,omitempty"`
	PinBackingPages                bool   `json:"PinBackingPages,omitempty"`
	ForbidSmallBackingPages        bool   `json:"ForbidSmallBackingPages,omitempty"`
	EnableHotHint                  bool   `json:"EnableHotHint,omitempty"`
	EnableColdHint                 bool   `json:"EnableColdHint,omitempty"`
	EnableColdDiscardHint          bool   `json:"EnableColdDiscardHint,omitempty"`
	EnableDeferredCommit           bool   `json:"EnableDeferredCommit,omitempty"`
	LowMMIOGapInMB                 uint64 `json:"LowMmioGapInMB,omitempty"`
	HighMMIOBaseInMB               uint64 `json:"HighMmioBaseInMB,omitempty"`
	HighMMIOGapInMB                uint64 `json:"HighMmioGapInMB,omitempty"`
	Backing                        string `json:"Backing,omitempty"`
}

type plainVirtualMachineProcessor struct {
	Count                          uint32          `json:"Count,omitempty"`
	Limit                          uint64          `json:"Limit,omitempty"`
	Weight                         uint64          `json:"Weight,omitempty"`
	Reservation                    uint64          `json:"Reservation,omitempty"`
	MaximumFrequencyMHz            uint32          `json:"MaximumFrequencyMHz,omitempty"`
	ExposeVirtualizationExtensions bool            `json:"ExposeVirtualizationExtensions,omitempty"`
	EnablePerfmonPmu               bool            `json:"EnablePerfmonPmu,omitempty"`
	EnablePerfmonArchPmu           bool            `json:"EnablePerfmonArchPmu,omitempty"`
	EnablePerfmonPebs              bool            `json:"EnablePerfmonPebs,omitempty"`
	EnablePerfmonLbr               bool            `json:"EnablePerfmonLbr,omitempty"`
	EnablePerfmonIpt               bool            `json:"EnablePerfmonIpt,omitempty"`
	CPUGroup                       json.RawMessage `json:"CpuGroup,omitempty"`
	EnablePageShattering           bool            `json:"EnablePageShattering,omitempty"`
	DisableSpeculationControls     bool            `json:"DisableSpeculationControls,omitempty"`
	ProcessorFeatureSet            json.RawMessage `json:"ProcessorFeatureSet,omitempty"`
}

type plainDevices struct {
	ComPorts            json.RawMessage                `json:"ComPorts,omitempty"`
	SCSI                map[string]plainSCSI           `json:"Scsi,omitempty"`
	VirtualPMem         json.RawMessage                `json:"VirtualPMem,omitempty"`
	NetworkAdapters     map[string]plainNetworkAdapter `json:"NetworkAdapters,omitempty"`
	VideoMonitor        json.RawMessage                `json:"VideoMonitor,omitempty"`
	Keyboard            json.RawMessage                `json:"Keyboard,omitempty"`
	Mouse               json.RawMessage                `json:"Mouse,omitempty"`
	HvSocket            json.RawMessage                `json:"HvSocket,omitempty"`
	EnhancedModeVideo   json.RawMessage                `json:"EnhancedModeVideo,omitempty"`
	GuestCrashReporting json.RawMessage                `json:"GuestCrashReporting,omitempty"`
	VirtualSMB          json.RawMessage                `json:"VirtualSmb,omitempty"`
	Plan9               json.RawMessage                `json:"Plan9,omitempty"`
	Battery             json.RawMessage                `json:"Battery,omitempty"`
	FlexibleIov         json.RawMessage                `json:"FlexibleIov,omitempty"`
	SharedMemory        json.RawMessage                `json:"SharedMemory,omitempty"`
	KernelIntegration   json.RawMessage                `json:"KernelIntegration,omitempty"`
	VirtioSerial        json.RawMessage                `json:"VirtioSerial,omitempty"`
	VirtualPCI          json.RawMessage                `json:"VirtualPci,omitempty"`
}

type plainSCSI struct {
	Attachments              map[string]plainAttachment `json:"Attachments,omitempty"`
	DisableInterruptBatching bool                       `json:"DisableInterruptBatching,omitempty"`
}

type plainAttachment struct {
	Type                      string `json:"Type,omitempty"`
	Path                      string `json:"Path,omitempty"`
	CachingMode               string `json:"CachingMode,omitempty"`
	ReadOnly                  bool   `json:"ReadOnly,omitempty"`
	SupportCompressedVolumes  bool   `json:"SupportCompressedVolumes,omitempty"`
	AlwaysAllowSparseFiles    bool   `json:"AlwaysAllowSparseFiles,omitempty"`
	SupportEncryptedFiles     bool   `json:"SupportEncryptedFiles,omitempty"`
	ExtensibleVirtualDiskType string `json:"ExtensibleVirtualDiskType,omitempty"`
}

type plainNetworkAdapter struct {
	EndpointID               string          `json:"EndpointId,omitempty"`
	MACAddress               string          `json:"MacAddress,omitempty"`
	InstanceID               string          `json:"InstanceId,omitempty"`
	DisableInterruptBatching bool            `json:"DisableInterruptBatching,omitempty"`
	IovSettings              json.RawMessage `json:"IovSettings,omitempty"`
	ConnectionState          string          `json:"ConnectionState,omitempty"`
}

type plainContainer struct {
	GuestOS                   json.RawMessage        `json:"GuestOs,omitempty"`
	Storage                   json.RawMessage        `json:"Storage,omitempty"`
	MappedDirectories         []plainMappedDirectory `json:"MappedDirectories,omitempty"`
	MappedPipes               json.RawMessage        `json:"MappedPipes,omitempty"`
	Memory                    json.RawMessage        `json:"Memory,omitempty"`
	Processor                 json.RawMessage        `json:"Processor,omitempty"`
	Networking                json.RawMessage        `json:"Networking,omitempty"`
	HvSocket                  json.RawMessage        `json:"HvSocket,omitempty"`
	ContainerCredentialGuard  json.RawMessage        `json:"ContainerCredentialGuard,omitempty"`
	RegistryChanges           json.RawMessage        `json:"RegistryChanges,omitempty"`
	AssignedDevices           json.RawMessage        `json:"AssignedDevices,omitempty"`
	AdditionalDeviceNamespace json.RawMessage        `json:"AdditionalDeviceNamespace,omitempty"`
	IsolationType             string                 `json:"IsolationType,omitempty"`
}

type plainMappedDirectory struct {
	HostPath          string `json:"HostPath,omitempty"`
	HostPathType      string `json:"HostPathType,omitempty"`
	ContainerPath     string `json:"ContainerPath,omitempty"`
	ReadOnly          bool   `json:"ReadOnly,omitempty"`
	SupportCloudFiles bool   `json:"SupportCloudFiles,omitempty"`
}
