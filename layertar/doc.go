// Package layertar turns Windows container layer tarballs — the layers of
// images such as mcr.microsoft.com/windows/nanoserver — into what Windows'
// layer import consumes, in pure Go, on every operating system.
//
// Translate reads a layer's tar and drives a Writer with its entries:
// files and directories with their basic information (times, attributes)
// and their Win32 backup stream (package backupstream: security
// descriptor, extended attributes, reparse point, contents, alternate data
// streams), hard links, and whiteouts. Three writers come with the
// package:
//
//   - Staging lays the layer out in a folder in the shape vmcompute's
//     ImportLayer consumes (Files\, Hives\, NAME.$wcidirs$ files), and
//     keeps the tombstones and hard links the import applies afterwards.
//     It is portable: on Linux it is what the simulator's import receives.
//   - BackupWriter writes a base layer into its folder with BackupWrite and
//     the backup and restore privileges, for ProcessBaseImage to process
//     (Windows only).
//   - Recorder keeps every call in memory, for tests.
//
// Importing a layer into a layer folder — BackupWriter then
// ProcessBaseImage for a base layer, Staging then ImportLayer with the
// parents for the others, then the tombstones, hard links and
// ProcessUtilityImage — is the job of the layer package that drives HCS;
// this package stops at the writers.
package layertar
