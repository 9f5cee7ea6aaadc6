package hcs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/schema"
)

// Properties returns the system's properties: the basic ones (id, type,
// owner, state, ...) and those of the given types, such as
// schema.SystemPropertyTypeStatistics or schema.SystemPropertyTypeProcessList.
func (s *System) Properties(ctx context.Context, types ...schema.SystemPropertyType) (*schema.Properties, error) {
	var q *schema.SystemPropertyQuery
	if len(types) > 0 {
		q = &schema.SystemPropertyQuery{PropertyTypes: types}
	}
	return s.QueryProperties(ctx, q)
}

// QueryProperties is Properties with a full query, for the property
// queries of schema 2.5 and later. A nil query asks for the basic
// properties.
func (s *System) QueryProperties(ctx context.Context, q *schema.SystemPropertyQuery) (*schema.Properties, error) {
	var query json.RawMessage
	if q != nil {
		b, err := q.MarshalJSON()
		if err != nil {
			return nil, &Error{Op: "properties", ID: s.id, Err: fmt.Errorf("%w: %w", ErrInvalidSchema, err)}
		}
		query = b
	}
	doc, err := s.PropertiesJSON(ctx, query)
	if err != nil {
		return nil, err
	}
	var p schema.Properties
	if err := unmarshalResult(doc, &p); err != nil {
		return nil, &Error{Op: "properties", ID: s.id, Err: err}
	}
	return &p, nil
}

// PropertiesJSON sends query, a System_PropertyQuery document (nil for the
// basic properties; UTF-16 is sent as UTF-8, see schema.ToUTF8), and
// returns HCS's Properties document as it came.
func (s *System) PropertiesJSON(ctx context.Context, query json.RawMessage) (json.RawMessage, error) {
	start := time.Now()
	q, err := utf8Text(query)
	if err != nil {
		err = &Error{Op: "properties", ID: s.id, Err: fmt.Errorf("%w: %w", ErrInvalidSchema, err)}
		s.h.log(ctx, "properties", s.id, start, err)
		return nil, err
	}
	doc, err := s.run(ctx, "properties", false, func(sys, o backend.Handle) error {
		return s.h.b.GetComputeSystemProperties(sys, o, q)
	})
	s.h.log(ctx, "properties", s.id, start, err)
	if err != nil {
		return nil, err
	}
	return rawDocument(doc), nil
}

// Statistics returns the system's runtime statistics: processor time,
// memory and storage counters (times in 100 ns units). It accepts both the
// Properties document HCS returns and a bare Statistics document, and
// fails, rather than returning zeroes, when HCS returns no statistics.
func (s *System) Statistics(ctx context.Context) (*schema.Statistics, error) {
	doc, err := s.PropertiesJSON(ctx, json.RawMessage(`{"PropertyTypes":["Statistics"]}`))
	if err != nil {
		return nil, err
	}
	st, err := parseStatistics(doc)
	if err != nil {
		return nil, &Error{Op: "statistics", ID: s.id, Err: err}
	}
	return st, nil
}

// parseStatistics reads statistics from a Properties document
// ({"Statistics": {...}}) or a bare Statistics document, with the schema's
// generated decoders called directly (their fast path).
func parseStatistics(doc []byte) (*schema.Statistics, error) {
	var props schema.Properties
	if err := props.UnmarshalJSON(doc); err != nil {
		return nil, fmt.Errorf("%w: unreadable statistics document: %w", ErrInvalidSchema, err)
	}
	st := props.Statistics
	if st == nil {
		st = new(schema.Statistics)
		if err := st.UnmarshalJSON(doc); err != nil {
			return nil, fmt.Errorf("%w: unreadable statistics document: %w", ErrInvalidSchema, err)
		}
	}
	if st.Timestamp.IsZero() && st.Uptime100ns == nil && st.Processor == nil && st.Memory == nil && st.Storage == nil {
		return nil, fmt.Errorf("%w: HCS returned no statistics", ErrInvalidSchema)
	}
	return st, nil
}

// Modify changes the system while it runs: adds or removes a device,
// resizes memory, sends a guest request, ... as req describes. If ctx ends
// first, Modify returns the context's error and HCS may still apply the
// change.
func (s *System) Modify(ctx context.Context, req *schema.ModifySettingRequest) error {
	if req == nil {
		return &Error{Op: "modify", ID: s.id, Err: fmt.Errorf("%w: nil request", ErrInvalidArgument)}
	}
	b, err := req.MarshalJSON()
	if err != nil {
		return &Error{Op: "modify", ID: s.id, Err: fmt.Errorf("%w: %w", ErrInvalidSchema, err)}
	}
	return s.ModifyJSON(ctx, b)
}

// ModifyJSON is Modify with the ModifySettingRequest document as JSON. The
// document may be UTF-16 or start with a byte order mark: it is sent as
// UTF-8 (schema.ToUTF8).
func (s *System) ModifyJSON(ctx context.Context, req json.RawMessage) error {
	doc, err := utf8Text(req)
	if err != nil {
		return &Error{Op: "modify", ID: s.id, Err: fmt.Errorf("%w: %w", ErrInvalidSchema, err)}
	}
	return s.simple(ctx, "modify", false, func(sys, o backend.Handle) error {
		return s.h.b.ModifyComputeSystem(sys, o, doc)
	})
}

// Save saves the state of a paused system: to a file, or as a template
// (opts.SaveType). nil options use HCS's defaults. A system that is not
// paused gives ErrInvalidState. If ctx ends first, Save returns the
// context's error and HCS finishes saving in the background.
func (s *System) Save(ctx context.Context, opts *schema.SaveOptions) error {
	doc, err := optionsDocument(opts)
	if err != nil {
		return &Error{Op: "save", ID: s.id, Err: err}
	}
	return s.simple(ctx, "save", false, func(sys, o backend.Handle) error {
		return s.h.b.SaveComputeSystem(sys, o, doc)
	})
}

// Crash makes the system crash, for diagnosis (a guest crash dump where
// the system is configured for one). The system then exits with exit type
// UnexpectedExit. nil options use HCS's defaults.
func (s *System) Crash(ctx context.Context, opts *schema.CrashOptions) error {
	doc, err := optionsDocument(opts)
	if err != nil {
		return &Error{Op: "crash", ID: s.id, Err: err}
	}
	return s.simple(ctx, "crash", true, func(sys, o backend.Handle) error {
		return s.h.b.CrashComputeSystem(sys, o, doc)
	})
}

// optionsDocument encodes an options struct; a nil pointer is "" (NULL).
func optionsDocument[T any](opts *T) (string, error) {
	if opts == nil {
		return "", nil
	}
	b, err := marshal(opts)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidSchema, err)
	}
	return string(b), nil
}

// unmarshalResult decodes a result document into a schema type, failing
// clearly on an empty one instead of returning a zero value. The schema
// types check the text themselves, so their UnmarshalJSON is called
// directly, without encoding/json's two passes over the text first.
func unmarshalResult(doc []byte, v json.Unmarshaler) error {
	if len(doc) == 0 {
		return fmt.Errorf("%w: HCS returned an empty document", ErrInvalidSchema)
	}
	if err := v.UnmarshalJSON(doc); err != nil {
		return fmt.Errorf("%w: unreadable result document: %w", ErrInvalidSchema, err)
	}
	return nil
}
