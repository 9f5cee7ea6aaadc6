package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// The codec benchmarks: each document decoded and encoded by package schema
// (through encoding/json, as callers and package hcs use it) and, in the
// same run, by the plain-struct baseline of baseline_test.go.
//
//	go test ./schema -run '^$' -bench . -benchmem

// benchProperties is a realistic HcsGetComputeSystemProperties response:
// system information, statistics and a 50-entry process list (13 KB).
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

// benchComputeSystem is a large VM document: 16 SCSI disks, 8 network
// adapters, 32 mapped directories and an unknown member (4.7 KB).
func benchComputeSystem() []byte {
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
	out, err := json.Marshal(cs)
	if err != nil {
		panic(err)
	}
	return out
}

// benchDocs are the benchmark documents, each with constructors of the
// schema type and of its plain-struct copy.
var benchDocs = []struct {
	name          string
	data          func() []byte
	schema, plain func() any
}{
	{"Properties", benchProperties, func() any { return new(Properties) }, func() any { return new(plainProperties) }},
	{"ComputeSystem", benchComputeSystem, func() any { return new(ComputeSystem) }, func() any { return new(plainComputeSystem) }},
}

// benchCodec is one way of decoding and encoding the benchmark documents.
type benchCodec struct {
	name   string
	lossy  bool              // drops false, 0 and unknown members
	new    func(doc int) any // a new value for benchDocs[doc]
	decode func([]byte, any) error
	encode func(any) ([]byte, error)
}

var benchCodecs = []benchCodec{
	// What package hcs calls, and callers may: the generated methods.
	{"schema", false, func(i int) any { return benchDocs[i].schema() },
		func(data []byte, v any) error { return v.(json.Unmarshaler).UnmarshalJSON(data) },
		func(v any) ([]byte, error) { return v.(json.Marshaler).MarshalJSON() }},
	// The same types through encoding/json, which validates a Marshaler's
	// output and an Unmarshaler's input with its own scanner first.
	{"schema-via-encoding-json", false, func(i int) any { return benchDocs[i].schema() }, json.Unmarshal, json.Marshal},
	{"plain", true, func(i int) any { return benchDocs[i].plain() }, json.Unmarshal, json.Marshal},
}

func BenchmarkDecode(b *testing.B) {
	for i, doc := range benchDocs {
		data := doc.data()
		for _, c := range benchCodecs {
			b.Run(doc.name+"/"+c.name, func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					if err := c.decode(data, c.new(i)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	for i, doc := range benchDocs {
		data := doc.data()
		for _, c := range benchCodecs {
			v := c.new(i)
			if err := c.decode(data, v); err != nil {
				b.Fatal(err)
			}
			b.Run(doc.name+"/"+c.name, func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := c.encode(v); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkEncodingJSONPasses measures what encoding/json adds around the
// generated methods: json.Unmarshal scans the text twice before it calls
// UnmarshalJSON (checking it, then finding the value's end), and
// json.Marshal scans and copies MarshalJSON's output (Compact). Valid is
// one such scan.
func BenchmarkEncodingJSONPasses(b *testing.B) {
	for _, doc := range benchDocs {
		data := doc.data()
		b.Run(doc.name+"/Valid", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if !json.Valid(data) {
					b.Fatal("not JSON")
				}
			}
		})
		b.Run(doc.name+"/Compact", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := json.Compact(&buf, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestBenchmarkDocuments checks that the benchmarks measure what they
// claim: every codec decodes every member of each document and encodes it
// back; only the plain structs lose what they cannot hold (false, 0 and
// unknown members).
func TestBenchmarkDocuments(t *testing.T) {
	for i, doc := range benchDocs {
		data := doc.data()
		s := doc.schema()
		if err := json.Unmarshal(data, s); err != nil {
			t.Fatal(err)
		}
		unknown := UnknownMembers(s)
		for _, c := range benchCodecs {
			t.Run(doc.name+"/"+c.name, func(t *testing.T) {
				v := c.new(i)
				if err := c.decode(data, v); err != nil {
					t.Fatal(err)
				}
				out, err := c.encode(v)
				if err != nil {
					t.Fatal(err)
				}
				want, got := jsonValue(t, data), jsonValue(t, out)
				if c.lossy {
					want, got = dropZeroScalars(dropPointers(want, unknown)), dropZeroScalars(got)
				}
				if !reflect.DeepEqual(want, got) {
					t.Fatalf("the round trip changed the document\nin:  %s\nout: %s", data, out)
				}
			})
		}
	}
}

// dropPointers removes the members at the given JSON Pointers from v.
func dropPointers(v any, pointers []string) any {
	for _, p := range pointers {
		segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
		cur := v
		for i, s := range segs {
			s = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
			m, ok := cur.(map[string]any)
			if !ok {
				break
			}
			if i == len(segs)-1 {
				delete(m, s)
				break
			}
			cur = m[s]
		}
	}
	return v
}

// dropZeroScalars removes members whose value is false, 0 or "", which
// plain structs with omitempty cannot tell from absent.
func dropZeroScalars(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			switch e := e.(type) {
			case bool:
				if !e {
					delete(x, k)
				}
			case json.Number:
				if e == "0" {
					delete(x, k)
				}
			case string:
				if e == "" {
					delete(x, k)
				}
			default:
				x[k] = dropZeroScalars(e)
			}
		}
	case []any:
		for i := range x {
			x[i] = dropZeroScalars(x[i])
		}
	}
	return v
}
