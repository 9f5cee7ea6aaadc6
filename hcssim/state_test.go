package hcssim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gohcs/hcs"
	"github.com/gohcs/hcs/schema"
)

// clock is a settable clock for WithClock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func mustCreate(t *testing.T, host *hcs.Host, id, config string) *hcs.System {
	t.Helper()
	sys, err := host.CreateSystem(context.Background(), id, config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close() })
	return sys
}

func save(t *testing.T, s *Sim) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := s.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestStateRoundTrip(t *testing.T) {
	ctx := context.Background()
	c := &clock{time.Date(2026, 4, 21, 12, 0, 0, 0, time.UTC)}
	a := New(WithClock(c.now))
	defer a.Close()
	host := a.Host()

	mustCreate(t, host, "created", `{"Owner":"o","Container":{}}`)
	running := mustCreate(t, host, "running", `{"Owner":"o","VirtualMachine":{}}`)
	paused := mustCreate(t, host, "paused", `{"Owner":"p","Container":{}}`)
	stopped := mustCreate(t, host, "stopped", `{"Container":{}}`)
	doomed := mustCreate(t, host, "doomed", `{"Container":{},"ShouldTerminateOnLastHandleClosed":true}`)
	for _, sys := range []*hcs.System{running, paused, stopped, doomed} {
		if err := sys.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	c.t = c.t.Add(10 * time.Second)
	if err := paused.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	if err := stopped.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	before, err := running.Statistics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	state := save(t, a)

	// A later program restores the state: the stopped system and the one
	// that dies with its last handle are gone, the others are as they were
	// and their statistics go on from where they were.
	c.t = c.t.Add(10 * time.Second)
	b := New(WithClock(c.now))
	defer b.Close()
	if err := b.LoadState(bytes.NewReader(state)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, info := range b.Systems() {
		got = append(got, info.ID+":"+string(info.Type)+":"+info.Owner+":"+string(info.State))
	}
	want := "created:Container:o:Created paused:Container:p:Paused running:VirtualMachine:o:Running"
	if strings.Join(got, " ") != want {
		t.Errorf("restored systems = %v, want %v", got, want)
	}
	if ra, rb := a.Systems()[3].RuntimeID, b.Systems()[2].RuntimeID; ra != rb {
		t.Errorf("runtime id %q restored as %q", ra, rb)
	}
	restored, err := b.Host().OpenSystem(ctx, "running")
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	after, err := restored.Statistics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, err := hcs.UsageBetween(before, after, 1)
	if err != nil {
		t.Fatal(err)
	}
	if u.Restarted || u.Uptime != 20*time.Second || u.CPU.Percent != 25 {
		t.Errorf("usage across the restore = %+v, cpu %+v; want uptime 20s, 25%% cpu, no restart", u, u.CPU)
	}
	if !after.ContainerStartTime.Equal(before.ContainerStartTime) {
		t.Errorf("start time %v restored as %v", before.ContainerStartTime, after.ContainerStartTime)
	}

	// The restored state saves to the same document.
	restored.Close()
	c2 := New(WithClock(c.now))
	defer c2.Close()
	again := save(t, b)
	if err := c2.LoadState(bytes.NewReader(again)); err != nil {
		t.Fatal(err)
	}
	if third := save(t, c2); !bytes.Equal(third, again) {
		t.Errorf("state changed through a load and save:\n%s\nthen\n%s", again, third)
	}
}

func TestStateUpdatesWatchers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Two programs share a state: the writer changes it, the watcher loads
	// each new state into its own Sim, where it has handles open.
	writer := New()
	defer writer.Close()
	for _, id := range []string{"graceful", "removed", "paused"} {
		sys := mustCreate(t, writer.Host(), id, `{"Container":{}}`)
		if err := sys.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	watcher := New()
	defer watcher.Close()
	if err := watcher.LoadState(bytes.NewReader(save(t, writer))); err != nil {
		t.Fatal(err)
	}
	open := func(id string) *hcs.System {
		sys, err := watcher.Host().OpenSystem(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sys.Close() })
		return sys
	}
	graceful, removed, paused := open("graceful"), open("removed"), open("paused")
	proc, err := paused.CreateProcess(ctx, &schema.ProcessParameters{CommandLine: "wait"})
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Close()

	// The writer shuts one down while a handle keeps it listed, pauses
	// another, and terminates the third, which then goes.
	w := func(id string) *hcs.System {
		sys, err := writer.Host().OpenSystem(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sys.Close() })
		return sys
	}
	if err := w("graceful").Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w("paused").Pause(ctx); err != nil {
		t.Fatal(err)
	}
	term := w("removed")
	if err := term.Terminate(ctx); err != nil {
		t.Fatal(err)
	}
	term.Close()
	if err := watcher.LoadState(bytes.NewReader(save(t, writer))); err != nil {
		t.Fatal(err)
	}

	for sys, want := range map[*hcs.System]schema.NotificationType{
		graceful: schema.NotificationTypeGracefulExit,
		removed:  schema.NotificationTypeForcedExit,
	} {
		st, err := sys.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.ExitType != want {
			t.Errorf("%s exited with %s, want %s", sys.ID(), st.ExitType, want)
		}
	}
	props, err := paused.Properties(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if props.State != schema.StatePaused {
		t.Errorf("paused is %s, want Paused", props.State)
	}
	// Its process was left alone, and process ids go on increasing.
	if proc.ExitCode() != -1 {
		t.Errorf("process exited with %d on a state load", proc.ExitCode())
	}
	if info := watcher.Systems(); len(info) != 3 || info[1].Processes != 1 {
		t.Errorf("watcher systems = %+v", info)
	}
}

func TestLoadStateRejects(t *testing.T) {
	valid := `{"Format":"hcssim-state/1","Systems":[{"ID":"a","Type":"Container","State":"Created"}]}`
	for name, doc := range map[string]string{
		"not JSON":      `{"Format":`,
		"format":        `{"Format":"hcssim-state/2","Systems":[]}`,
		"no id":         `{"Format":"hcssim-state/1","Systems":[{"Type":"Container","State":"Created"}]}`,
		"type":          `{"Format":"hcssim-state/1","Systems":[{"ID":"a","Type":"Silo","State":"Created"}]}`,
		"state":         `{"Format":"hcssim-state/1","Systems":[{"ID":"a","Type":"Container","State":"Running?"}]}`,
		"running since": `{"Format":"hcssim-state/1","Systems":[{"ID":"a","Type":"Container","State":"Running"}]}`,
		"twice":         strings.Replace(valid, `}]}`, `},{"ID":"a","Type":"Container","State":"Created"}]}`, 1),
	} {
		s := New()
		if err := s.LoadState(strings.NewReader(valid)); err != nil {
			t.Fatal(err)
		}
		if err := s.LoadState(strings.NewReader(doc)); err == nil || !strings.HasPrefix(err.Error(), "hcssim: load state: ") {
			t.Errorf("%s: LoadState = %v, want an error", name, err)
		}
		if got := s.Systems(); len(got) != 1 || got[0].ID != "a" || got[0].State != "Created" {
			t.Errorf("%s: a failed load changed the systems: %+v", name, got)
		}
		s.Close()
		if err := s.LoadState(strings.NewReader(valid)); err == nil {
			t.Errorf("LoadState on a closed Sim succeeded")
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestSaveStateWriteError(t *testing.T) {
	s := New()
	defer s.Close()
	if err := s.SaveState(failingWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("SaveState = %v, want the writer's error", err)
	}
}

func TestLoadStateIgnoresUnknownMembers(t *testing.T) {
	s := New()
	defer s.Close()
	doc := `{"Format":"hcssim-state/1","Later":true,"Systems":[{"ID":"a","Type":"Container","State":"Created","New":1}]}`
	if err := s.LoadState(strings.NewReader(doc)); err != nil {
		t.Fatalf("LoadState: %v", err)
	}
	if got := s.Systems(); len(got) != 1 || got[0].ID != "a" {
		t.Fatalf("systems = %+v", got)
	}
}

func TestLoadStateReusedIDStopsTheOldSystem(t *testing.T) {
	s := New()
	defer s.Close()
	state := func(runtimeID string) io.Reader {
		return strings.NewReader(`{"Format":"hcssim-state/1","Systems":[{"ID":"web","Type":"Container","State":"Created","RuntimeID":"` + runtimeID + `"}]}`)
	}
	if err := s.LoadState(state("11111111-1111-1111-1111-111111111111")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sys, err := s.Host().OpenSystem(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	// Another invocation killed web and created a new one under the same id.
	if err := s.LoadState(state("22222222-2222-2222-2222-222222222222")); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := sys.Wait(wctx)
	if err != nil || st.ExitType != schema.NotificationTypeForcedExit {
		t.Fatalf("Wait on the replaced system: %+v, %v; want ForcedExit", st, err)
	}
	sys.Close()
	if err := s.LoadState(state("22222222-2222-2222-2222-222222222222")); err != nil {
		t.Fatal(err)
	}
	if got := s.Systems(); len(got) != 1 || got[0].RuntimeID != "22222222-2222-2222-2222-222222222222" || got[0].State != "Created" {
		t.Fatalf("after the old handle closed: %+v, want the new system", got)
	}
}
