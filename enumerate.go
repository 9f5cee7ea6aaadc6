package hcs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/schema"
)

// SystemInfo describes one compute system as enumeration reports it: the
// members of a schema.Properties document that HcsEnumerateComputeSystems
// fills, with the schema's types (Type is the document's SystemType). It is
// a summary, not a second home of the schema type: for the other
// properties, open the system and call System.Properties. The JSON form
// uses HCS's member names.
type SystemInfo struct {
	ID            string            `json:"Id"`
	Name          string            `json:"Name,omitempty"`
	Type          schema.SystemType `json:"SystemType,omitempty"`
	Owner         string            `json:"Owner,omitempty"`
	RuntimeID     string            `json:"RuntimeId,omitempty"`
	RuntimeOSType schema.OSType     `json:"RuntimeOsType,omitempty"`
	State         schema.State      `json:"State,omitempty"`
}

// ListSystems returns the compute systems q selects: each non-empty field
// of the schema's SystemQuery filters by membership (IDs, Names, Types,
// Owners), and a nil or empty query selects every system. Systems come and
// go while HCS answers: one listed may be gone by the time it is opened.
//
// It fails with an *Error: ctx's error when ctx ends first (the
// enumeration goes on in the background; see Host.Drain),
// ErrServiceDisconnect, or ErrInvalidSchema for a list HCS sent that
// cannot be read.
func (h *Host) ListSystems(ctx context.Context, q *schema.SystemQuery) ([]SystemInfo, error) {
	const op = "list"
	start := time.Now()
	infos, err := h.listSystems(ctx, op, q)
	h.log(ctx, op, "", start, err)
	return infos, err
}

// ListByOwner returns the compute systems whose owner is owner. It fails
// as ListSystems does.
func (h *Host) ListByOwner(ctx context.Context, owner string) ([]SystemInfo, error) {
	return h.ListSystems(ctx, &schema.SystemQuery{Owners: []string{owner}})
}

func (h *Host) listSystems(ctx context.Context, op string, q *schema.SystemQuery) ([]SystemInfo, error) {
	if err := h.available(op, ""); err != nil {
		return nil, err
	}
	// An empty field selects every system, as a missing one does: leave it
	// out rather than send an empty list.
	var sent schema.SystemQuery
	if q != nil {
		sent = *q
		sent.IDs = nonEmpty(sent.IDs)
		sent.Names = nonEmpty(sent.Names)
		sent.Types = nonEmpty(sent.Types)
		sent.Owners = nonEmpty(sent.Owners)
	}
	query, err := json.Marshal(sent)
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	doc, err := h.call(ctx, callee{op: op}, func(o backend.Handle) error {
		return h.b.EnumerateComputeSystems(string(query), o)
	})
	if err != nil {
		return nil, err
	}
	return parseSystemList(doc, op)
}

// nonEmpty returns s, or nil when s is empty.
func nonEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// parseSystemList reads an enumeration result: a JSON array of systems.
func parseSystemList(doc, op string) ([]SystemInfo, error) {
	infos := []SystemInfo{}
	if doc == "" {
		return infos, nil
	}
	if err := json.Unmarshal([]byte(doc), &infos); err != nil {
		return nil, &Error{Op: op, Err: fmt.Errorf("%w: HCS returned an unreadable system list: %w", ErrInvalidSchema, err)}
	}
	if infos == nil { // the document was null
		infos = []SystemInfo{}
	}
	return infos, nil
}
