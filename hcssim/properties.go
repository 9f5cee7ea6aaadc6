package hcssim

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"

	"github.com/gohcs/hcs"
)

// The documents of HcsGetComputeSystemProperties and
// HcsEnumerateComputeSystems, with the schema's wire names.

// properties is the Properties document of the schema.
type properties struct {
	ID                          string          `json:"Id"`
	SystemType                  string          `json:"SystemType"`
	Name                        string          `json:"Name"`
	Owner                       string          `json:"Owner"`
	RuntimeID                   string          `json:"RuntimeId"`
	State                       string          `json:"State"`
	Stopped                     bool            `json:"Stopped"`
	ExitType                    string          `json:"ExitType,omitempty"`
	RuntimeOsType               string          `json:"RuntimeOsType"`
	Statistics                  *statistics     `json:"Statistics,omitempty"`
	ProcessList                 *[]processEntry `json:"ProcessList,omitempty"`
	TerminateOnLastHandleClosed *bool           `json:"TerminateOnLastHandleClosed,omitempty"`
}

// statistics is the Statistics document of the schema.
type statistics struct {
	Timestamp          time.Time `json:"Timestamp"`
	ContainerStartTime time.Time `json:"ContainerStartTime"`
	Uptime100ns        uint64    `json:"Uptime100ns"`
	Processor          struct {
		TotalRuntime100ns  uint64 `json:"TotalRuntime100ns"`
		RuntimeUser100ns   uint64 `json:"RuntimeUser100ns"`
		RuntimeKernel100ns uint64 `json:"RuntimeKernel100ns"`
	} `json:"Processor"`
	Memory struct {
		MemoryUsageCommitBytes            uint64 `json:"MemoryUsageCommitBytes"`
		MemoryUsageCommitPeakBytes        uint64 `json:"MemoryUsageCommitPeakBytes"`
		MemoryUsagePrivateWorkingSetBytes uint64 `json:"MemoryUsagePrivateWorkingSetBytes"`
	} `json:"Memory"`
	Storage struct {
		ReadCountNormalized  uint64 `json:"ReadCountNormalized"`
		ReadSizeBytes        uint64 `json:"ReadSizeBytes"`
		WriteCountNormalized uint64 `json:"WriteCountNormalized"`
		WriteSizeBytes       uint64 `json:"WriteSizeBytes"`
	} `json:"Storage"`
	Network []networkStats `json:"Network"`
}

// networkStats is the NetworkStats document: the counters of one network
// endpoint, in the order of the schema 1 statistics HCS wrote them in.
type networkStats struct {
	BytesReceived          uint64 `json:"BytesReceived"`
	BytesSent              uint64 `json:"BytesSent"`
	PacketsReceived        uint64 `json:"PacketsReceived"`
	PacketsSent            uint64 `json:"PacketsSent"`
	DroppedPacketsIncoming uint64 `json:"DroppedPacketsIncoming"`
	DroppedPacketsOutgoing uint64 `json:"DroppedPacketsOutgoing"`
	EndpointID             string `json:"EndpointId"`
	InstanceID             string `json:"InstanceId"`
}

// processEntry is the ProcessDetails document of the schema.
type processEntry struct {
	ProcessID       uint32    `json:"ProcessId"`
	ImageName       string    `json:"ImageName"`
	CreateTimestamp time.Time `json:"CreateTimestamp"`
}

// systemEntry is an element of the enumeration result: a Properties
// document with the members HCS fills in a listing.
type systemEntry struct {
	ID            string `json:"Id"`
	SystemType    string `json:"SystemType"`
	Name          string `json:"Name"`
	Owner         string `json:"Owner"`
	RuntimeID     string `json:"RuntimeId"`
	RuntimeOsType string `json:"RuntimeOsType"`
	State         string `json:"State"`
}

// runtimeOS is the RuntimeOsType of every simulated system: the simulator
// models Windows containers and virtual machines running Windows.
const runtimeOS = "Windows"

// The simulated statistics: the processor is busy a quarter of the running
// time, two thirds of it in user mode; the storage reads 100 and writes 50
// blocks of 4 KiB per second of running time; memory use is constant. Each
// system has one network endpoint, which receives 200 packets of 1 KiB and
// sends 100 of 512 bytes per second of running time, and drops one
// incoming packet every 10 seconds.
const (
	readsPerSecond  = 100
	writesPerSecond = 50
	blockSize       = 4096

	packetsInPerSecond  = 200
	packetsOutPerSecond = 100
	packetInSize        = 1024
	packetOutSize       = 512
	secondsPerDrop      = 10
)

// stats returns the statistics of sys at now.
func stats(sys *system, now time.Time) *statistics {
	st := &statistics{Timestamp: now, ContainerStartTime: sys.StartedAt}
	st.Uptime100ns = uint64(now.Sub(sys.StartedAt) / 100)
	run := sys.runTime(now)
	total := uint64(run / 100 / 4)
	st.Processor.TotalRuntime100ns = total
	st.Processor.RuntimeUser100ns = total * 2 / 3
	st.Processor.RuntimeKernel100ns = total - total*2/3
	st.Memory.MemoryUsageCommitBytes = 256 << 20
	st.Memory.MemoryUsageCommitPeakBytes = 300 << 20
	st.Memory.MemoryUsagePrivateWorkingSetBytes = 192 << 20
	reads := uint64(run * readsPerSecond / time.Second)
	writes := uint64(run * writesPerSecond / time.Second)
	st.Storage.ReadCountNormalized = reads
	st.Storage.ReadSizeBytes = reads * blockSize
	st.Storage.WriteCountNormalized = writes
	st.Storage.WriteSizeBytes = writes * blockSize
	in := uint64(run * packetsInPerSecond / time.Second)
	out := uint64(run * packetsOutPerSecond / time.Second)
	st.Network = []networkStats{{
		BytesReceived:          in * packetInSize,
		BytesSent:              out * packetOutSize,
		PacketsReceived:        in,
		PacketsSent:            out,
		DroppedPacketsIncoming: uint64(run / (secondsPerDrop * time.Second)),
		EndpointID:             endpointID(sys.ID),
		InstanceID:             nameGUID("instance " + sys.RuntimeID),
	}}
	return st
}

// endpointID returns the GUID of the network endpoint of the system id:
// always the same for an id, so that tests and dashboards can name it.
func endpointID(id string) string { return nameGUID("endpoint " + id) }

// properties computes the result of a properties query on sys. s.mu is
// held.
func (s *Sim) properties(sys *system, query string) outcome {
	var q struct{ PropertyTypes []string }
	if query != "" {
		if err := json.Unmarshal([]byte(query), &q); err != nil {
			return fail(hcs.HCS_E_INVALID_JSON, "invalid property query: %v", err)
		}
	}
	doc := properties{
		ID:            sys.ID,
		SystemType:    sys.Type,
		Name:          sys.ID,
		Owner:         sys.Owner,
		RuntimeID:     sys.RuntimeID,
		State:         sys.State,
		Stopped:       sys.State == stateStopped,
		ExitType:      sys.ExitType,
		RuntimeOsType: runtimeOS,
	}
	for _, t := range q.PropertyTypes {
		switch t {
		case "Statistics":
			if sys.State != stateRunning && sys.State != statePaused {
				return fail(hcs.HCS_E_INVALID_STATE, "no statistics in state %s", sys.State)
			}
			doc.Statistics = stats(sys, s.now())
		case "ProcessList":
			list := []processEntry{}
			for _, p := range sys.procs {
				if !p.Exited {
					list = append(list, processEntry{p.PID, p.ImageName, p.CreatedAt})
				}
			}
			slices.SortFunc(list, func(a, b processEntry) int { return cmp.Compare(a.ProcessID, b.ProcessID) })
			doc.ProcessList = &list
		case "TerminateOnLastHandleClosed":
			doc.TerminateOnLastHandleClosed = &sys.TerminateOnLastHandleClosed
		case "Memory", "SharedMemoryRegion", "GuestConnection":
			// Valid, not modelled: nothing to report.
		default:
			return fail(hcs.E_INVALIDARG, "unknown property type %q", t)
		}
	}
	return marshal(doc)
}

// marshal returns a success whose result is v as JSON.
func marshal(v any) outcome {
	doc, err := json.Marshal(v)
	if err != nil {
		panic(err) // the documents are made of types that always marshal
	}
	return ok(string(doc))
}

// enumerate computes the result of an enumeration. s.mu is held.
func (s *Sim) enumerate(query string) outcome {
	var q struct{ Ids, Names, Types, Owners []string }
	if query != "" {
		if err := json.Unmarshal([]byte(query), &q); err != nil {
			return fail(hcs.HCS_E_INVALID_JSON, "invalid system query: %v", err)
		}
	}
	match := func(filter []string, v string) bool { return len(filter) == 0 || slices.Contains(filter, v) }
	list := []systemEntry{}
	for _, sys := range s.sortedSystems() {
		if match(q.Ids, sys.ID) && match(q.Names, sys.ID) && match(q.Types, sys.Type) && match(q.Owners, sys.Owner) {
			list = append(list, systemEntry{sys.ID, sys.Type, sys.ID, sys.Owner, sys.RuntimeID, runtimeOS, sys.State})
		}
	}
	return marshal(list)
}
