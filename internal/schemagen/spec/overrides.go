package spec

import "fmt"

// An override corrects or extends the published sources where what HCS and
// widely used clients put on the wire differs from them. Every entry says
// why it exists. Overrides never remove anything the sources list.
type override struct {
	Type  string   // definition name
	Field string   // wire name of a field of an object, or
	Value string   // a value to add to an enum (it must not exist yet)
	Add   *TypeRef // with Field, non-nil: add the field (it must not exist yet)
	Note  string   // becomes part of the field's or value's doc comment
}

var overrides = []override{
	{
		Type: "VirtualMachine_Memory", Field: "Backing",
		Add: &TypeRef{Kind: KindString},
		Note: "Backing selects how guest memory is backed: \"Virtual\" (pageable, the default), " +
			"\"Physical\" or \"Hybrid\". Microsoft's own samples (Tutorial.md, OperationCompletionSample.md, " +
			"EventCallbackSample.md) send it; neither published source lists it.",
	},
	{
		Type: "ProcessParameters", Field: "ConsoleSize",
		Note: "ConsoleSize holds two numbers, height then width (SchemaReference.md types it as a " +
			"two-element uint16 array; older clients send int64s, which decode as long as they fit).",
	},
	{
		Type: "ProcessParameters", Field: "CreateInUtilityVM",
		Add: &TypeRef{Kind: KindBool},
		Note: "CreateInUtilityVM asks HCS to start the process in the utility VM hosting a " +
			"Hyper-V isolated container rather than in the container. hcsshim sends it; neither " +
			"published source lists it.",
	},
	{
		Type: "Container", Field: "IsolationType",
		Add: &TypeRef{Kind: KindString},
		Note: "IsolationType selects the container kind; hcsshim sends \"HostProcess\" for " +
			"Windows HostProcess containers and \"Process\" otherwise. Neither published source lists it.",
	},
	{
		Type: "Plan9Share", Field: "Flags",
		Add: &TypeRef{Kind: KindInt, Format: "uint32"},
		Note: "Flags is a bit mask of share options: 0x1 read-only, 0x4 Linux metadata, 0x8 case " +
			"sensitive, 0x80 restricted to AllowedFiles. hcsshim sets it on every Plan9 share of a " +
			"Linux utility VM; neither published source lists it.",
	},
	{
		Type: "Attachment", Field: "ExtensibleVirtualDiskType",
		Add: &TypeRef{Kind: KindString},
		Note: "ExtensibleVirtualDiskType names the provider of an attachment of type " +
			"\"ExtensibleVirtualDisk\". hcsshim sends it; neither published source lists it.",
	},
	{
		Type: "AttachmentType", Value: "ExtensibleVirtualDisk",
		Note: "A disk served by an extensible virtual disk provider, named by " +
			"Attachment.ExtensibleVirtualDiskType. hcsshim sends it; neither published source lists it.",
	},
}

func (m *Model) applyOverrides() error {
	for _, o := range overrides {
		t := m.byName[o.Type]
		if t == nil {
			return fmt.Errorf("override: no definition %s", o.Type)
		}
		if o.Value != "" {
			switch {
			case o.Field != "" || o.Add != nil:
				return fmt.Errorf("override of %s value %q also names a field", o.Type, o.Value)
			case !t.Enum:
				return fmt.Errorf("override adds value %q to %s, which is not an enum", o.Value, o.Type)
			case t.value(o.Value) != nil:
				return fmt.Errorf("override adds %s value %q, which the sources now list: drop the entry", o.Type, o.Value)
			}
			t.Values = append(t.Values, &Value{Value: o.Value, Description: o.Note,
				SinceFrom: OverrideSource, Sources: []string{OverrideSource}})
			continue
		}
		f := t.field(o.Field)
		switch {
		case o.Add != nil && f != nil:
			return fmt.Errorf("override adds %s.%s, which the sources now list: drop the entry", o.Type, o.Field)
		case o.Add == nil && f == nil:
			return fmt.Errorf("override: no field %s.%s", o.Type, o.Field)
		case o.Add != nil:
			f = &Field{Name: o.Field, Type: o.Add, SinceFrom: OverrideSource, Sources: []string{OverrideSource}}
			t.Fields = append(t.Fields, f)
		}
		f.Note = o.Note
	}
	return nil
}

// Overrides describes the override table, one line an entry, for the
// generator's documentation and tests.
func Overrides() []string {
	var out []string
	for _, o := range overrides {
		if o.Value != "" {
			out = append(out, fmt.Sprintf("add %s value %q: %s", o.Type, o.Value, o.Note))
			continue
		}
		verb := "note"
		if o.Add != nil {
			verb = "add"
		}
		out = append(out, fmt.Sprintf("%s %s.%s: %s", verb, o.Type, o.Field, o.Note))
	}
	return out
}
