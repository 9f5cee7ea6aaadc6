package container

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/schema"
)

// Config describes a process-isolated container. Storage is required;
// every other field may be left zero.
type Config struct {
	// Owner names the program that owns the container: HCS lists it, and
	// hcs.Host.ListByOwner finds the container by it.
	Owner string
	// Storage is the container's storage: the volume of a mounted scratch
	// layer as Path, and the image's layers, nearest first, base last,
	// with their ids, as (*layers.Mount).Storage returns it. Document
	// copies it.
	Storage *schema.Storage
	// HostName is the container's computer name: letters, digits and
	// hyphens, at most 63, not starting or ending with a hyphen. Windows
	// uses the first 15 as the NetBIOS name. Empty leaves the name to
	// Windows.
	HostName string
	// MappedDirectories are host directories the container sees.
	MappedDirectories []MappedDirectory
	// MappedPipes are host named pipes the container sees.
	MappedPipes []MappedPipe
	// ProcessorCount, ProcessorMaximum and ProcessorWeight limit the
	// processor, in one of three ways HCS does not combine, so at most one
	// may be set: the number of processors; the share of the host's
	// processor cycles, in cycles per 10,000 (1 to 10000: 5000 is half);
	// or the weight against other workloads (1 to 10000). Zero is unset.
	ProcessorCount   uint32
	ProcessorMaximum int64
	ProcessorWeight  int64
	// MemoryMB limits the container's memory, in MiB; 0 is no limit.
	MemoryMB uint64
	// NetworkNamespace is the GUID of the Host Networking Service
	// namespace the container joins (see the package documentation); ""
	// gives it no network.
	NetworkNamespace string
	// TerminateOnLastHandleClosed makes HCS terminate the container when
	// the last handle to it closes, such as when the program that created
	// it exits.
	TerminateOnLastHandleClosed bool
}

// MappedDirectory is a host directory mapped into the container.
type MappedDirectory struct {
	// HostPath is the absolute path of the directory on the host.
	HostPath string
	// ContainerPath is where the container sees it: an absolute Windows
	// path with a drive letter, such as C:\data.
	ContainerPath string
	// ReadOnly makes it read-only in the container.
	ReadOnly bool
}

// MappedPipe is a host named pipe mapped into the container.
type MappedPipe struct {
	// HostPath is the pipe on the host, \\.\pipe\NAME.
	HostPath string
	// ContainerPipeName is the pipe's name in the container: NAME, or
	// \\.\pipe\NAME.
	ContainerPipeName string
}

// pipePrefix starts the path of a named pipe.
const pipePrefix = `\\.\pipe\`

// schemaVersion is the version of the documents Document makes: 2.1, that
// of Windows Server 2019, which has every member they use.
var schemaVersion = schema.V2_1

// Document returns the HCS document of a container as c describes it, or
// an error matching hcs.ErrInvalidArgument that says what is wrong with c.
func (c *Config) Document() (*schema.ComputeSystem, error) {
	if err := c.checkText(); err != nil {
		return nil, err
	}
	ct := &schema.Container{}
	var err error
	if ct.Storage, err = storage(c.Storage); err != nil {
		return nil, err
	}
	if c.HostName != "" {
		if err := checkHostName(c.HostName); err != nil {
			return nil, err
		}
		ct.GuestOS = &schema.GuestOS{HostName: c.HostName}
	}
	if ct.MappedDirectories, err = directories(c.MappedDirectories); err != nil {
		return nil, err
	}
	if ct.MappedPipes, err = pipes(c.MappedPipes); err != nil {
		return nil, err
	}
	if ct.Processor, err = processor(c); err != nil {
		return nil, err
	}
	if c.MemoryMB != 0 {
		ct.Memory = &schema.ContainerMemory{SizeInMB: schema.Ptr(c.MemoryMB)}
	}
	if c.NetworkNamespace != "" {
		g, ok := backend.ParseGUID(c.NetworkNamespace)
		if !ok {
			return nil, invalid("network namespace %q is not a GUID", c.NetworkNamespace)
		}
		ct.Networking = &schema.Networking{Namespace: g.String()}
	}
	doc := &schema.ComputeSystem{
		Owner:         c.Owner,
		SchemaVersion: schemaVersion.Version(),
		Container:     ct,
	}
	if c.TerminateOnLastHandleClosed {
		doc.ShouldTerminateOnLastHandleClosed = schema.Ptr(true)
	}
	return doc, nil
}

// checkText checks that every string of c is text HCS can read: valid
// UTF-8 (HCS reads UTF-16, to which a Go string that is not converts with
// replacement characters) without NUL characters.
func (c *Config) checkText() error {
	type text struct{ what, s string }
	texts := []text{{"owner", c.Owner}, {"host name", c.HostName}, {"network namespace", c.NetworkNamespace}}
	if c.Storage != nil {
		texts = append(texts, text{"storage path", c.Storage.Path})
		for i, l := range c.Storage.Layers {
			texts = append(texts, text{fmt.Sprintf("storage layer %d id", i), l.ID},
				text{fmt.Sprintf("storage layer %d path", i), l.Path})
		}
	}
	for i, d := range c.MappedDirectories {
		texts = append(texts, text{fmt.Sprintf("mapped directory %d host path", i), d.HostPath},
			text{fmt.Sprintf("mapped directory %d container path", i), d.ContainerPath})
	}
	for i, p := range c.MappedPipes {
		texts = append(texts, text{fmt.Sprintf("mapped pipe %d host path", i), p.HostPath},
			text{fmt.Sprintf("mapped pipe %d container name", i), p.ContainerPipeName})
	}
	for _, t := range texts {
		if !utf8.ValidString(t.s) || strings.ContainsRune(t.s, 0) {
			return invalid("%s %q is not text: invalid UTF-8 or a NUL character", t.what, t.s)
		}
	}
	return nil
}

// invalid returns an error about the configuration, matching
// hcs.ErrInvalidArgument.
func invalid(format string, args ...any) error {
	return &configError{fmt.Sprintf(format, args...)}
}

// configError is what is wrong with a Config.
type configError struct{ msg string }

func (e *configError) Error() string        { return "container: " + e.msg }
func (e *configError) Is(target error) bool { return target == hcs.ErrInvalidArgument }

// storage checks st and returns a copy of it for the document, its path
// ending in a backslash as HCS wants.
func storage(st *schema.Storage) (*schema.Storage, error) {
	switch {
	case st == nil:
		return nil, invalid("no storage: mount a scratch layer (layers.Host.Mount) and give its Storage")
	case !isVolumePath(st.Path):
		return nil, invalid(`storage path %q is not a volume path \\?\Volume{GUID}\: give the volume of a mounted scratch layer`, st.Path)
	case len(st.Layers) == 0:
		return nil, invalid("storage has no layers: give the image's layers, nearest first, base last")
	}
	out := *st
	out.Path = strings.TrimSuffix(st.Path, `\`) + `\`
	out.Layers = make([]schema.Layer, len(st.Layers))
	for i, l := range st.Layers {
		if _, ok := backend.ParseGUID(l.ID); !ok {
			return nil, invalid("storage layer %d (%s): id %q is not a GUID", i, l.Path, l.ID)
		}
		if l.Path == "" {
			return nil, invalid("storage layer %d has no path", i)
		}
		out.Layers[i] = l
	}
	return &out, nil
}

// isVolumePath reports whether p is \\?\Volume{GUID} with or without the
// final backslash.
func isVolumePath(p string) bool {
	rest, ok := strings.CutPrefix(p, `\\?\Volume{`)
	if !ok {
		return false
	}
	g, ok := strings.CutSuffix(strings.TrimSuffix(rest, `\`), "}")
	if !ok {
		return false
	}
	_, ok = backend.ParseGUID(g)
	return ok
}

// checkHostName checks a host name.
func checkHostName(name string) error {
	if len(name) > 63 || name[0] == '-' || name[len(name)-1] == '-' {
		return invalid("host name %q: want 1 to 63 letters, digits and hyphens, not starting or ending with a hyphen", name)
	}
	for _, r := range name {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-') {
			return invalid("host name %q: want 1 to 63 letters, digits and hyphens, not starting or ending with a hyphen", name)
		}
	}
	return nil
}

// directories returns the mapped directories of the document.
func directories(dirs []MappedDirectory) ([]schema.MappedDirectory, error) {
	if len(dirs) == 0 {
		return nil, nil
	}
	out := make([]schema.MappedDirectory, len(dirs))
	seen := make(map[string]bool, len(dirs))
	for i, d := range dirs {
		switch {
		case !isWindowsAbs(d.HostPath) && !filepath.IsAbs(d.HostPath):
			return nil, invalid("mapped directory %d: host path %q is not absolute", i, d.HostPath)
		case !isDrivePath(d.ContainerPath):
			return nil, invalid(`mapped directory %d: container path %q is not an absolute path with a drive letter, such as C:\data`, i, d.ContainerPath)
		}
		key := strings.ToLower(strings.TrimRight(strings.ReplaceAll(d.ContainerPath, "/", `\`), `\`))
		if seen[key] {
			return nil, invalid("mapped directory %d: container path %q is mapped twice", i, d.ContainerPath)
		}
		seen[key] = true
		out[i] = schema.MappedDirectory{HostPath: d.HostPath, ContainerPath: d.ContainerPath}
		if d.ReadOnly {
			out[i].ReadOnly = schema.Ptr(true)
		}
	}
	return out, nil
}

// isDrivePath reports whether p is an absolute Windows path with a drive
// letter: C:\ or C:/ and what follows.
func isDrivePath(p string) bool {
	return len(p) >= 3 && ('a' <= p[0]|0x20 && p[0]|0x20 <= 'z') && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

// isWindowsAbs reports whether p is an absolute Windows path: with a
// drive letter, or UNC (\\server\share, \\?\...).
func isWindowsAbs(p string) bool {
	return isDrivePath(p) || len(p) > 2 && p[0] == '\\' && p[1] == '\\'
}

// pipes returns the mapped pipes of the document.
func pipes(ps []MappedPipe) ([]schema.MappedPipe, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	out := make([]schema.MappedPipe, len(ps))
	seen := make(map[string]bool, len(ps))
	for i, p := range ps {
		name := p.ContainerPipeName
		if len(name) >= len(pipePrefix) && strings.EqualFold(name[:len(pipePrefix)], pipePrefix) {
			name = name[len(pipePrefix):]
		}
		switch {
		case len(p.HostPath) <= len(pipePrefix) || !strings.EqualFold(p.HostPath[:len(pipePrefix)], pipePrefix):
			return nil, invalid(`mapped pipe %d: host path %q is not a pipe path \\.\pipe\NAME`, i, p.HostPath)
		case name == "":
			return nil, invalid("mapped pipe %d: no container pipe name", i)
		case seen[strings.ToLower(name)]:
			return nil, invalid("mapped pipe %d: container pipe %q is mapped twice", i, name)
		}
		seen[strings.ToLower(name)] = true
		out[i] = schema.MappedPipe{HostPath: p.HostPath, ContainerPipeName: name}
	}
	return out, nil
}

// processor returns the processor limits of the document, or nil.
func processor(c *Config) (*schema.ContainerProcessor, error) {
	set := 0
	for _, v := range []bool{c.ProcessorCount != 0, c.ProcessorMaximum != 0, c.ProcessorWeight != 0} {
		if v {
			set++
		}
	}
	switch {
	case set == 0:
		return nil, nil
	case set > 1:
		return nil, invalid("processor count, maximum and weight exclude each other: set one")
	case c.ProcessorMaximum < 0 || c.ProcessorMaximum > 10000:
		return nil, invalid("processor maximum %d: want 1 to 10000 cycles per 10,000", c.ProcessorMaximum)
	case c.ProcessorWeight < 0 || c.ProcessorWeight > 10000:
		return nil, invalid("processor weight %d: want 1 to 10000", c.ProcessorWeight)
	}
	p := &schema.ContainerProcessor{}
	switch {
	case c.ProcessorCount != 0:
		p.Count = schema.Ptr(c.ProcessorCount)
	case c.ProcessorMaximum != 0:
		p.Maximum = schema.Ptr(c.ProcessorMaximum)
	default:
		p.Weight = schema.Ptr(c.ProcessorWeight)
	}
	return p, nil
}
