package spec

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// refDef is one type documented in SchemaReference.md.
type refDef struct {
	Name        string
	Enum        bool
	Description string
	Fields      []refField
	Values      []refValue
}

type refField struct {
	Name        string
	Type        *TypeRef
	Since       string
	Description string
}

type refValue struct {
	Value       string
	Since       string
	Description string
}

var (
	anchorRE   = regexp.MustCompile(`^<a name = "([^"]+)"></a>\s*$`)
	sinceRE    = regexp.MustCompile(`^\[(\d+\.\d+)\]\(#Schema-Version-Map\)$`)
	fieldRowRE = regexp.MustCompile(`^\|\*\*([^*]+)\*\*<br>\|`)
	valueRowRE = regexp.MustCompile("^\\|`\"([^\"]*)\"`<br>\\|")
	linkRE     = regexp.MustCompile(`^\[([^\]]+)\]\(#([^)]+)\)$`)
)

// loadReference parses the Enums and Structs sections of SchemaReference.md.
// The page is a sequence of sections, each introduced by an anchor and a
// heading, holding an optional description and one table.
func loadReference(path string) ([]*refDef, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	var (
		defs    []*refDef
		cur     *refDef
		section string // "enums", "structs" or "" once past them
	)
	for i, line := range lines {
		line = strings.TrimRight(line, " \t")
		if m := anchorRE.FindStringSubmatch(line); m != nil {
			switch m[1] {
			case "enums", "structs":
				section, cur = m[1], nil
				continue
			case "JSON-type", "Schema-Version-Map":
				section, cur = "", nil
				continue
			}
			if section == "" {
				continue
			}
			cur = &refDef{Name: m[1], Enum: section == "enums"}
			defs = append(defs, cur)
			continue
		}
		if cur == nil {
			continue
		}
		switch {
		case strings.HasPrefix(line, "## "), strings.HasPrefix(line, "Referenced by:"),
			strings.HasPrefix(line, "**Note:**"), strings.HasPrefix(line, "|---"),
			strings.HasPrefix(line, "|Field|"), strings.HasPrefix(line, "|Variants|"),
			line == "---", line == "":
		case strings.HasPrefix(line, "|"):
			if err := cur.addRow(line); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, i+1, err)
			}
		default:
			if cur.Description != "" {
				cur.Description += " "
			}
			cur.Description += strings.TrimSpace(line)
		}
	}
	return defs, nil
}

func (d *refDef) addRow(line string) error {
	if d.Enum {
		m := valueRowRE.FindStringSubmatch(line)
		if m == nil {
			return fmt.Errorf("unrecognised enum row %q", line)
		}
		cells := strings.Split(strings.TrimSuffix(line[len(m[0]):], "|"), "|")
		since, err := parseSince(cells[0])
		if err != nil {
			return err
		}
		d.Values = append(d.Values, refValue{Value: m[1], Since: since, Description: cleanText(strings.Join(cells[1:], "|"))})
		return nil
	}
	m := fieldRowRE.FindStringSubmatch(line)
	if m == nil {
		return fmt.Errorf("unrecognised field row %q", line)
	}
	cells := strings.Split(strings.TrimSuffix(line[len(m[0]):], "|"), "|")
	if len(cells) < 2 {
		return fmt.Errorf("short field row %q", line)
	}
	t, err := parseRefType(cells[0])
	if err != nil {
		return fmt.Errorf("field %s: %w", m[1], err)
	}
	since, err := parseSince(cells[1])
	if err != nil {
		return err
	}
	d.Fields = append(d.Fields, refField{Name: m[1], Type: t, Since: since, Description: cleanText(strings.Join(cells[2:], "|"))})
	return nil
}

func parseSince(cell string) (string, error) {
	m := sinceRE.FindStringSubmatch(strings.TrimSpace(cell))
	if m == nil {
		return "", fmt.Errorf("unrecognised version cell %q", cell)
	}
	return m[1], nil
}

// parseRefType reads the Type column of a SchemaReference.md table:
// [T](#T), [builtin](#JSON-type), <[T](#T)> array, <[T](#T), N> array and
// [Map](#JSON-type)<K, V>.
func parseRefType(s string) (*TypeRef, error) {
	s = strings.TrimSpace(s)
	if inner, ok := strings.CutSuffix(s, "> array"); ok && strings.HasPrefix(inner, "<") {
		parts := splitTop(inner[1:])
		elem, err := parseRefType(parts[0])
		if err != nil {
			return nil, err
		}
		t := &TypeRef{Kind: KindArray, Elem: elem}
		if len(parts) == 2 {
			n, err := strconv.Atoi(strings.TrimSpace(parts[1]))
			if err != nil {
				return nil, fmt.Errorf("array length in %q: %w", s, err)
			}
			t.Len = n
		}
		return t, nil
	}
	if inner, ok := strings.CutPrefix(s, "[Map](#JSON-type)<"); ok {
		parts := splitTop(strings.TrimSuffix(inner, ">"))
		if len(parts) != 2 {
			return nil, fmt.Errorf("map type %q", s)
		}
		elem, err := parseRefType(parts[1])
		if err != nil {
			return nil, err
		}
		key := strings.TrimSpace(parts[0])
		if m := linkRE.FindStringSubmatch(key); m != nil {
			key = m[1]
		}
		return &TypeRef{Kind: KindMap, Elem: elem, Key: key}, nil
	}
	name := s
	target := "JSON-type"
	if m := linkRE.FindStringSubmatch(s); m != nil {
		name, target = m[1], m[2]
	}
	if target != "JSON-type" {
		return &TypeRef{Kind: KindRef, Ref: target}, nil
	}
	switch name {
	case "Any":
		return &TypeRef{Kind: KindAny}, nil
	case "bool":
		return &TypeRef{Kind: KindBool}, nil
	case "ByteArray":
		return &TypeRef{Kind: KindBytes, Format: "byte"}, nil
	case "NullableByteArray", "string_binary":
		return &TypeRef{Kind: KindBytes, Format: "binary"}, nil
	case "DateTime":
		return &TypeRef{Kind: KindTime}, nil
	case "Guid":
		return &TypeRef{Kind: KindString, Format: "guid"}, nil
	case "MacAddress":
		return &TypeRef{Kind: KindString, Format: "mac-address"}, nil
	case "string":
		return &TypeRef{Kind: KindString}, nil
	case "Map":
		return &TypeRef{Kind: KindMap, Elem: &TypeRef{Kind: KindAny}}, nil
	}
	return intType(name)
}

// splitTop splits s at commas that are not inside <...>.
func splitTop(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '<':
			depth++
		case '>':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

// cleanText turns a table cell into plain text.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "<br>", " ")
	return strings.Join(strings.Fields(s), " ")
}
