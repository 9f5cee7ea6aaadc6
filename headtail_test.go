package hcs

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// wantHeadTail is what a headTail of limit keeps of all.
func wantHeadTail(all []byte, limit int) []byte {
	if limit < 0 || len(all) <= 2*limit {
		return all
	}
	out := append([]byte(nil), all[:limit]...)
	out = fmt.Appendf(out, "\n... omitting %d bytes ...\n", len(all)-2*limit)
	return append(out, all[len(all)-limit:]...)
}

func TestHeadTail(t *testing.T) {
	const limit = 8
	data := make([]byte, 100)
	for i := range data {
		data[i] = 'a' + byte(i%26)
	}
	for name, sizes := range map[string][]int{
		"nothing":            {},
		"straddles the head": {5, 6},
		"exactly 2*limit":    {16},
		"2*limit+1":          {10, 7},
		"one huge write":     {100},
		"limit-sized writes": {8, 8, 8, 8, 8},
		"after a huge write": {3, 50, 2, 1},
		"bytes one by one":   {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
	} {
		h := &headTail{limit: limit}
		var all []byte
		for _, n := range sizes {
			p := data[len(all) : len(all)+n]
			if k, err := h.Write(p); k != n || err != nil {
				t.Fatalf("%s: Write = %d, %v", name, k, err)
			}
			all = append(all, p...)
		}
		if got, want := h.Bytes(), wantHeadTail(all, limit); !bytes.Equal(got, want) {
			t.Errorf("%s: Bytes = %q, want %q", name, got, want)
		}
		if cap(h.tail) > 4*limit {
			t.Errorf("%s: tail grew to %d bytes", name, cap(h.tail))
		}
	}

	// Random write sizes against the model, for several limits.
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		limit := r.IntN(10)
		h := &headTail{limit: limit}
		var all []byte
		for range r.IntN(12) {
			n := r.IntN(3 * (limit + 1))
			p := bytes.Repeat([]byte{byte('A' + r.IntN(26))}, n)
			h.Write(p)
			all = append(all, p...)
		}
		if got, want := h.Bytes(), wantHeadTail(all, limit); !bytes.Equal(got, want) {
			t.Fatalf("limit %d: Bytes = %q, want %q", limit, got, want)
		}
	}
}

// TestHeadTailUnlimited checks that a result is not changed by later
// writes, which a copy Run gave up on may still make.
func TestHeadTailUnlimited(t *testing.T) {
	h := &headTail{limit: -1}
	h.Write([]byte("abc"))
	got := h.Bytes()
	h.Write([]byte("def"))
	got = append(got, 'X')
	if string(got) != "abcX" || string(h.Bytes()) != "abcdef" {
		t.Errorf("Bytes = %q then %q", got, h.Bytes())
	}
}

func TestHeadTailConcurrent(t *testing.T) {
	for _, limit := range []int{-1, 16} {
		h := &headTail{limit: limit}
		var wg sync.WaitGroup
		wg.Go(func() {
			for range 1000 {
				h.Write([]byte("0123456789"))
			}
		})
		for range 100 {
			if b := h.Bytes(); len(b) > 0 && b[0] != '0' {
				t.Errorf("limit %d: Bytes starts with %q", limit, b[0])
			}
		}
		wg.Wait()
	}
}
