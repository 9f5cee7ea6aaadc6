package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gohcs/hcs/hcssim"
)

// state returns a state document with the given system records and
// members after them.
func state(records []string, extra string) []byte {
	return []byte(`{"Format":"hcssim-state/1","Systems":[` + strings.Join(records, ",") + `]` + extra + `}`)
}

func rec(id, runtimeID, st, exitType string) string {
	return fmt.Sprintf(`{"ID":%q,"Owner":"me","Type":"Container","RuntimeID":%q,"State":%q,"ExitType":%q}`, id, runtimeID, st, exitType)
}

func TestRecordExits(t *testing.T) {
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	kept := []exitRecord{
		{ID: "old", RuntimeID: "r0", Type: "Container", ExitType: "GracefulExit", Time: now.Add(-exitRetention - time.Second)},
		{ID: "recent", RuntimeID: "r1", Type: "Container", ExitType: "ForcedExit", Time: now.Add(-time.Hour)},
		{ID: "web", RuntimeID: "r2", Type: "Container", ExitType: "GracefulExit", Time: now.Add(-time.Minute)},
	}
	doc := state([]string{
		rec("web", "r2", "Stopped", "GracefulExit"), // recorded already
		rec("vm", "r3", "Stopped", "UnexpectedExit"),
		rec("up", "r4", "Running", ""),
		`{"ID":"doomed","Type":"Container","RuntimeID":"r5","State":"Created","TerminateOnLastHandleClosed":true}`,
	}, `,"Layers":{"kept":true}`)
	out, exits, err := recordExits(doc, kept, now)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range exits {
		got = append(got, fmt.Sprintf("%s/%s %s %v", e.ID, e.RuntimeID, e.ExitType, now.Sub(e.Time)))
	}
	want := []string{"recent/r1 ForcedExit 1h0m0s", "web/r2 GracefulExit 1m0s", "vm/r3 UnexpectedExit 0s", "doomed/r5 ForcedExit 0s"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("exits %v, want %v", got, want)
	}
	// The document keeps what SaveState wrote, members hcs does not know
	// included, and gains the exits.
	var back struct {
		Format  string
		Systems []json.RawMessage
		Layers  map[string]bool
		Exits   []exitRecord
	}
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if back.Format != "hcssim-state/1" || len(back.Systems) != 4 || !back.Layers["kept"] || len(back.Exits) != 4 {
		t.Errorf("saved document:\n%s", out)
	}
	if i, j := bytes.Index(out, []byte(`"Layers"`)), bytes.Index(out, []byte(`"Exits"`)); i < 0 || j < i {
		t.Errorf("members out of order:\n%s", out)
	}
}

func TestRecordExitsKeepsTheNewest(t *testing.T) {
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	var kept []exitRecord
	for i := range maxExits + 10 {
		kept = append(kept, exitRecord{ID: fmt.Sprint("s", i), RuntimeID: "r", Type: "Container", ExitType: "ForcedExit",
			Time: now.Add(time.Duration(i-maxExits-10) * time.Second)})
	}
	_, exits, err := recordExits(state(nil, ""), kept, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(exits) != maxExits || exits[0].ID != "s10" || exits[len(exits)-1].ID != fmt.Sprint("s", maxExits+9) {
		t.Errorf("%d exits, from %s to %s", len(exits), exits[0].ID, exits[len(exits)-1].ID)
	}
	if e, ok := lastExit(exits, "s20"); !ok || e.ID != "s20" {
		t.Errorf("lastExit(s20) = %v, %v", e, ok)
	}
	if _, ok := lastExit(exits, "s0"); ok {
		t.Error("lastExit found a dropped record")
	}
}

func TestApplyExits(t *testing.T) {
	exits := []exitRecord{
		{ID: "gone", RuntimeID: "r1", Type: "Container", ExitType: "GracefulExit"},
		{ID: "reused", RuntimeID: "r2", Type: "VirtualMachine", ExitType: "UnexpectedExit"},
		{ID: "said", RuntimeID: "r3", Type: "Container", ExitType: "ForcedExit"},
		{ID: "unknown", RuntimeID: "r9", Type: "Container", ExitType: "ForcedExit"},
	}
	live := []hcssim.SystemSnapshot{
		{ID: "gone", RuntimeID: "r1", State: "Running"},
		{ID: "reused", RuntimeID: "r2", State: "Paused"},
		{ID: "said", RuntimeID: "r3", State: "Running"},
		{ID: "up", RuntimeID: "r4", State: "Running"},
		{ID: "stopped", RuntimeID: "r5", State: "Stopped"},
	}
	doc := state([]string{
		rec("reused", "r6", "Created", ""), // a later system with the id
		rec("said", "r3", "Stopped", "ForcedExit"),
		rec("up", "r4", "Running", ""),
	}, "")
	out, err := applyExits(doc, exits, live)
	if err != nil {
		t.Fatal(err)
	}
	_, _, fields, _, err := parseState(out)
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[string]recordFields)
	for _, f := range fields {
		got[f.ID] = f
	}
	for id, want := range map[string]recordFields{
		"gone":   {ID: "gone", RuntimeID: "r1", Type: "Container", State: "Stopped", ExitType: "GracefulExit"},
		"reused": {ID: "reused", RuntimeID: "r2", Type: "VirtualMachine", State: "Stopped", ExitType: "UnexpectedExit"},
		"said":   {ID: "said", RuntimeID: "r3", Type: "Container", State: "Stopped", ExitType: "ForcedExit"},
		"up":     {ID: "up", RuntimeID: "r4", Type: "Container", State: "Running"},
	} {
		if got[id] != want {
			t.Errorf("%s: %+v, want %+v", id, got[id], want)
		}
	}
	if len(fields) != 4 {
		t.Errorf("%d records: %s", len(fields), out)
	}
	// Nothing to apply: the document as it was.
	if out, err := applyExits(doc, nil, live); err != nil || !bytes.Equal(out, doc) {
		t.Errorf("no exits: %v\n%s", err, out)
	}
}

// TestFollowerSeesRecordedExit loads into a simulator that has a running
// system a state that no longer lists it but records its exit: the system
// exits as recorded, not as terminated.
func TestFollowerSeesRecordedExit(t *testing.T) {
	sim := hcssim.New()
	defer sim.Close()
	host := sim.Host()
	ctx := t.Context()
	sys, err := host.CreateSystem(ctx, "web", `{"Owner":"me","Container":{}}`)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Start(ctx); err != nil {
		t.Fatal(err)
	}
	runtimeID := sim.Systems()[0].RuntimeID
	exits := []exitRecord{{ID: "web", RuntimeID: runtimeID, Type: "Container", ExitType: "GracefulExit", Time: time.Now()}}
	b, err := json.Marshal(exits)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := applyExits(state(nil, `,"Exits":`+string(b)), exits, sim.Systems())
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.LoadState(bytes.NewReader(doc)); err != nil {
		t.Fatal(err)
	}
	st, err := sys.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.ExitType != "GracefulExit" {
		t.Errorf("exit type %s, want GracefulExit", st.ExitType)
	}
}
