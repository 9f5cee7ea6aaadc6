package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// swaggerDoc is the subset of a Swagger 2.0 file the generator reads.
type swaggerDoc struct {
	Definitions ordered[swaggerDef] `json:"definitions"`
}

type swaggerDef struct {
	Type        string               `json:"type"`
	Description string               `json:"description"`
	Enum        []string             `json:"enum"`
	Properties  ordered[swaggerProp] `json:"properties"`
}

type swaggerProp struct {
	Ref                  string       `json:"$ref"`
	Type                 string       `json:"type"`
	Format               string       `json:"format"`
	Pattern              string       `json:"pattern"`
	Description          string       `json:"description"`
	Items                *swaggerProp `json:"items"`
	AdditionalProperties *swaggerProp `json:"additionalProperties"`
}

// ordered is a JSON object decoded with its member order kept, so the
// generated fields follow the order of the sources.
type ordered[T any] struct {
	Keys   []string
	Values map[string]T
}

func (o *ordered[T]) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("expected object, got %v", tok)
	}
	o.Values = make(map[string]T)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key := tok.(string)
		var v T
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if _, dup := o.Values[key]; !dup {
			o.Keys = append(o.Keys, key)
		}
		o.Values[key] = v
	}
	return nil
}

func loadSwagger(path string) (*swaggerDoc, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc swaggerDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &doc, nil
}

// swaggerType converts a Swagger property schema to a TypeRef. A $ref wins
// over a type that sits beside it.
func swaggerType(p *swaggerProp) (*TypeRef, error) {
	if p.Ref != "" {
		name, ok := strings.CutPrefix(p.Ref, "#/definitions/")
		if !ok {
			return nil, fmt.Errorf("unsupported $ref %q", p.Ref)
		}
		return &TypeRef{Kind: KindRef, Ref: name}, nil
	}
	switch p.Type {
	case "boolean":
		return &TypeRef{Kind: KindBool}, nil
	case "integer":
		return intType(p.Format)
	case "string":
		switch p.Format {
		case "date-time":
			return &TypeRef{Kind: KindTime}, nil
		case "byte", "binary":
			return &TypeRef{Kind: KindBytes, Format: p.Format}, nil
		}
		f := p.Format
		if p.Pattern != "" && f == "" {
			f = "guid"
		}
		return &TypeRef{Kind: KindString, Format: f}, nil
	case "array":
		if p.Items == nil {
			return nil, fmt.Errorf("array without items")
		}
		elem, err := swaggerType(p.Items)
		if err != nil {
			return nil, err
		}
		return &TypeRef{Kind: KindArray, Elem: elem}, nil
	case "object", "":
		if p.AdditionalProperties != nil {
			elem, err := swaggerType(p.AdditionalProperties)
			if err != nil {
				return nil, err
			}
			return &TypeRef{Kind: KindMap, Elem: elem}, nil
		}
		return &TypeRef{Kind: KindAny}, nil
	}
	// The older SDK files spell one map as a C++ template:
	// CaseInsensitiveStringMap<Namespace.Name>. It is a JSON object of Name.
	if inner, ok := strings.CutPrefix(p.Type, "CaseInsensitiveStringMap<"); ok {
		inner = strings.TrimSuffix(inner, ">")
		name := inner[strings.LastIndex(inner, ".")+1:]
		return &TypeRef{Kind: KindMap, Elem: &TypeRef{Kind: KindRef, Ref: name}}, nil
	}
	return nil, fmt.Errorf("unsupported type %q", p.Type)
}

func intType(format string) (*TypeRef, error) {
	switch format {
	case "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64":
		return &TypeRef{Kind: KindInt, Format: format}, nil
	}
	return nil, fmt.Errorf("unsupported integer format %q", format)
}
