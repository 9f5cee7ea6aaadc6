package hcs

import (
	"github.com/gohcs/hcs/internal/backend"
	"github.com/gohcs/hcs/internal/computecore"
)

func localBackend() (backend.Backend, error) { return computecore.Backend() }
