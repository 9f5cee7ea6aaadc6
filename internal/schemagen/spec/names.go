package spec

import (
	"strings"
	"unicode"
)

// initialisms are the words Go spells in capitals, as staticcheck's ST1003
// (and golint before it) checks names: its default list, and the
// initialisms of HCS's vocabulary that Go code writes in capitals. Plurals
// take a lowercase s: IDs, GUIDs, VMs.
//
// Words that are not initialisms keep the schema's spelling: the
// abbreviations Hv (Hyper-V), Com (port) and Vmb (VMBus), the words the
// Windows API itself spells in mixed case (Io, Vhd, Cim) and the processor
// feature mnemonics (Avx512, Sse4A, ...).
var initialisms = map[string]bool{
	// staticcheck's default list (ST1003).
	"ACL": true, "API": true, "ASCII": true, "CPU": true, "CSS": true, "DNS": true,
	"EOF": true, "GUID": true, "HTML": true, "HTTP": true, "HTTPS": true, "ID": true,
	"IP": true, "JSON": true, "QPS": true, "RAM": true, "RPC": true, "SLA": true,
	"SMTP": true, "SQL": true, "SSH": true, "TCP": true, "TLS": true, "TTL": true,
	"UDP": true, "UI": true, "GID": true, "UID": true, "UUID": true, "URI": true,
	"URL": true, "UTF8": true, "VM": true, "XML": true, "XMPP": true, "XSRF": true,
	"XSS": true, "SIP": true, "RTP": true, "AMQP": true, "DB": true, "TS": true,
	// HCS's vocabulary.
	"GPA":  true, // guest physical address
	"GPU":  true, // graphics processor
	"HCL":  true, // the paravisor of an isolated guest
	"HCS":  true, // Host Compute Service
	"KVP":  true, // Hyper-V's key-value pair exchange
	"LUN":  true, // SCSI logical unit number
	"MAC":  true, // network adapter address
	"MMIO": true, // memory-mapped I/O
	"NUMA": true, // non-uniform memory access
	"OS":   true, // operating system
	"PCI":  true, // the bus
	"RDP":  true, // Remote Desktop Protocol
	"SCSI": true, // the bus
	"SID":  true, // Windows security identifier
	"SMB":  true, // the file sharing protocol
	"TPM":  true, // Trusted Platform Module
	"UEFI": true, // the firmware
	"UTC":  true, // coordinated universal time
}

// TypeName is the Go name of a definition: the definition name without
// underscores, initialisms in capitals (Container_Memory → ContainerMemory,
// GuestOs → GuestOS).
func TypeName(def string) string {
	return Initialisms(upperFirst(strings.ReplaceAll(def, "_", "")))
}

// FieldName is the Go name of a property: its words kept, initialisms in
// capitals (HostingSystemId → HostingSystemID), underscores dropped.
func FieldName(wire string) string {
	var b strings.Builder
	for _, part := range strings.Split(wire, "_") {
		b.WriteString(Initialisms(upperFirst(part)))
	}
	return b.String()
}

// ValueName is the part of an enum constant's name that comes from its
// value: its letters and digits, each run starting with a capital,
// initialisms in capitals ("Vm" → VM); the empty value becomes "Empty".
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
	return Initialisms(b.String())
}

// Initialisms returns name with every word that is an initialism, or the
// plural of one, in capitals: "VmIds" → "VMIDs", "GuestOs" → "GuestOS".
// Words are split at case changes as [words] does; a word is changed only
// when it is capitalized or all lower case, so names already in Go's style
// and underscores stay as they are. The tests of package schema check every
// exported name with it.
func Initialisms(name string) string {
	var b strings.Builder
	for i, part := range strings.Split(name, "_") {
		if i > 0 {
			b.WriteByte('_')
		}
		for _, w := range words(part) {
			b.WriteString(initialism(w))
		}
	}
	return b.String()
}

// initialism returns w in capitals if it is an initialism or the plural of
// one, and w otherwise.
func initialism(w string) string {
	if w == "" || (w != upperFirst(strings.ToLower(w)) && w != strings.ToLower(w)) {
		return w
	}
	if up := strings.ToUpper(w); initialisms[up] {
		return up
	}
	if stem, ok := strings.CutSuffix(w, "s"); ok && initialisms[strings.ToUpper(stem)] {
		return strings.ToUpper(stem) + "s"
	}
	return w
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
