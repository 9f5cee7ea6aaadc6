package spec

import (
	"strings"
	"unicode"
)

// TypeName is the Go name of a definition: the definition name without
// underscores (Container_Memory → ContainerMemory).
func TypeName(def string) string {
	return upperFirst(strings.ReplaceAll(def, "_", ""))
}

// initialisms are the words Go spells in capitals.
var initialisms = map[string]string{
	"Id": "ID", "Ids": "IDs", "Guid": "GUID", "Guids": "GUIDs", "Uri": "URI", "Url": "URL",
	"Json": "JSON", "Cpu": "CPU", "Gpu": "GPU", "Ip": "IP", "Vm": "VM", "Vms": "VMs",
	"Api": "API", "Http": "HTTP", "Tcp": "TCP", "Udp": "UDP", "Dns": "DNS", "Rpc": "RPC",
	"Os": "OS", "Uuid": "UUID",
}

// FieldName is the Go name of a property: its words kept, initialisms in
// capitals (HostingSystemId → HostingSystemID), underscores dropped.
func FieldName(wire string) string {
	var b strings.Builder
	for _, part := range strings.Split(wire, "_") {
		for _, w := range words(part) {
			if up, ok := initialisms[upperFirst(w)]; ok && (w == upperFirst(w) || w == strings.ToLower(w)) {
				w = up
			}
			b.WriteString(upperFirst(w))
		}
	}
	return b.String()
}

// ValueName is the part of an enum constant's name that comes from its
// value; the empty value becomes "Empty".
func ValueName(v string) string {
	if v == "" {
		return "Empty"
	}
	var b strings.Builder
	up := true
	for _, r := range v {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// words splits a camel-case identifier: "SizeInMB" → Size In MB,
// "VmId" → Vm Id, "Uptime100ns" → Uptime100ns.
func words(s string) []string {
	var out []string
	rs := []rune(s)
	start := 0
	for i := 1; i < len(rs); i++ {
		prev, cur := rs[i-1], rs[i]
		next := rune(0)
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		// aB → a|B ; ABc → A|Bc
		if unicode.IsUpper(cur) && (unicode.IsLower(prev) || unicode.IsDigit(prev) ||
			(unicode.IsUpper(prev) && unicode.IsLower(next))) {
			out = append(out, string(rs[start:i]))
			start = i
		}
	}
	return append(out, string(rs[start:]))
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
