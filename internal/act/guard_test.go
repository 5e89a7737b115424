package act

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/state"
)

// intentStore is the embedded store with its intent writes recorded in the shared
// journal, or, while refuse is set, refused as etcd refuses a deposed leader's.
type intentStore struct {
	*state.File
	j      *journal
	refuse bool
}

func (s *intentStore) Put(ctx context.Context, bucket, key string, val []byte) error {
	if bucket == bucketIntents {
		if s.refuse {
			return fmt.Errorf("%w: leader key gone (test)", state.ErrNotLeader)
		}
		var it intent
		_ = json.Unmarshal(val, &it)
		s.j.add("intent " + it.Action + " " + it.Cluster)
	}
	return s.File.Put(ctx, bucket, key, val)
}

// TestIntentBeforeEveryChange: in the embedded mode every change to a cluster is
// preceded by its intent, written through the same store call as in a fleet.
func TestIntentBeforeEveryChange(t *testing.T) {
	r := newRig(t)
	st := &intentStore{File: r.st, j: r.j}
	e, err := New(st, r.options())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, d := commit(t, r.st, decide.ActSwitchover, "east", "west", 2)
	if err := e.Act(ctx, s, d); err != nil {
		t.Fatal(err)
	}
	if err := e.LiftFence(ctx, "east", "a test"); err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, op := range r.j.list() {
		if !strings.HasPrefix(op, "switch ") {
			changes = append(changes, op)
		}
	}
	want := []string{"intent fence east", "fence east", "intent unfence west", "unfence west", "intent lift-fence east", "unfence east"}
	if !slices.Equal(changes, want) {
		t.Fatalf("changes %q, want %q", changes, want)
	}
}

// TestRefusedIntentChangesNothing: when the store refuses the intent (another process
// leads), no cluster is touched, no fence is deferred, and the error says not leader.
func TestRefusedIntentChangesNothing(t *testing.T) {
	r := newRig(t)
	st := &intentStore{File: r.st, j: r.j, refuse: true}
	e, err := New(st, r.options())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	if err := e.Act(ctx, s, d); err == nil {
		t.Fatal("a plan whose changes were refused succeeded")
	}
	p := stored(t, r.st, 2)
	for _, step := range p.Steps {
		if (step.Kind == StepFence || step.Kind == StepUnfence) && (step.Status != StatusFailed || !strings.Contains(step.Error, "not leader")) {
			t.Errorf("%s %s: %s %q, want failed saying not leader", step.Kind, step.Name, step.Status, step.Error)
		}
	}
	err = e.LiftFence(ctx, "east", "a test")
	if !errors.Is(err, ErrNotLeader) || !errors.Is(err, state.ErrNotLeader) {
		t.Fatalf("LiftFence: %v, want ErrNotLeader", err)
	}
	if n, _ := r.east.state(); n != 0 {
		t.Errorf("east received %d settings requests, want none", n)
	}
	if n, _ := r.west.state(); n != 0 {
		t.Errorf("west received %d settings requests, want none", n)
	}
	if got := e.PendingFences(); len(got) != 0 {
		t.Errorf("deferred fences %v, want none: the fence is the leader's business", got)
	}
}
