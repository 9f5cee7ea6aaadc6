package hcs_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/schema"
)

// Two statistics samples, as System.Statistics returns them ten seconds
// apart, give the processor use, the memory, and the storage and network
// throughput of a system over those ten seconds.
func ExampleUsageBetween() {
	t := time.Date(2026, 4, 21, 12, 34, 56, 0, time.UTC)
	prev := &schema.Statistics{
		Timestamp:   t,
		Uptime100ns: schema.Ptr[uint64](600_000_000), // 60 s
		Processor: &schema.ProcessorStats{
			TotalRuntime100ns:  schema.Ptr[uint64](90_000_000),
			RuntimeUser100ns:   schema.Ptr[uint64](60_000_000),
			RuntimeKernel100ns: schema.Ptr[uint64](30_000_000),
		},
		Storage: &schema.StorageStats{
			ReadCountNormalized: schema.Ptr[uint64](1000), ReadSizeBytes: schema.Ptr[uint64](4 << 20),
			WriteCountNormalized: schema.Ptr[uint64](100), WriteSizeBytes: schema.Ptr[uint64](1 << 20),
		},
		Network: []schema.NetworkStats{{
			EndpointID:    "5b7e1f3c-8a9d-4c2e-b1f0-6d5e4c3b2a19",
			BytesReceived: schema.Ptr[uint64](1 << 20), BytesSent: schema.Ptr[uint64](1 << 20),
			PacketsReceived: schema.Ptr[uint64](1000), PacketsSent: schema.Ptr[uint64](1000),
		}},
	}
	cur := &schema.Statistics{
		Timestamp:   t.Add(10 * time.Second),
		Uptime100ns: schema.Ptr[uint64](700_000_000), // 70 s
		Processor: &schema.ProcessorStats{
			TotalRuntime100ns:  schema.Ptr[uint64](190_000_000), // +10 s
			RuntimeUser100ns:   schema.Ptr[uint64](135_000_000), // +7.5 s
			RuntimeKernel100ns: schema.Ptr[uint64](55_000_000),  // +2.5 s
		},
		Memory: &schema.MemoryStats{
			MemoryUsageCommitBytes:            schema.Ptr[uint64](512 << 20),
			MemoryUsageCommitPeakBytes:        schema.Ptr[uint64](640 << 20),
			MemoryUsagePrivateWorkingSetBytes: schema.Ptr[uint64](384 << 20),
		},
		Storage: &schema.StorageStats{
			ReadCountNormalized: schema.Ptr[uint64](1500), ReadSizeBytes: schema.Ptr[uint64](14 << 20),
			WriteCountNormalized: schema.Ptr[uint64](300), WriteSizeBytes: schema.Ptr[uint64](6 << 20),
		},
		Network: []schema.NetworkStats{{
			EndpointID:    "5b7e1f3c-8a9d-4c2e-b1f0-6d5e4c3b2a19",
			BytesReceived: schema.Ptr[uint64](21 << 20), BytesSent: schema.Ptr[uint64](6 << 20), // +20 MiB, +5 MiB
			PacketsReceived: schema.Ptr[uint64](16000), PacketsSent: schema.Ptr[uint64](6000),
		}},
	}

	// The system has 2 processors: 10 s of processor time in 10 s is half
	// of their capacity.
	u, err := hcs.UsageBetween(prev, cur, 2)
	if errors.Is(err, hcs.ErrStaleSample) {
		return // HCS returned the same sample again: keep prev, retry later
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("over %v, up %v\n", u.Interval, u.Uptime)
	fmt.Printf("cpu %.1f%% (user %.1f%%, kernel %.1f%%)\n", u.CPU.Percent, u.CPU.UserPercent, u.CPU.KernelPercent)
	fmt.Printf("memory commit %d MiB, peak %d MiB, private working set %d MiB\n",
		u.Memory.CommitBytes>>20, u.Memory.CommitPeakBytes>>20, u.Memory.PrivateWorkingSetBytes>>20)
	fmt.Printf("read %.0f KiB/s in %.0f ops/s, write %.0f KiB/s in %.0f ops/s\n",
		u.Storage.ReadBytesPerSecond/1024, u.Storage.ReadsPerSecond,
		u.Storage.WriteBytesPerSecond/1024, u.Storage.WritesPerSecond)
	fmt.Printf("network receive %.0f KiB/s in %.0f packets/s, transmit %.0f KiB/s in %.0f packets/s\n",
		u.Network.ReceiveBytesPerSecond/1024, u.Network.ReceivePacketsPerSecond,
		u.Network.TransmitBytesPerSecond/1024, u.Network.TransmitPacketsPerSecond)
	for _, e := range u.Network.Endpoints {
		fmt.Printf("  endpoint %s receive %.0f KiB/s\n", e.EndpointID, e.ReceiveBytesPerSecond/1024)
	}

	// The same sample again is stale.
	_, err = hcs.UsageBetween(cur, cur, 2)
	fmt.Println(errors.Is(err, hcs.ErrStaleSample))
	// Output:
	// over 10s, up 1m10s
	// cpu 50.0% (user 37.5%, kernel 12.5%)
	// memory commit 512 MiB, peak 640 MiB, private working set 384 MiB
	// read 1024 KiB/s in 50 ops/s, write 512 KiB/s in 20 ops/s
	// network receive 2048 KiB/s in 1500 packets/s, transmit 512 KiB/s in 500 packets/s
	//   endpoint 5b7e1f3c-8a9d-4c2e-b1f0-6d5e4c3b2a19 receive 2048 KiB/s
	// true
}
