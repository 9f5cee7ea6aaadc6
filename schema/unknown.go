package schema

import (
	"reflect"
	"strings"
)

// unknownLister is implemented by every generated object type.
type unknownLister interface {
	unknownMembers(path string, out []string) []string
}

// UnknownMembers lists the members of a decoded document that the published
// schema does not know, as JSON Pointers (RFC 6901) such as
// "/VirtualMachine/Devices/Scsi/primary/Attachments/0/Pathh", sorted within
// each object. Tools call it to warn about misspelt members before sending a
// document to HCS: unknown members are kept and sent, not dropped.
//
// doc is a value of, or a pointer to, a generated object type; for anything
// else UnknownMembers returns nil. Free-form members (json.RawMessage) are
// not looked into.
func UnknownMembers(doc any) []string {
	if u, ok := doc.(unknownLister); ok {
		if v := reflect.ValueOf(doc); v.Kind() == reflect.Pointer && v.IsNil() {
			return nil
		}
		return u.unknownMembers("", nil)
	}
	v := reflect.ValueOf(doc)
	if !v.IsValid() || v.Kind() == reflect.Pointer {
		return nil
	}
	p := reflect.New(v.Type())
	p.Elem().Set(v)
	if u, ok := p.Interface().(unknownLister); ok {
		return u.unknownMembers("", nil)
	}
	return nil
}

func appendUnknown[V any](out []string, path string, m map[string]V) []string {
	for _, k := range sortedKeys(m) {
		out = append(out, path+"/"+escapePointer(k))
	}
	return out
}

// escapePointer escapes a JSON Pointer segment (RFC 6901).
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
