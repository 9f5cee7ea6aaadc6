package schema_test

import (
	"encoding/json"
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
