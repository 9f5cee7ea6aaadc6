package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gohcs/hcs/hcssim"
)

// The state file remembers how the simulator's systems exited. HCS forgets
// a system once its last handle closes, and so does the simulator's state:
// the invocation after the one that stopped a system drops it. Without a
// record, an hcs command watching the system from another invocation (wait,
// events, exec, stats --watch) that reloads the file after that drop could
// only infer that the system was terminated, and hcs wait could not say how
// a system that stopped a moment ago exited. So each invocation that saves
// the state adds an exit record for every system it saw stopped, keeps the
// records it loaded, and drops those older than exitRetention, and the
// oldest beyond maxExits. hcssim's LoadState ignores the member, as it does
// every member it does not know.

// Exit records are kept this long, and at most this many.
const (
	exitRetention = 24 * time.Hour
	maxExits      = 256
)

// exitRecord is how a system exited, as the state file remembers it.
type exitRecord struct {
	ID        string
	RuntimeID string
	Type      string
	ExitType  string
	// Time is when an hcs command saw the system stopped.
	Time time.Time
}

// recordFields are the members of a record of hcssim's state that exit
// records need.
type recordFields struct {
	ID                          string
	RuntimeID                   string
	Type                        string
	State                       string
	ExitType                    string
	TerminateOnLastHandleClosed bool `json:",omitempty"`
}

// member is a member of a JSON object, its value as it was.
type member struct {
	name  string
	value json.RawMessage
}

// stateMembers returns the members of the state document doc in order.
func stateMembers(doc []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var members []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, err
		}
		name, _ := tok.(string) // an object's keys are strings
		members = append(members, member{name, value})
	}
	return members, nil
}

// marshalMembers writes members as a JSON object, indented with tabs as
// hcssim writes its state.
func marshalMembers(members []member) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(m.name)
		b.Write(name)
		b.WriteByte(':')
		b.Write(m.value)
	}
	b.WriteByte('}')
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "\t"); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// parseState returns the records of the systems of the state document doc,
// each as it is and as the fields exit records need, and its exit records.
func parseState(doc []byte) (members []member, systems []json.RawMessage, fields []recordFields, exits []exitRecord, err error) {
	members, err = stateMembers(doc)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	for _, m := range members {
		switch m.name {
		case "Systems":
			if err := json.Unmarshal(m.value, &systems); err != nil {
				return nil, nil, nil, nil, fmt.Errorf("member Systems: %w", err)
			}
			fields = make([]recordFields, len(systems))
			for i, rec := range systems {
				if err := json.Unmarshal(rec, &fields[i]); err != nil {
					return nil, nil, nil, nil, fmt.Errorf("member Systems: %w", err)
				}
			}
		case "Exits":
			if err := json.Unmarshal(m.value, &exits); err != nil {
				return nil, nil, nil, nil, fmt.Errorf("member Exits: %w", err)
			}
		}
	}
	return members, systems, fields, exits, nil
}

// setMember sets the member name of members to value, in place when it is
// there, else at the end.
func setMember(members []member, name string, value json.RawMessage) []member {
	for i := range members {
		if members[i].name == name {
			members[i].value = value
			return members
		}
	}
	return append(members, member{name, value})
}

// recordExits returns the state document doc, as SaveState wrote it, with
// its exit records: those of kept, and those of the systems doc lists as
// stopped, seen at now, or as terminated when the saving command's handle
// closes (ShouldTerminateOnLastHandleClosed: no later command can open
// them), less those older than exitRetention and the oldest beyond
// maxExits.
func recordExits(doc []byte, kept []exitRecord, now time.Time) ([]byte, []exitRecord, error) {
	members, _, fields, _, err := parseState(doc)
	if err != nil {
		return nil, nil, err
	}
	exits := append([]exitRecord{}, kept...)
	for _, f := range fields {
		if f.State != "Stopped" && !f.TerminateOnLastHandleClosed || slices.ContainsFunc(exits, func(e exitRecord) bool {
			return e.ID == f.ID && e.RuntimeID == f.RuntimeID
		}) {
			continue
		}
		exitType := f.ExitType
		if exitType == "" {
			exitType = "ForcedExit"
		}
		exits = append(exits, exitRecord{ID: f.ID, RuntimeID: f.RuntimeID, Type: f.Type, ExitType: exitType, Time: now})
	}
	exits = slices.DeleteFunc(exits, func(e exitRecord) bool { return now.Sub(e.Time) > exitRetention })
	slices.SortStableFunc(exits, func(a, b exitRecord) int { return a.Time.Compare(b.Time) })
	if len(exits) > maxExits {
		exits = exits[len(exits)-maxExits:]
	}
	value, err := json.Marshal(exits)
	if err != nil {
		return nil, nil, err
	}
	out, err := marshalMembers(setMember(members, "Exits", value))
	return out, exits, err
}

// applyExits returns the state document doc for LoadState into a
// simulator whose systems are live: each live system that has not stopped
// and that an exit record names, by id and runtime id, is listed as stopped
// with the recorded exit type, so that LoadState stops it as it exited
// rather than as terminated — in place of the record doc may have for that
// id, which is the system's or a later one's that reused the id.
func applyExits(doc []byte, exits []exitRecord, live []hcssim.SystemSnapshot) ([]byte, error) {
	members, systems, fields, _, err := parseState(doc)
	if err != nil {
		return nil, err
	}
	changed := false
	for _, sys := range live {
		if sys.State == "Stopped" {
			continue
		}
		i := slices.IndexFunc(exits, func(e exitRecord) bool { return e.ID == sys.ID && e.RuntimeID == sys.RuntimeID })
		if i < 0 {
			continue
		}
		e := exits[i]
		rec, err := json.Marshal(recordFields{ID: e.ID, RuntimeID: e.RuntimeID, Type: e.Type, State: "Stopped", ExitType: e.ExitType})
		if err != nil {
			return nil, err
		}
		if j := slices.IndexFunc(fields, func(f recordFields) bool { return f.ID == e.ID }); j >= 0 {
			if fields[j].RuntimeID == e.RuntimeID && fields[j].State == "Stopped" {
				continue // the state says it already
			}
			systems[j] = rec
		} else {
			systems = append(systems, rec)
		}
		changed = true
	}
	if !changed {
		return doc, nil
	}
	value, err := json.Marshal(systems)
	if err != nil {
		return nil, err
	}
	return marshalMembers(setMember(members, "Systems", value))
}

// lastExit returns the newest exit record of the system id.
func lastExit(exits []exitRecord, id string) (exitRecord, bool) {
	for i := len(exits) - 1; i >= 0; i-- {
		if exits[i].ID == id {
			return exits[i], true
		}
	}
	return exitRecord{}, false
}
