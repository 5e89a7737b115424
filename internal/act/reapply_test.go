package act

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/decide"
)

// TestReapply: targets that lost esdr's setting are pointed at the active cluster of
// the stored epoch again, each outcome an event; a plan in progress, or no state yet,
// refuses.
func TestReapply(t *testing.T) {
	r := newRig(t)
	e := r.executor(t, nil)
	if _, err := e.Reapply(context.Background(), "ops@test"); err == nil || !strings.Contains(err.Error(), "not chosen an active cluster") {
		t.Errorf("before any decision: %v", err)
	}
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	if err := e.Act(context.Background(), s, d); err != nil {
		t.Fatal(err)
	}
	r.a.mu.Lock()
	r.a.to = "east" // someone pointed a back at east (a reload, a hand edit)
	r.a.mu.Unlock()
	r.b.mu.Lock()
	r.b.fail = 100 // b is broken for now
	r.b.mu.Unlock()
	res, err := e.Reapply(context.Background(), "ops@test")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Target != "a" || res[0].Error != "" || res[1].Target != "b" || res[1].Error == "" {
		t.Fatalf("results %+v: want a done and b failed", res)
	}
	if r.a.to != "west" || r.a.held != 2 {
		t.Errorf("target a points at %s (epoch %d), want west at 2", r.a.to, r.a.held)
	}
	evs := actedEvents(t, r.st)
	tail := strings.Join(evs[len(evs)-2:], "\n")
	if !strings.Contains(tail, "target a points at west (epoch 2) again, by ops@test") || !strings.Contains(tail, "target b could not be pointed at west") {
		t.Errorf("last events:\n%s", tail)
	}

	// A plan that waits for a retry switches the targets itself.
	r.b.mu.Lock()
	r.b.fail = 100
	r.b.mu.Unlock()
	s, d = commit(t, r.st, decide.ActSwitchover, "west", "east", 3)
	_ = e.Act(context.Background(), s, d) // b fails: the plan stays open
	if _, err := e.Reapply(context.Background(), "ops@test"); !errors.Is(err, ErrPlanOpen) {
		t.Errorf("with an open plan: %v, want ErrPlanOpen", err)
	}
}
