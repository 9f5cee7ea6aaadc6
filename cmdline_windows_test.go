package hcs

import (
	"syscall"
	"testing"
)

func TestQuoteArgMatchesEscapeArg(t *testing.T) {
	for _, tc := range quoteArgCases {
		if got, want := quoteArg(tc.in), syscall.EscapeArg(tc.in); got != want {
			t.Errorf("quoteArg(%q) = %q, syscall.EscapeArg gives %q", tc.in, got, want)
		}
	}
}
