package schema

import (
	"errors"
	"fmt"
)

// PathError is a decoding error about one member of a document. Path is
// the member's JSON Pointer (RFC 6901), such as
// "/Container/Storage/Layers/0/Id", the form UnknownMembers uses too; it is
// "" for the document itself. Err is a *TypeError.
type PathError struct {
	Path string
	Err  error
}

// Error returns "schema: PATH: cause", or "schema: cause" for the document
// itself.
func (e *PathError) Error() string {
	if e.Path == "" {
		return "schema: " + e.Err.Error()
	}
	return "schema: " + e.Path + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *PathError) Unwrap() error { return e.Err }

// TypeError is a value the schema type of its member cannot hold: a JSON
// value of another type, a number that is out of range or not whole, or a
// string that is not a date-time or not base64. Both fields are in the
// schema's words, for people to read.
type TypeError struct {
	// Value describes what the document holds, such as "a JSON string" or
	// "the number -1".
	Value string
	// Want describes what the schema wants, such as "a uint32 (a whole
	// number from 0 to 4294967295)" or "an array of MappedDirectory".
	Want string
}

// Error returns "VALUE where the schema wants WANT".
func (e *TypeError) Error() string { return e.Value + " where the schema wants " + e.Want }

// SyntaxError is a document that is not JSON text, or has bytes after its
// value.
type SyntaxError struct {
	// Offset is the number of bytes before the one at fault.
	Offset int64
	// Line and Column locate that byte, from 1; Column counts characters.
	Line, Column int
	msg          string
}

// Error returns "schema: invalid JSON at line L, column C: what is wrong".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("schema: invalid JSON at line %d, column %d: %s", e.Line, e.Column, e.msg)
}

// newSyntaxError makes the error about data[off].
func newSyntaxError(data []byte, off int, msg string) *SyntaxError {
	p := textStart.advance(data, min(off, len(data)))
	return &SyntaxError{Offset: int64(p.off), Line: p.line, Column: p.column, msg: msg}
}

// wrapPath prefixes the path of err with the segment seg (a member name or
// an array index), making a *TypeError a *PathError. Syntax errors are
// located by line and column and stay as they are.
func wrapPath(seg string, err error) error {
	if pe, ok := errors.AsType[*PathError](err); ok {
		pe.Path = "/" + escapePointer(seg) + pe.Path
		return pe
	}
	if te, ok := errors.AsType[*TypeError](err); ok {
		return &PathError{Path: "/" + escapePointer(seg), Err: te}
	}
	return err
}
