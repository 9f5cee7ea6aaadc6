package hcssim

import "github.com/gohcs/hcs/internal/backend"

// seam is a Sim seen as the raw HCS surface package hcs drives. Its methods
// are spread over the files of the concepts they belong to.
type seam Sim

var _ backend.Backend = (*seam)(nil)

func (b *seam) Init(cb backend.Callbacks) {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cb = cb
}
