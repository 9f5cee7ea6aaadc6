package container_test

import (
	"encoding/json"
	"fmt"
	"log"

	"github.com/gohcs/hcs/container"
	"github.com/gohcs/hcs/schema"
)

// The document of a container with a data folder, a memory limit and half
// of the host's processor time. The storage would come from
// (*layers.Mount).Storage.
func ExampleConfig_Document() {
	storage := &schema.Storage{
		Path: `\\?\Volume{8f7a6b5c-4d3e-2f1a-0b9c-8d7e6f5a4b3c}\`,
		Layers: []schema.Layer{
			{ID: "0e1d2c3b-4a59-5687-a9b8-c7d6e5f40312", Path: `C:\layers\nanoserver`},
		},
	}
	doc, err := (&container.Config{
		Owner:    "my-runtime",
		Storage:  storage,
		HostName: "web",
		MappedDirectories: []container.MappedDirectory{
			{HostPath: `C:\data\web`, ContainerPath: `C:\data`, ReadOnly: true},
		},
		ProcessorMaximum: 5000,
		MemoryMB:         1024,
	}).Document()
	if err != nil {
		log.Fatal(err)
	}
	b, err := json.Marshal(doc.Container.MappedDirectories)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(b))
	fmt.Println(*doc.Container.Processor.Maximum, *doc.Container.Memory.SizeInMB)

	_, err = (&container.Config{Storage: storage, ProcessorCount: 2, ProcessorWeight: 100}).Document()
	fmt.Println(err)
	// Output:
	// [{"HostPath":"C:\\data\\web","ContainerPath":"C:\\data","ReadOnly":true}]
	// 5000 1024
	// container: processor count, maximum and weight exclude each other: set one
}
