package schema_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gohcs/hcs/schema"
)

// Build a process-isolated container document for HcsCreateComputeSystem,
// then parse a statistics response from HcsGetComputeSystemProperties.
func Example() {
	doc := schema.ComputeSystem{
		Owner:         "example",
		SchemaVersion: schema.V2_1.Version(),
		Container: &schema.Container{
			Storage: &schema.Storage{
				Layers: []schema.Layer{{ID: "2b0a7e71-7d27-4e4a-b7b5-0a5b47b4e0a1", Path: `C:\layers\base`}},
			},
			Memory: &schema.ContainerMemory{SizeInMB: schema.Ptr[uint64](512)},
		},
		ShouldTerminateOnLastHandleClosed: schema.Ptr(true),
	}
	out, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))

	response := `{"Statistics":{"Uptime100ns":2960000000,"Memory":{"MemoryUsageCommitBytes":268435456}},"NewMember":1}`
	var props schema.Properties
	if err := json.Unmarshal([]byte(response), &props); err != nil {
		panic(err)
	}
	fmt.Println(*props.Statistics.Uptime100ns, *props.Statistics.Memory.MemoryUsageCommitBytes)
	fmt.Println(schema.UnknownMembers(&props))
	// Output:
	// {"Owner":"example","SchemaVersion":{"Major":2,"Minor":1},"Container":{"Storage":{"Layers":[{"Id":"2b0a7e71-7d27-4e4a-b7b5-0a5b47b4e0a1","Path":"C:\\layers\\base"}]},"Memory":{"SizeInMB":512}},"ShouldTerminateOnLastHandleClosed":true}
	// 2960000000 268435456
	// [/NewMember]
}

// Check the schema version of a received document before relying on a
// member that a later version introduced.
func ExampleVersion_Number() {
	var doc schema.ComputeSystem
	if err := json.Unmarshal([]byte(`{"SchemaVersion":{"Major":2,"Minor":5},"Owner":"x"}`), &doc); err != nil {
		panic(err)
	}
	v, ok := doc.SchemaVersion.Number()
	fmt.Println(v, ok, v == schema.V2_5, schema.V2_3.Less(v))

	var none schema.ComputeSystem
	_, ok = none.SchemaVersion.Number()
	fmt.Println(ok)
	// Output:
	// 2.5 true true true
	// false
}

// Read the traffic of each network endpoint from a statistics document.
func ExampleNetworkStats() {
	response := `{"Timestamp":"2026-05-02T09:20:00Z","Network":[
		{"EndpointId":"5b7e1f3c-8a9d-4c2e-b1f0-6d5e4c3b2a19","BytesReceived":1843200,"BytesSent":409600,"PacketsReceived":1400,"PacketsSent":610}]}`
	var stats schema.Statistics
	if err := json.Unmarshal([]byte(response), &stats); err != nil {
		panic(err)
	}
	for _, ep := range stats.Network {
		fmt.Println(ep.EndpointID, *ep.BytesReceived, *ep.BytesSent, ep.DroppedPacketsIncoming == nil)
	}
	// Output:
	// 5b7e1f3c-8a9d-4c2e-b1f0-6d5e4c3b2a19 1843200 409600 true
}

// Decoding errors name the member and say what the schema wants.
func ExamplePathError() {
	var cs schema.ComputeSystem
	err := json.Unmarshal([]byte(`{"Container":{"MappedDirectories":[{"HostPath":"C:\\data","ReadOnly":"yes"}]}}`), &cs)
	if pe, ok := errors.AsType[*schema.PathError](err); ok {
		fmt.Println(pe.Path)
		fmt.Println(pe.Err)
	}
	err = cs.UnmarshalJSON([]byte("{\n  \"Owner\": \"me\"\n  \"Container\": {}\n}"))
	if se, ok := errors.AsType[*schema.SyntaxError](err); ok {
		fmt.Println(se.Line, se.Column, err)
	}
	// Output:
	// /Container/MappedDirectories/0/ReadOnly
	// a JSON string where the schema wants a boolean
	// 3 3 schema: invalid JSON at line 3, column 3: unexpected '"', want ',' or '}'
}

// A document saved by Windows PowerShell 5.1 (`> doc.json`) is UTF-16LE
// with a byte order mark.
func ExampleToUTF8() {
	saved := []byte{0xFF, 0xFE, '{', 0, '"', 0, 'O', 0, 'w', 0, 'n', 0, 'e', 0, 'r', 0, '"', 0, ':', 0, '"', 0, 0xE9, 0, '"', 0, '}', 0}
	doc, err := schema.ToUTF8(saved)
	if err != nil {
		panic(err)
	}
	var cs schema.ComputeSystem
	if err := cs.UnmarshalJSON(doc); err != nil {
		panic(err)
	}
	fmt.Println(string(doc), cs.Owner)
	// Output:
	// {"Owner":"é"} é
}
