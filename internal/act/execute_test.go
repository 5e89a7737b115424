package act

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/decide"
)

func TestActRunsStepsInOrderAndJournalsEach(t *testing.T) {
	cases := []struct {
		action decide.Action
		want   []string // side effects, in order
		kinds  []string // steps afterStep saw, in order
		event  string
	}{
		// A failover promotes first: the old active is judged down.
		{decide.ActFailover, []string{"unfence west", "fence east", "switch a → west", "switch b → west"},
			[]string{"unfence", "fence", "switch", "switch"}, "plan for epoch 2 (failover east → west): 4 steps"},
		// A switchover fences the healthy old active before the new one takes writes.
		{decide.ActSwitchover, []string{"fence east", "unfence west", "switch a → west", "switch b → west"},
			[]string{"fence", "unfence", "switch", "switch"}, "plan for epoch 2 (switchover east → west): 4 steps"},
	}
	for _, c := range cases {
		t.Run(string(c.action), func(t *testing.T) {
			r := newRig(t)
			e := r.executor(t, nil)
			// After each step, the journal already holds its outcome and nothing later has run.
			var seen []string
			e.afterStep = func(p *Plan, i int) {
				got := stored(t, r.st, p.Epoch)
				if got.Steps[i].Status != StatusDone || got.Steps[i].Attempts != 1 {
					t.Errorf("after step %d the journal says %+v", i, got.Steps[i])
				}
				for _, s := range got.Steps[i+1:] {
					if s.Status != StatusPending {
						t.Errorf("after step %d, later step %s %s is %s", i, s.Kind, s.Name, s.Status)
					}
				}
				if n := len(r.j.list()); n != i+1 {
					t.Errorf("after step %d, %d side effects: %q", i, n, r.j.list())
				}
				seen = append(seen, string(got.Steps[i].Kind))
			}
			s, d := commit(t, r.st, c.action, "east", "west", 2)
			if err := e.Act(context.Background(), s, d); err != nil {
				t.Fatal(err)
			}
			if got := r.j.list(); !slices.Equal(got, c.want) {
				t.Errorf("side effects %q, want %q", got, c.want)
			}
			if !slices.Equal(seen, c.kinds) {
				t.Errorf("afterStep saw %q, want %q", seen, c.kinds)
			}
			p := stored(t, r.st, 2)
			if p.Status != StatusDone || p.Finished.IsZero() {
				t.Errorf("plan %s, finished %v", p.Status, p.Finished)
			}
			if cur := e.Current(); cur == nil || cur.Status != StatusDone || cur.Epoch != 2 {
				t.Errorf("Current() = %+v", cur)
			}
			evs := strings.Join(actedEvents(t, r.st), "\n")
			for _, w := range []string{c.event, "unfence west: done after 1 attempt(s)", "\nacted: fence east: done after 1 attempt(s)",
				"switch b: done", "plan for epoch 2 done"} {
				if !strings.Contains(evs, w) {
					t.Errorf("events lack %q:\n%s", w, evs)
				}
			}
			// Acting again on the same stored decision (a repeated call) applies nothing twice.
			if err := e.Act(context.Background(), s, d); err != nil {
				t.Fatal(err)
			}
			if calls, _ := r.a.counts(); calls != 1 {
				t.Errorf("target a called %d times, want 1", calls)
			}
			if got := r.j.list(); !slices.Equal(got, c.want) {
				t.Errorf("after a repeated Act, side effects %q", got)
			}
		})
	}
}

func TestActIgnoresNonTransitions(t *testing.T) {
	r := newRig(t)
	e := r.executor(t, nil)
	if err := e.Act(context.Background(), decide.State{Active: "east", Epoch: 1}, decide.Decision{Action: decide.ActUpdate, Epoch: 1}); err != nil {
		t.Fatal(err)
	}
	if len(r.j.list()) != 0 || e.Current() != nil {
		t.Errorf("a non-transition acted: %q", r.j.list())
	}
}

func TestRetryIsBoundedAndFailedPlanIsRetriedLater(t *testing.T) {
	r := newRig(t)
	r.a.fail = 4 // more than fastRetry.Attempts (3)
	e := r.executor(t, nil)
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	err := e.Act(context.Background(), s, d)
	if err == nil || !strings.Contains(err.Error(), "switch a") {
		t.Fatalf("Act = %v, want the failed step named", err)
	}
	p := stored(t, r.st, 2)
	if p.Status != StatusFailed || p.Steps[2].Status != StatusFailed || p.Steps[2].Attempts != 3 ||
		!strings.Contains(p.Steps[2].Error, "temporarily broken") {
		t.Fatalf("journal after bounded retries: %q %+v", p.Status, p.Steps[2])
	}
	// One broken target does not keep traffic from moving through the others.
	if p.Steps[3].Status != StatusDone {
		t.Errorf("switch b is %s, want done", p.Steps[3].Status)
	}
	// Run's retry: the failed step is tried again (one more failure left, then success);
	// done steps are not repeated.
	e.retryPlan(context.Background())
	p = stored(t, r.st, 2)
	if p.Status != StatusDone || p.Steps[2].Attempts != 5 {
		t.Errorf("after retry: %s, attempts %d", p.Status, p.Steps[2].Attempts)
	}
	if calls, _ := r.b.counts(); calls != 1 {
		t.Errorf("switch b ran %d times, want 1", calls)
	}
	if puts, _ := r.east.state(); puts != 1 {
		t.Errorf("fence ran %d times, want 1", puts)
	}
}

func TestSupersededPlanIsNeverApplied(t *testing.T) {
	r := newRig(t)
	r.a.fail = 100
	e := r.executor(t, nil)
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	if err := e.Act(context.Background(), s, d); err == nil {
		t.Fatal("want the failing plan to fail")
	}
	// A newer decision is stored (by another round or another esdr) before the retry.
	commit(t, r.st, decide.ActSwitchover, "west", "east", 3)
	callsBefore, _ := r.b.counts()
	e.retryPlan(context.Background())
	p := stored(t, r.st, 2)
	if p.Status != StatusSuperseded || p.Steps[2].Status != StatusSuperseded {
		t.Errorf("old plan: %s %q", p.Status, statuses(p))
	}
	if calls, _ := r.b.counts(); calls != callsBefore {
		t.Error("a step of the old epoch ran after a newer epoch was stored")
	}
	if !slices.ContainsFunc(actedEvents(t, r.st), func(s string) bool { return strings.Contains(s, "superseded") }) {
		t.Error("no superseded event")
	}
}

func TestActSupersedesUnfinishedPreviousPlan(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	e := r.executor(t, nil)
	e.afterStep = func(*Plan, int) { cancel() } // "crash" after the first step (the unfence)
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	if err := e.Act(ctx, s, d); !errors.Is(err, context.Canceled) {
		t.Fatalf("Act = %v", err)
	}
	s, d = commit(t, r.st, decide.ActSwitchover, "west", "east", 3)
	e2 := r.executor(t, nil)
	if err := e2.Act(context.Background(), s, d); err != nil {
		t.Fatal(err)
	}
	if p := stored(t, r.st, 2); p.Status != StatusSuperseded {
		t.Errorf("epoch 2 plan is %s, want superseded", p.Status)
	}
	if _, changes := r.a.counts(); changes != 1 || r.a.held != 3 {
		t.Errorf("target a: %d changes, holds epoch %d; want only epoch 3 applied", changes, r.a.held)
	}
}

func TestNewValidates(t *testing.T) {
	st := openStore(t, "")
	defer st.Close()
	bad := []struct {
		name string
		o    Options
		want string
	}{
		{"fenced cluster without client", Options{Clusters: map[string]Cluster{"east": {}}}, `cluster "east": a settings client is required`},
		{"duplicate target", Options{Targets: []Target{&fakeTarget{name: "x"}, &fakeTarget{name: "x"}}}, `target "x" is configured twice`},
		{"unnamed target", Options{Targets: []Target{&fakeTarget{}}}, "target 0 has no name"},
		{"missing hook", Options{PreHook: &Hook{Command: []string{"/nonexistent/esdr-hook"}}}, "pre hook"},
		{"bad webhook", Options{Webhook: &Webhook{URL: "ftp://x"}}, "webhook: url"},
	}
	for _, c := range bad {
		if _, err := New(st, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: New = %v, want %q", c.name, err, c.want)
		}
	}
}
