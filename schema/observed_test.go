package schema

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The members of issue 16: what live hosts and hcsshim send beyond the
// published schema decode into typed fields, not into Unknown.

func readTestdata[T any](t *testing.T, name string) *T {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	v := roundTrip[T](t, data)
	if u := UnknownMembers(v); len(u) > 0 {
		t.Fatalf("%s: unknown members %v", name, u)
	}
	return v
}

func TestLivePropertiesMembers(t *testing.T) {
	p := readTestdata[Properties](t, "properties_live.json")
	if p.RuntimeImagePath != `C:\layers\3f8a1c\UtilityVM` {
		t.Errorf("RuntimeImagePath = %q", p.RuntimeImagePath)
	}
	if p.ServiceSessionID == nil || *p.ServiceSessionID != 1 {
		t.Errorf("ServiceSessionID = %v", p.ServiceSessionID)
	}
	mt := p.MemoryTopology
	if mt == nil || mt.AccessTrackingEnabled == nil || *mt.AccessTrackingEnabled ||
		mt.GPAMappingSizeInPages == nil || *mt.GPAMappingSizeInPages != 0 {
		t.Errorf("MemoryTopology = %+v", mt)
	}
	if n := p.Statistics.Network; n == nil || len(n) != 0 {
		t.Errorf("Network = %#v, want an empty, non-nil slice", n)
	}
}

func TestStatisticsNetwork(t *testing.T) {
	s := readTestdata[Statistics](t, "statistics_network.json")
	if len(s.Network) != 2 {
		t.Fatalf("%d endpoints, want 2", len(s.Network))
	}
	e := s.Network[0]
	if e.EndpointID != "5b7e1f3c-8a9d-4c2e-b1f0-6d5e4c3b2a19" || e.InstanceID != "e2c4a6b8-1d3f-4a5b-9c7d-0e1f2a3b4c5d" {
		t.Errorf("ids %q %q", e.EndpointID, e.InstanceID)
	}
	for name, c := range map[string]struct {
		got  *uint64
		want uint64
	}{
		"BytesReceived":          {e.BytesReceived, 1843200},
		"BytesSent":              {e.BytesSent, 409600},
		"PacketsReceived":        {e.PacketsReceived, 1400},
		"PacketsSent":            {e.PacketsSent, 610},
		"DroppedPacketsIncoming": {e.DroppedPacketsIncoming, 3},
		"DroppedPacketsOutgoing": {e.DroppedPacketsOutgoing, 0},
	} {
		if c.got == nil || *c.got != c.want {
			t.Errorf("%s = %v, want %d", name, c.got, c.want)
		}
	}
	if d := s.Network[1]; d.DroppedPacketsIncoming != nil || d.DroppedPacketsOutgoing != nil {
		t.Errorf("absent drop counters decoded as %v %v", d.DroppedPacketsIncoming, d.DroppedPacketsOutgoing)
	}
}

func TestConfidentialVMMembers(t *testing.T) {
	cs := readTestdata[ComputeSystem](t, "computesystem_confidential.json")
	vm := cs.VirtualMachine
	if vm.GuestState.GuestStateFileType != "FileMode" {
		t.Errorf("GuestStateFileType = %q", vm.GuestState.GuestStateFileType)
	}
	ss := vm.SecuritySettings
	if ss == nil || ss.EnableTPM == nil || *ss.EnableTPM || ss.Isolation == nil {
		t.Fatalf("SecuritySettings = %+v", ss)
	}
	iso := ss.Isolation
	if iso.IsolationType != "SecureNestedPaging" || iso.LaunchData == "" ||
		iso.HCLEnabled == nil || *iso.HCLEnabled || iso.DebugPort == nil || *iso.DebugPort != 0 {
		t.Errorf("Isolation = %+v", iso)
	}
	// A received empty string is kept: DebugHost was sent as "".
	if out, err := iso.MarshalJSON(); err != nil || !bytes.Contains(out, []byte(`"DebugHost":""`)) {
		t.Errorf("Isolation encodes as %s, %v", out, err)
	}
}
