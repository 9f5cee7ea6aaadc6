package schema

import (
	"encoding/json"
	"testing"
	"time"
)

// The cases of zlayer-hcs (ZLayer's Rust HCS crate), in Go.

func TestEmptyContainerEncodesAsEmptyObject(t *testing.T) {
	out, err := json.Marshal(&Container{})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "{}" {
		t.Fatalf("empty Container = %s, want {}", out)
	}
	out, err = json.Marshal(ComputeSystem{Container: &Container{}})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"Container":{}}` {
		t.Fatalf("got %s", out)
	}
}

func TestLayerEncodesId(t *testing.T) {
	out, err := json.Marshal(Layer{ID: "abc", Path: `C:\l`})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"Id":"abc","Path":"C:\\l"}`; string(out) != want {
		t.Fatalf("Layer = %s, want %s", out, want)
	}
}

func TestContainerMemorySizeInMB(t *testing.T) {
	out, err := json.Marshal(ContainerMemory{SizeInMB: Ptr[uint64](2048)})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"SizeInMB":2048}`; string(out) != want {
		t.Fatalf("ContainerMemory = %s, want %s", out, want)
	}
}

const statisticsFixture = `{
	"Timestamp": "2026-04-21T12:34:56Z",
	"Uptime100ns": 2960000000,
	"Processor": {"TotalRuntime100ns": 1234567, "RuntimeUser100ns": 900000, "RuntimeKernel100ns": 334567},
	"Memory": {"MemoryUsageCommitBytes": 268435456, "MemoryUsageCommitPeakBytes": 314572800, "MemoryUsagePrivateWorkingSetBytes": 201326592},
	"Storage": {"ReadCountNormalized": 42, "ReadSizeBytes": 1048576, "WriteCountNormalized": 13, "WriteSizeBytes": 262144}
}`

func TestStatisticsFixture(t *testing.T) {
	s := roundTrip[Statistics](t, []byte(statisticsFixture))
	if u := UnknownMembers(s); len(u) > 0 {
		t.Errorf("unknown members %v", u)
	}
	if want := time.Date(2026, 4, 21, 12, 34, 56, 0, time.UTC); !s.Timestamp.Equal(want) {
		t.Errorf("Timestamp = %v", s.Timestamp)
	}
	check := func(name string, got *uint64, want uint64) {
		t.Helper()
		if got == nil || *got != want {
			t.Errorf("%s = %v, want %d", name, got, want)
		}
	}
	check("Uptime100ns", s.Uptime100ns, 2960000000)
	check("TotalRuntime100ns", s.Processor.TotalRuntime100ns, 1234567)
	check("RuntimeUser100ns", s.Processor.RuntimeUser100ns, 900000)
	check("RuntimeKernel100ns", s.Processor.RuntimeKernel100ns, 334567)
	check("MemoryUsageCommitBytes", s.Memory.MemoryUsageCommitBytes, 268435456)
	check("MemoryUsageCommitPeakBytes", s.Memory.MemoryUsageCommitPeakBytes, 314572800)
	check("MemoryUsagePrivateWorkingSetBytes", s.Memory.MemoryUsagePrivateWorkingSetBytes, 201326592)
	check("ReadCountNormalized", s.Storage.ReadCountNormalized, 42)
	check("ReadSizeBytes", s.Storage.ReadSizeBytes, 1048576)
	check("WriteCountNormalized", s.Storage.WriteCountNormalized, 13)
	check("WriteSizeBytes", s.Storage.WriteSizeBytes, 262144)
}
