// Package backupstream reads and writes the Win32 backup stream format: the
// bytes BackupRead produces and BackupWrite consumes. A backup stream is a
// sequence of streams, each a WIN32_STREAM_ID header followed by its data:
// the file's contents (Data), its security descriptor (SecurityData), its
// extended attributes (EAData), a reparse point (ReparseData), alternate
// data streams (AlternateData) and a few more.
//
// The package is pure Go and runs on every operating system: it is how the
// rest of this module turns Windows container layer tarballs into what
// Windows' layer import consumes, and how tests on Linux check the result.
// Besides the stream framing it encodes and decodes the two payloads whose
// layout Windows defines: FILE_FULL_EA_INFORMATION lists (EAData) and
// REPARSE_DATA_BUFFER symbolic links and mount points (ReparseData).
//
// Everything is little-endian, as on every Windows architecture. Readers
// bound what a header can make them allocate: a stream's name, the only
// variable part of a header, is at most MaxNameSize bytes.
package backupstream
