//go:build !windows

package hcs

import (
	"context"
	"errors"
	"testing"
)

func TestLocalIsNotSupportedOffWindows(t *testing.T) {
	h := Local()
	ctx := context.Background()
	if _, err := h.CreateSystem(ctx, "x", `{}`); !errors.Is(err, ErrNotSupported) {
		t.Errorf("CreateSystem: %v, want ErrNotSupported", err)
	}
	if _, err := h.OpenSystem(ctx, "x"); !errors.Is(err, ErrNotSupported) {
		t.Errorf("OpenSystem: %v, want ErrNotSupported", err)
	}
	if _, err := h.ListSystems(ctx, nil); !errors.Is(err, ErrNotSupported) || !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("ListSystems: %v, want ErrNotSupported", err)
	}
	if _, err := h.ServiceProperties(ctx, nil); !errors.Is(err, ErrNotSupported) {
		t.Errorf("ServiceProperties: %v, want ErrNotSupported", err)
	}
	if err := h.GrantVMAccess(ctx, "vm", "f"); !errors.Is(err, ErrNotSupported) {
		t.Errorf("GrantVMAccess: %v, want ErrNotSupported", err)
	}
	if err := h.Drain(ctx); err != nil {
		t.Errorf("Drain: %v", err)
	}
}
