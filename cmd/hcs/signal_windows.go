package main

import "os"

// interruptSignals are the signals that interrupt hcs: Ctrl-C.
var interruptSignals = []os.Signal{os.Interrupt}
