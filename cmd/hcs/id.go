package main

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// maxIDLen is the length, in bytes, of the longest id hcs gives a new
// compute system.
const maxIDLen = 255

// HCS documents no rule for compute system ids: it takes any string. hcs
// gives new systems only ids that are safe to print, to type and to pass
// around: 1 to 255 ASCII letters, digits and . _ - @ { }, not starting with
// - (it would read as a flag) or . (. and .. read as paths). That covers
// the ids of docker, containerd and Kubernetes (hex, GUIDs, names), of
// hcsshim's utility VMs (ID@vm) and GUIDs in braces. Ids of existing
// systems, which another program may have created, are taken as they are,
// and printed escaped when they break the rule (see showID).

// idChar reports whether c may appear in an id hcs creates.
func idChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-' || c == '@' || c == '{' || c == '}'
}

// validID reports whether id follows the rule for the ids hcs creates.
func validID(id string) bool {
	return checkID(id) == nil
}

// checkID says what is wrong with id as the id of a new compute system.
func checkID(id string) error {
	const rule = "an id is 1 to 255 ASCII letters, digits and . _ - @ { }, not starting with - or ."
	switch {
	case id == "":
		return fmt.Errorf("the id is empty: %s", rule)
	case len(id) > maxIDLen:
		return fmt.Errorf("the id is %d bytes long: %s", len(id), rule)
	case id[0] == '-' || id[0] == '.':
		return fmt.Errorf("id %q starts with %q: %s", id, id[:1], rule)
	}
	for i := 0; i < len(id); i++ {
		if !idChar(id[i]) {
			r, _ := utf8.DecodeRuneInString(id[i:])
			what := strconv.QuoteRune(r)
			if r == utf8.RuneError {
				what = fmt.Sprintf("the byte %#02x", id[i])
			}
			return fmt.Errorf("id %q has %s (%U) at byte %d: %s", id, what, r, i, rule)
		}
	}
	return nil
}

// showID returns id as hcs prints it: as it is when it follows the rule of
// the ids hcs creates, else quoted as a Go string, so that control
// characters, escape sequences, spaces and invalid UTF-8 are visible and
// inert, in tables, messages and completions alike.
func showID(id string) string {
	if validID(id) {
		return id
	}
	return strconv.Quote(id)
}
