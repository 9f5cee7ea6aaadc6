package main

import "fmt"

// testHook, when set, hears of the moments the tests order their steps by:
// a command waiting for an HCS call that changes a system ("waiting:
// starting web"), and one that follows a system and will see its exit
// ("wait web: subscribed"). Only the tests set it (see TestMain, which
// writes each event to the file $HCS_TEST_LOG names), so that a script can
// act once a command in the background is there, rather than after a
// sleep it hopes is long enough.
var testHook func(event string)

// announce tells testHook of an event, made of format and args as
// fmt.Sprintf does.
func announce(format string, args ...any) {
	if testHook != nil {
		testHook(fmt.Sprintf(format, args...))
	}
}
