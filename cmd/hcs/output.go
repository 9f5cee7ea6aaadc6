package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// format is the -o flag of the commands whose output is data.
type format string

const (
	formatTable format = "table"
	formatJSON  format = "json"
	formatYAML  format = "yaml"
)

// formatFlag adds -o to cmd, defaulting to def, and returns where it is
// stored. JSON and YAML use the HCS schema's member names, as the schema
// types marshal them, and YAML their order.
func formatFlag(cmd *cobra.Command, def format, allowed ...format) *format {
	f := def
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	cmd.Flags().VarP((*formatValue)(&f), "output", "o", "output format: "+strings.Join(names, ", "))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(names, cobra.ShellCompDirectiveNoFileComp))
	cmd.PreRunE = func(*cobra.Command, []string) error {
		for _, a := range allowed {
			if f == a {
				return nil
			}
		}
		return fmt.Errorf("-o %s: want %s", f, strings.Join(names, ", "))
	}
	return &f
}

// formatValue is a format as a pflag.Value.
type formatValue format

func (f *formatValue) String() string     { return string(*f) }
func (f *formatValue) Set(s string) error { *f = formatValue(s); return nil }
func (f *formatValue) Type() string       { return "format" }

// writeData writes v as one document: JSON, indented, or YAML with the
// members in the order JSON has them (the schema's). Characters that must
// not reach a terminal are escaped (see escapeJSON).
func writeData(w io.Writer, f format, v any) error {
	b, err := marshalJSON(v, "  ")
	if err != nil {
		return err
	}
	if f == formatYAML {
		if b, err = toYAML(b); err != nil {
			return err
		}
	}
	_, err = w.Write(b)
	return err
}

// writeRecord writes v as one record of a stream: a line of JSON (NDJSON,
// one object per line), or a YAML document that starts with "---".
func writeRecord(w io.Writer, f format, v any) error {
	if f != formatYAML {
		return writeLine(w, v)
	}
	b, err := marshalJSON(v, "")
	if err == nil {
		b, err = toYAML(b)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(append([]byte("---\n"), b...))
	return err
}

// writeLine writes v as one line of JSON, for streams of records.
func writeLine(w io.Writer, v any) error {
	b, err := marshalJSON(v, "")
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// marshalJSON returns v as JSON ending with a newline, indented with
// indent unless it is empty, without encoding/json's HTML escapes (<, >
// and & are printed as they are) and with the characters that must not
// reach a terminal escaped.
func marshalJSON(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return escapeJSON(buf.Bytes()), nil
}

// newTable returns a writer that aligns tab-separated columns.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
}

// humanDuration writes d as docker does: "45 seconds", "3 minutes",
// "2 hours", "4 days".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return "less than a second"
	case d < time.Minute:
		return plural(int(d/time.Second), "second")
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d/(24*time.Hour)), "day")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// humanBytes writes n in binary units: "256MiB", "1.5KiB", "0B".
func humanBytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 || n >= 100 || n == float64(int64(n)) {
		return fmt.Sprintf("%.0f%s", n, units[i])
	}
	return fmt.Sprintf("%.1f%s", n, units[i])
}
