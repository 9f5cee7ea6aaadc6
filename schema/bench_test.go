package schema

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// benchProperties is a realistic HcsGetComputeSystemProperties response:
// system information, statistics and a 50-entry process list.
func benchProperties() []byte {
	var procs []string
	for i := range 50 {
		procs = append(procs, fmt.Sprintf(`{"ProcessId":%d,"ImageName":"process-%d.exe","CreateTimestamp":"2026-04-21T12:31:%02d.1234567Z","UserTime100ns":%d,"KernelTime100ns":%d,"MemoryCommitBytes":%d,"MemoryWorkingSetPrivateBytes":%d,"MemoryWorkingSetSharedBytes":%d}`,
			1000+i*4, i, i, 156250*i, 31250*i, 2097152+i*4096, 1048576+i*4096, 524288))
	}
	return []byte(`{"Id":"web-1","SystemType":"Container","RuntimeOsType":"Windows","Owner":"bench","State":"Running","Stopped":false,` +
		`"RuntimeId":"0c3a8f6e-2d1b-4e5f-9a8b-7c6d5e4f3a2b",` +
		`"Statistics":{"Timestamp":"2026-04-21T12:34:56Z","ContainerStartTime":"2026-04-21T12:30:00Z","Uptime100ns":2960000000,` +
		`"Processor":{"TotalRuntime100ns":1234567,"RuntimeUser100ns":900000,"RuntimeKernel100ns":334567},` +
		`"Memory":{"MemoryUsageCommitBytes":268435456,"MemoryUsageCommitPeakBytes":314572800,"MemoryUsagePrivateWorkingSetBytes":201326592},` +
		`"Storage":{"ReadCountNormalized":42,"ReadSizeBytes":1048576,"WriteCountNormalized":13,"WriteSizeBytes":262144}},` +
		`"ProcessList":[` + strings.Join(procs, ",") + `]}`)
}

func BenchmarkDecodeProperties(b *testing.B) {
	data := benchProperties()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var p Properties
		if err := json.Unmarshal(data, &p); err != nil {
			b.Fatal(err)
		}
	}
}

// benchComputeSystem is a large VM document: 16 SCSI disks, 8 network
// adapters, 32 mapped directories, registry changes and unknown members.
func benchComputeSystem(b *testing.B) *ComputeSystem {
	attachments := map[string]Attachment{}
	for i := range 16 {
		attachments[fmt.Sprint(i)] = Attachment{Type: AttachmentTypeVirtualDisk, Path: fmt.Sprintf(`C:\vms\disk%d.vhdx`, i), ReadOnly: Ptr(i%2 == 0)}
	}
	adapters := map[string]NetworkAdapter{}
	for i := range 8 {
		adapters[fmt.Sprintf("eth%d", i)] = NetworkAdapter{EndpointID: fmt.Sprintf("5b7e1f3c-8a9d-4c2e-b1f0-6d5e4c3b2a%02d", i), MACAddress: fmt.Sprintf("00-15-5D-01-02-%02X", i)}
	}
	var dirs []MappedDirectory
	for i := range 32 {
		dirs = append(dirs, MappedDirectory{HostPath: fmt.Sprintf(`C:\share\%d`, i), ContainerPath: fmt.Sprintf(`C:\mnt\%d`, i), ReadOnly: Ptr(true)})
	}
	cs := &ComputeSystem{
		Owner:         "bench",
		SchemaVersion: V2_5.Version(),
		VirtualMachine: &VirtualMachine{
			StopOnReset: Ptr(true),
			Chipset:     &Chipset{UEFI: &UEFI{BootThis: &UEFIBootEntry{DeviceType: UEFIBootDeviceSCSIDrive, DevicePath: "primary", DiskNumber: Ptr[uint16](0)}}},
			ComputeTopology: &Topology{
				Memory:    &VirtualMachineMemory{SizeInMB: Ptr[uint64](8192), AllowOvercommit: Ptr(true)},
				Processor: &VirtualMachineProcessor{Count: Ptr[uint32](8)},
			},
			Devices: &Devices{
				SCSI:            map[string]SCSI{"primary": {Attachments: attachments}},
				NetworkAdapters: adapters,
			},
			Unknown: map[string]json.RawMessage{"FutureFeature": json.RawMessage(`{"Enabled":true}`)},
		},
		Container: &Container{MappedDirectories: dirs},
	}
	return cs
}

func BenchmarkEncodeComputeSystem(b *testing.B) {
	cs := benchComputeSystem(b)
	out, err := json.Marshal(cs)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(cs); err != nil {
			b.Fatal(err)
		}
	}
}
