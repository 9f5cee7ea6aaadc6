package schema

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// ProblemKind says what kind of problem Check found.
type ProblemKind int

// The kinds of problems. ProblemKindUnreadable, ProblemKindWrongType and ProblemKindNoSystem are errors:
// the document cannot be read as its schema type, or HCS cannot act on it.
// The others are warnings: the document is read and may be sent, but HCS may
// not read it as the sender meant.
const (
	// ProblemKindUnreadable is a document that is not JSON text, or not in an encoding
	// ToUTF8 reads. Nothing after the problem is checked.
	ProblemKindUnreadable ProblemKind = iota + 1
	// ProblemKindWrongType is a value its member's schema type cannot hold; the member
	// is left out of the decoded document.
	ProblemKindWrongType
	// ProblemKindNoSystem is a ComputeSystem with neither a Container nor a
	// VirtualMachine.
	ProblemKindNoSystem
	// ProblemKindUnknownMember is a member the schema does not list, often a
	// misspelling; it is kept in Unknown and sent.
	ProblemKindUnknownMember
	// ProblemKindDuplicateMember is a member name that appears twice in one object.
	// This package keeps the last value, as encoding/json does; which one
	// HCS uses is not documented.
	ProblemKindDuplicateMember
	// ProblemKindUnknownVersion is a SchemaVersion whose major version is not 2, the
	// only one published. The schema says major versions are not compatible
	// with one another.
	ProblemKindUnknownVersion
	// ProblemKindContainerAndVM is a ComputeSystem with both a Container and a
	// VirtualMachine: one system is one or the other.
	ProblemKindContainerAndVM
)

var problemKinds = [...]string{
	ProblemKindUnreadable:      "unreadable",
	ProblemKindWrongType:       "wrong type",
	ProblemKindNoSystem:        "no system",
	ProblemKindUnknownMember:   "unknown member",
	ProblemKindDuplicateMember: "duplicate member",
	ProblemKindUnknownVersion:  "unknown version",
	ProblemKindContainerAndVM:  "container and VM",
}

// String returns the kind in words, such as "unknown member".
func (k ProblemKind) String() string {
	if k > 0 && int(k) < len(problemKinds) {
		return problemKinds[k]
	}
	return "ProblemKind(" + strconv.Itoa(int(k)) + ")"
}

// Warning reports whether a problem of kind k leaves a document that HCS
// may take: see the kinds.
func (k ProblemKind) Warning() bool { return k >= ProblemKindUnknownMember }

// Problem is one thing wrong, or doubtful, in a document, as Check finds it.
type Problem struct {
	Kind ProblemKind
	// Path is the JSON Pointer (RFC 6901) of the member concerned, such as
	// "/Container/MappedDirectories/0/HostPath"; "" is the document itself.
	Path string
	// Line and Column locate the problem in the text, from 1 (Column counts
	// characters); both are 0 for problems of the document as a whole.
	Line, Column int
	// Message says what is wrong, in the schema's words.
	Message string
}

// String returns "line L, column C: PATH: message", leaving out what the
// problem lacks.
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d, column %d: ", p.Line, p.Column)
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// document is a generated object type, as Check takes it.
type document[T any] interface {
	*T
	decode(*decoder) error
}

// Check decodes a document of type T, one of this package's object types
// (ComputeSystem, ProcessParameters, ...), and returns it with every problem
// it finds, in the order of the text, rather than stopping at the first as
// UnmarshalJSON does: values of the wrong type (those members are left
// out), members the schema does not know, member names repeated within an
// object (in free-form and unknown values too), and a schema version with
// an unknown major version; for a ComputeSystem, also both or neither of
// Container and VirtualMachine.
//
// The document may be UTF-8 with or without a byte order mark, or UTF-16:
// see ToUTF8. For text it cannot read, Check returns nil and the problems
// found before, the ProblemKindUnreadable one last; otherwise the document, decoded as
// far as its types allowed.
//
//	cs, problems := schema.Check[schema.ComputeSystem](data)
func Check[T any, P document[T]](data []byte) (*T, []Problem) {
	text, err := ToUTF8(data)
	if err != nil {
		return nil, []Problem{{Kind: ProblemKindUnreadable, Message: err.Error()}}
	}
	c := &checker{data: text}
	d := &decoder{data: text, chk: c}
	d.space()
	doc := new(T)
	err = d.end(P(doc).decode(d))
	if pe, ok := errors.AsType[*PathError](err); ok && pe.Path == "" {
		// The document is not an object at all.
		return nil, []Problem{{Kind: ProblemKindUnreadable, Line: 1, Column: 1, Message: pe.Err.Error()}}
	}
	if se, ok := errors.AsType[*SyntaxError](err); ok {
		p := Problem{Kind: ProblemKindUnreadable, Line: se.Line, Column: se.Column, Message: "invalid JSON: " + se.msg}
		return nil, append(c.problems, p)
	}
	c.problems = append(c.problems, checkDocument(doc)...)
	return doc, c.problems
}

// checkDocument checks what a document's types cannot say.
func checkDocument(doc any) []Problem {
	var out []Problem
	v := reflect.ValueOf(doc).Elem()
	if f := v.FieldByName("SchemaVersion"); f.IsValid() {
		if sv, ok := f.Interface().(*Version); ok && sv != nil && sv.Major != nil && *sv.Major != 2 {
			out = append(out, Problem{Kind: ProblemKindUnknownVersion, Path: "/SchemaVersion/Major",
				Message: fmt.Sprintf("schema version %d.x is unknown: the published schema is version 2 (2.0 to 2.6), "+
					"and major versions are not compatible with one another", *sv.Major)})
		}
	}
	if cs, ok := doc.(*ComputeSystem); ok {
		switch {
		case cs.Container != nil && cs.VirtualMachine != nil:
			out = append(out, Problem{Kind: ProblemKindContainerAndVM,
				Message: "the document describes both a Container and a VirtualMachine; a compute system is one or the other"})
		case cs.Container == nil && cs.VirtualMachine == nil:
			out = append(out, Problem{Kind: ProblemKindNoSystem,
				Message: "the document describes neither a Container nor a VirtualMachine"})
		}
	}
	return out
}

// checker is the decoder's state while Check runs: where it is in the
// document, the member names of each open object, and the problems so far.
type checker struct {
	data     []byte // the text being checked
	levels   []level
	problems []Problem
	at       position // of the last problem: positions are found from there
}

// position is a place in a text: its offset, and its line and column from
// 1 (columns count characters).
type position struct{ off, line, column int }

var textStart = position{0, 1, 1}

// advance returns the position of data[off], from p before it.
func (p position) advance(data []byte, off int) position {
	for _, r := range string(data[p.off:off]) {
		if r == '\n' {
			p.line, p.column = p.line+1, 1
		} else {
			p.column++
		}
	}
	p.off = off
	return p
}

// level is an open object or array.
type level struct {
	seg        string              // the member name or index being read
	key, value int                 // the offsets of its name and value
	seen       map[string]struct{} // the member names read so far
}

func (c *checker) enter() { c.levels = append(c.levels, level{}) }

func (c *checker) leave() { c.levels = c.levels[:len(c.levels)-1] }

// index notes the element n of an array, at offset off.
func (c *checker) index(n, off int) {
	l := &c.levels[len(c.levels)-1]
	l.seg, l.key, l.value = strconv.Itoa(n), off, off
}

// member notes the member name k, at offset off, repeated or not.
func (c *checker) member(k []byte, off int) {
	l := &c.levels[len(c.levels)-1]
	l.seg, l.key = string(k), off
	if l.seen == nil {
		l.seen = make(map[string]struct{})
	}
	if _, dup := l.seen[l.seg]; dup {
		c.add(ProblemKindDuplicateMember, off, "the member appears more than once in its object; "+
			"this package keeps the last, and which one HCS uses is not documented")
	}
	l.seen[l.seg] = struct{}{}
}

// value notes that the value of the member named last starts at off.
func (c *checker) value(off int) { c.levels[len(c.levels)-1].value = off }

// unknown notes that the member named last is one the schema does not list.
func (c *checker) unknown() {
	c.add(ProblemKindUnknownMember, c.levels[len(c.levels)-1].key, "the HCS schema has no such member (misspelt?)")
}

// note records err, the error of the value just read, if it is a type
// error, and returns nil to go on; other errors are returned.
func (c *checker) note(err error) error {
	te, ok := err.(*TypeError)
	if !ok {
		return err
	}
	c.add(ProblemKindWrongType, c.levels[len(c.levels)-1].value, te.Error())
	return nil
}

// add records a problem of the value being read, found at offset off.
func (c *checker) add(kind ProblemKind, off int, msg string) {
	if off < c.at.off || c.at.line == 0 {
		c.at = textStart
	}
	c.at = c.at.advance(c.data, off)
	c.problems = append(c.problems, Problem{Kind: kind, Path: c.path(), Line: c.at.line, Column: c.at.column, Message: msg})
}

// path returns the JSON Pointer of the value being read.
func (c *checker) path() string {
	var b strings.Builder
	for _, l := range c.levels {
		b.WriteByte('/')
		b.WriteString(escapePointer(l.seg))
	}
	return b.String()
}
