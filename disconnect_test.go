package hcs_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/hcssim"
	"github.com/gohcs/hcs/schema"
)

// TestHandlesAfterReconnect: the System and Process opened before a
// service disconnection fail after the service is back, with a message
// that names them and says to open them again; the ones opened again work.
func TestHandlesAfterReconnect(t *testing.T) {
	sim := hcssim.New()
	defer sim.Close()
	h := sim.Host()
	ctx := context.Background()
	s := runningSystem(t, h, "web")
	p, err := s.CreateProcess(ctx, &schema.ProcessParameters{CommandLine: "wait"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	sim.Disconnect()
	if _, err := s.Wait(ctx); !errors.Is(err, hcs.ErrServiceDisconnect) {
		t.Fatalf("Wait: %v, want ErrServiceDisconnect", err) // the event has arrived
	}
	sim.Reconnect()

	checks := []struct {
		name string
		err  error
		want []string
	}{
		{"system Pause", s.Pause(ctx), []string{`pause "web"`, "open the system again (Host.OpenSystem)"}},
		{"system Properties", func() error { _, err := s.Properties(ctx); return err }(), []string{`properties "web"`, "open the system again"}},
		{"process Kill", p.Kill(ctx), []string{`"web" process ` + strconv.FormatUint(uint64(p.PID()), 10), "open the system and the process again"}},
		{"process Wait", func() error { _, err := p.Wait(ctx); return err }(), []string{`wait process "web"`, "System.OpenProcess"}},
		{"system CreateProcess", func() error {
			_, err := s.CreateProcess(ctx, &schema.ProcessParameters{CommandLine: "wait"})
			return err
		}(), []string{`create process "web"`, "open the system again"}},
		{"system OpenProcess", func() error { _, err := s.OpenProcess(ctx, p.PID()); return err }(), []string{`open process "web"`, "open the system again"}},
	}
	for _, c := range checks {
		if !errors.Is(c.err, hcs.ErrServiceDisconnect) {
			t.Errorf("%s: %v, want ErrServiceDisconnect", c.name, c.err)
			continue
		}
		// Refused by the package, not sent to HCS: real HCS might accept
		// an old handle after a restart, and the call would take effect.
		if hr := new(hcs.HRESULT); errors.As(c.err, hr) {
			t.Errorf("%s: %v carries %v: the call reached HCS", c.name, c.err, *hr)
		}
		for _, w := range c.want {
			if !strings.Contains(c.err.Error(), w) {
				t.Errorf("%s: %q lacks %q", c.name, c.err, w)
			}
		}
	}

	again, err := h.OpenSystem(ctx, "web")
	if err != nil {
		t.Fatalf("OpenSystem after reconnect: %v", err)
	}
	defer again.Close()
	proc, err := again.OpenProcess(ctx, p.PID())
	if err != nil {
		t.Fatalf("OpenProcess after reconnect: %v", err)
	}
	defer proc.Close()
	if err := proc.Kill(ctx); err != nil {
		t.Errorf("Kill through the process opened again: %v", err)
	}
	if _, err := proc.Wait(ctx); err != nil {
		t.Errorf("Wait through the process opened again: %v", err)
	}
}
