package main

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

// duration is the value of a flag that takes a time: a number of seconds,
// as docker's flags do (stop -t 5, 0.5), or a Go duration (500ms, 1m30s).
type duration time.Duration

// durationFlag adds the flag name (with the shorthand short, if not "") to
// cmd, defaulting to def, and returns where it is stored.
func durationFlag(cmd *cobra.Command, name, short string, def time.Duration, usage string) *time.Duration {
	d := def
	cmd.Flags().VarP((*duration)(&d), name, short, usage+" (seconds, or a duration such as 500ms or 1m30s)")
	return &d
}

// Set parses s as a number of seconds or a Go duration. Negative times are
// refused here; each command says which positive ones it takes.
func (d *duration) Set(s string) error {
	var v time.Duration
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(secs) || math.IsInf(secs, 0) || secs*float64(time.Second) > math.MaxInt64 {
			return fmt.Errorf("%q: not a time", s)
		}
		v = time.Duration(secs * float64(time.Second))
	} else if v, err = time.ParseDuration(s); err != nil {
		return fmt.Errorf("%q: want seconds (5, 0.5) or a duration (500ms, 1m30s)", s)
	}
	if v < 0 {
		return fmt.Errorf("%q: negative", s)
	}
	*d = duration(v)
	return nil
}

func (d *duration) String() string { return time.Duration(*d).String() }
func (d *duration) Type() string   { return "duration" }
