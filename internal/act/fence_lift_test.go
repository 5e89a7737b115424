package act

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/decide"
)

// TestLiftFence: the failback resync lifts the write block of the cluster traffic left,
// drops its deferred fence so that the retry cannot undo it, records an event — and
// refuses the active cluster.
func TestLiftFence(t *testing.T) {
	r := newRig(t)
	r.east.setErr(refused)
	e := r.executor(t, nil)
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	if err := e.Act(context.Background(), s, d); err != nil {
		t.Fatal(err)
	}
	if len(e.PendingFences()) != 1 {
		t.Fatalf("want east's fence deferred, got %q", e.PendingFences())
	}
	if err := e.LiftFence(context.Background(), "west", "a test"); !errors.Is(err, ErrActive) {
		t.Errorf("lifting the active cluster's fence: %v, want ErrActive", err)
	}
	r.east.setErr(nil) // east is back
	if err := e.LiftFence(context.Background(), "east", "the failback resync"); err != nil {
		t.Fatal(err)
	}
	if _, ro := r.east.state(); ro != nil {
		t.Errorf("east read_only = %v after the lift, want reset", ro)
	}
	e.retryFences(context.Background())
	if _, ro := r.east.state(); ro != nil || len(e.PendingFences()) != 0 {
		t.Errorf("the deferred fence came back: read_only %v, pending %q", ro, e.PendingFences())
	}
	evs := actedEvents(t, r.st)
	if last := evs[len(evs)-1]; !strings.Contains(last, "fence of east lifted") || !strings.Contains(last, "failback resync") {
		t.Errorf("last acted event %q", last)
	}
	if err := e.LiftFence(context.Background(), "north", "a test"); err == nil {
		t.Error("lifting the fence of an unknown cluster succeeded")
	}
}
