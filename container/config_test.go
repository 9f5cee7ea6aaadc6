package container

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/schema"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

// storageFor is the storage of a scratch layer over two layers.
func storageFor() *schema.Storage {
	return &schema.Storage{
		Path: `\\?\Volume{8f7a6b5c-4d3e-2f1a-0b9c-8d7e6f5a4b3c}\`,
		Layers: []schema.Layer{
			{ID: "6b4a7c3e-1f2d-5e8a-9b0c-1d2e3f4a5b6c", Path: `C:\ProgramData\docker\windowsfilter\app`},
			{ID: "0e1d2c3b-4a59-5687-a9b8-c7d6e5f40312", Path: `C:\ProgramData\docker\windowsfilter\nanoserver`},
		},
	}
}

func TestGolden(t *testing.T) {
	cases := map[string]*Config{
		"minimal": {Storage: storageFor()},
		"full": {
			Owner:    "my-runtime",
			Storage:  storageFor(),
			HostName: "web-1",
			MappedDirectories: []MappedDirectory{
				{HostPath: `C:\data\web`, ContainerPath: `C:\data`, ReadOnly: true},
				{HostPath: `\\fileserver\share\logs`, ContainerPath: `D:\logs`},
			},
			MappedPipes: []MappedPipe{
				{HostPath: `\\.\pipe\docker_engine`, ContainerPipeName: `\\.\pipe\docker_engine`},
				{HostPath: `\\.\pipe\metrics`, ContainerPipeName: "metrics"},
			},
			ProcessorMaximum:            5000,
			MemoryMB:                    2048,
			NetworkNamespace:            "{4F0A3C9E-2B1D-4E8F-9A7B-6C5D4E3F2A1B}",
			TerminateOnLastHandleClosed: true,
		},
		"processor-count":  {Owner: "ci", Storage: storageFor(), ProcessorCount: 2},
		"processor-weight": {Owner: "ci", Storage: storageFor(), ProcessorWeight: 100},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			doc, err := c.Document()
			if err != nil {
				t.Fatalf("Document: %v", err)
			}
			got, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if string(got) != strings.ReplaceAll(string(want), "\r\n", "\n") {
				t.Fatalf("document of %s:\n%s\nwant (%s):\n%s", name, got, path, want)
			}
			if u := schema.UnknownMembers(doc); len(u) != 0 {
				t.Fatalf("members outside the schema: %v", u)
			}
		})
	}
}

func TestDocumentCopiesStorage(t *testing.T) {
	st := storageFor()
	st.Path = strings.TrimSuffix(st.Path, `\`)
	doc, err := (&Config{Storage: st}).Document()
	if err != nil {
		t.Fatal(err)
	}
	if doc.Container.Storage.Path != st.Path+`\` {
		t.Fatalf("storage path %q, want the final backslash added", doc.Container.Storage.Path)
	}
	doc.Container.Storage.Layers[0].Path = "changed"
	if st.Layers[0].Path == "changed" {
		t.Fatal("the document shares the caller's layers")
	}
}

func TestInvalid(t *testing.T) {
	noLayers := storageFor()
	noLayers.Layers = nil
	badID := storageFor()
	badID.Layers[1].ID = "nanoserver"
	folder := storageFor()
	folder.Path = `C:\scratch\web`
	for _, c := range []struct {
		cfg  Config
		says string
	}{
		{Config{}, "no storage"},
		{Config{Storage: folder}, "not a volume path"},
		{Config{Storage: noLayers}, "no layers"},
		{Config{Storage: badID}, `id "nanoserver" is not a GUID`},
		{Config{Storage: storageFor(), HostName: "-web"}, "host name"},
		{Config{Storage: storageFor(), HostName: strings.Repeat("a", 64)}, "host name"},
		{Config{Storage: storageFor(), HostName: "web_1"}, "host name"},
		{Config{Storage: storageFor(), MappedDirectories: []MappedDirectory{{HostPath: "data", ContainerPath: `C:\data`}}}, "not absolute"},
		{Config{Storage: storageFor(), MappedDirectories: []MappedDirectory{{HostPath: `C:\d`, ContainerPath: `\data`}}}, "drive letter"},
		{Config{Storage: storageFor(), MappedDirectories: []MappedDirectory{
			{HostPath: `C:\a`, ContainerPath: `C:\data`}, {HostPath: `C:\b`, ContainerPath: `c:/DATA/`},
		}}, "mapped twice"},
		{Config{Storage: storageFor(), MappedPipes: []MappedPipe{{HostPath: `C:\pipe`, ContainerPipeName: "p"}}}, "not a pipe path"},
		{Config{Storage: storageFor(), MappedPipes: []MappedPipe{{HostPath: `\\.\pipe\p`, ContainerPipeName: `\\.\pipe\`}}}, "no container pipe name"},
		{Config{Storage: storageFor(), MappedPipes: []MappedPipe{
			{HostPath: `\\.\pipe\a`, ContainerPipeName: "p"}, {HostPath: `\\.\pipe\b`, ContainerPipeName: "P"},
		}}, "mapped twice"},
		{Config{Storage: storageFor(), ProcessorCount: 2, ProcessorWeight: 5}, "exclude each other"},
		{Config{Storage: storageFor(), ProcessorMaximum: 10001}, "processor maximum"},
		{Config{Storage: storageFor(), ProcessorWeight: -1}, "processor weight"},
		{Config{Storage: storageFor(), NetworkNamespace: "default"}, "not a GUID"},
	} {
		doc, err := c.cfg.Document()
		if doc != nil || !errors.Is(err, hcs.ErrInvalidArgument) || !strings.Contains(err.Error(), c.says) ||
			!strings.HasPrefix(err.Error(), "container: ") {
			t.Errorf("Document(%+v) = %v, %v; want an invalid argument saying %q", c.cfg, doc, err, c.says)
		}
	}
}

// FuzzDocument checks that Document either refuses a configuration with
// an invalid-argument error, or returns a document that encodes, decodes
// back to itself and carries what it was given.
func FuzzDocument(f *testing.F) {
	f.Add("web", `C:\data`, `C:\data`, `\\.\pipe\p`, "p", "4f0a3c9e-2b1d-4e8f-9a7b-6c5d4e3f2a1b", uint32(0), int64(5000), int64(0), uint64(512),
		`\\?\Volume{8f7a6b5c-4d3e-2f1a-0b9c-8d7e6f5a4b3c}\`, "6b4a7c3e-1f2d-5e8a-9b0c-1d2e3f4a5b6c", `C:\l`)
	f.Add("", "/srv/data", `c:/x`, `\\.\PIPE\q`, `\\.\pipe\q`, "", uint32(3), int64(0), int64(0), uint64(0),
		`\\?\Volume{8F7A6B5C-4D3E-2F1A-0B9C-8D7E6F5A4B3C}`, "{6B4A7C3E-1F2D-5E8A-9B0C-1D2E3F4A5B6C}", "x")
	f.Fuzz(func(t *testing.T, host, hostPath, containerPath, pipeHost, pipeName, ns string, count uint32,
		maximum, weight int64, mem uint64, volume, layerID, layerPath string) {
		c := &Config{
			Owner:             "fuzz",
			Storage:           &schema.Storage{Path: volume, Layers: []schema.Layer{{ID: layerID, Path: layerPath}}},
			HostName:          host,
			MappedDirectories: []MappedDirectory{{HostPath: hostPath, ContainerPath: containerPath}},
			MappedPipes:       []MappedPipe{{HostPath: pipeHost, ContainerPipeName: pipeName}},
			ProcessorCount:    count, ProcessorMaximum: maximum, ProcessorWeight: weight,
			MemoryMB:         mem,
			NetworkNamespace: ns,
		}
		doc, err := c.Document()
		if err != nil {
			if doc != nil || !errors.Is(err, hcs.ErrInvalidArgument) {
				t.Fatalf("Document: %v, %v; want nil and an invalid argument", doc, err)
			}
			return
		}
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		var back schema.ComputeSystem
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal %s: %v", b, err)
		}
		again, err := json.Marshal(&back)
		if err != nil || string(again) != string(b) {
			t.Fatalf("round trip: %s\nbecame %s (%v)", b, again, err)
		}
		ct := back.Container
		switch {
		case host != "" && (ct.GuestOS == nil || ct.GuestOS.HostName != host):
			t.Fatalf("host name %q lost: %s", host, b)
		case ct.MappedDirectories[0].HostPath != hostPath || ct.MappedDirectories[0].ContainerPath != containerPath:
			t.Fatalf("mapped directory lost: %s", b)
		case ct.MappedPipes[0].HostPath != pipeHost:
			t.Fatalf("mapped pipe lost: %s", b)
		case mem != 0 && *ct.Memory.SizeInMB != mem:
			t.Fatalf("memory lost: %s", b)
		case ct.Storage.Layers[0].ID != layerID || ct.Storage.Layers[0].Path != layerPath:
			t.Fatalf("storage layer lost: %s", b)
		case !strings.HasSuffix(ct.Storage.Path, `\`) || !strings.EqualFold(strings.TrimSuffix(ct.Storage.Path, `\`), strings.TrimSuffix(volume, `\`)):
			t.Fatalf("storage path %q from %q", ct.Storage.Path, volume)
		}
	})
}

func TestNotText(t *testing.T) {
	for _, c := range []Config{
		{Storage: storageFor(), Owner: "a\xffb"},
		{Storage: storageFor(), MappedPipes: []MappedPipe{{HostPath: `\\.\pipe\p`, ContainerPipeName: "\xff"}}},
		{Storage: storageFor(), MappedDirectories: []MappedDirectory{{HostPath: "C:\\a\x00b", ContainerPath: `C:\a`}}},
	} {
		if _, err := c.Document(); !errors.Is(err, hcs.ErrInvalidArgument) || !strings.Contains(err.Error(), "is not text") {
			t.Errorf("Document(%+v): %v, want it refused as not text", c, err)
		}
	}
}
