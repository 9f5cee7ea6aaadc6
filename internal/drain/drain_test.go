package drain

import (
	"context"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestWait(t *testing.T) {
	var tr Tracker
	if err := tr.Wait(context.Background()); err != nil {
		t.Fatalf("Wait with nothing counted: %v", err)
	}
	tr.Add()
	tr.Add()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := tr.Wait(ctx); err != context.Canceled {
		t.Fatalf("Wait with work counted and ctx done = %v, want context.Canceled", err)
	}
	waited := make(chan error)
	go func() { waited <- tr.Wait(context.Background()) }()
	tr.Done()
	tr.Add() // added to while someone waits
	tr.Done()
	tr.Done()
	if err := <-waited; err != nil {
		t.Fatalf("Wait = %v", err)
	}
	if err := tr.Wait(context.Background()); err != nil {
		t.Fatalf("Wait after the count reached zero: %v", err)
	}
}
