package layertar

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The three folders of a Windows layer, and the one folder UtilityVM holds.
const (
	filesDir     = "Files"
	hivesDir     = "Hives"
	utilityVMDir = "UtilityVM"
	uvmFilesDir  = "UtilityVM/Files"
)

// whiteoutPrefix marks a deletion in an OCI layer; opaqueWhiteout marks a
// directory whose lower contents are all hidden.
const (
	whiteoutPrefix = ".wh."
	opaqueWhiteout = ".wh..wh..opq"
)

// Limits of Windows names: a path of at most 32767 UTF-16 units (the \\?\
// form), components of at most 255.
const (
	maxPathUnits      = 32767
	maxComponentUnits = 255
)

// cleanName checks a tar entry's name and returns it in the form writers
// get: slash-separated, relative, without "./" or a trailing slash. An
// alternate data stream's entry ("Files/a.txt:stream") returns the file's
// name and the stream's name; stream is "" otherwise.
func cleanName(raw string) (name, stream string, err error) {
	name = strings.TrimPrefix(raw, "./")
	name = strings.TrimSuffix(name, "/")
	switch {
	case name == "":
		return "", "", errors.New("empty name")
	case !utf8.ValidString(name):
		return "", "", errors.New("name is not UTF-8")
	case name[0] == '/':
		return "", "", errors.New("absolute name")
	}
	if n := utf16Len(name); n > maxPathUnits {
		return "", "", fmt.Errorf("name of %d UTF-16 units, more than Windows' %d", n, maxPathUnits)
	}
	elems := strings.Split(name, "/")
	for i, e := range elems {
		last := i == len(elems)-1
		switch e {
		case "":
			return "", "", errors.New("empty path element")
		case ".", "..":
			return "", "", fmt.Errorf("path element %q", e)
		}
		if last {
			if j := strings.IndexByte(e, ':'); j >= 0 {
				e, stream = e[:j], e[j+1:]
				if e == "" || stream == "" || strings.IndexByte(stream, ':') >= 0 {
					return "", "", fmt.Errorf("path element %q: ':' only separates a file from one alternate data stream", elems[i])
				}
				if err := checkComponent(stream); err != nil {
					return "", "", fmt.Errorf("alternate data stream %q: %v", stream, err)
				}
				name = name[:len(name)-len(stream)-1]
			}
		}
		if err := checkComponent(e); err != nil {
			return "", "", fmt.Errorf("path element %q: %v", e, err)
		}
	}
	return name, stream, nil
}

// checkComponent checks one path element against what Windows file names
// cannot hold. ':' is checked by the caller.
func checkComponent(e string) error {
	for _, c := range e {
		if c < 0x20 || strings.ContainsRune(`\:*?"<>|`, c) {
			return fmt.Errorf("holds %q, which Windows file names cannot", c)
		}
	}
	if n := utf16Len(e); n > maxComponentUnits {
		return fmt.Errorf("%d UTF-16 units, more than Windows' %d", n, maxComponentUnits)
	}
	return nil
}

// utf16Len returns how many UTF-16 units s takes, as Windows counts names.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// under reports whether name is dir or lies below it.
func under(name, dir string) bool {
	return name == dir || strings.HasPrefix(name, dir+"/")
}

// below reports whether name lies strictly below dir.
func below(name, dir string) bool {
	return strings.HasPrefix(name, dir+"/")
}

// checkRoot checks that name belongs to a Windows layer: Files, Hives and
// UtilityVM/Files and what lies below them, and the UtilityVM folder.
func checkRoot(name string) error {
	switch {
	case under(name, filesDir), under(name, hivesDir), name == utilityVMDir, under(name, uvmFilesDir):
		return nil
	case below(name, utilityVMDir):
		return errors.New("not a Windows layer entry: UtilityVM holds only Files")
	}
	return errors.New("not a Windows layer entry: outside Files/, Hives/ and UtilityVM/")
}

// fold returns the key under which Windows compares name: NTFS file names
// are case-insensitive.
func fold(name string) string { return strings.ToUpper(name) }
