package winetest

// UnderWine reports whether the program runs under Wine, whose stubs
// (BackupWrite, virtdisk) fail where Windows works: a test says what it
// checks there instead. It is false off Windows.
func UnderWine() bool { return underWine() }
