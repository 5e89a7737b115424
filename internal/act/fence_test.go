package act

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/esclient"
)

func TestUnreachableFenceIsDeferredAndTrafficMoves(t *testing.T) {
	r := newRig(t)
	r.east.setErr(refused)
	e := r.executor(t, nil)
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	if err := e.Act(context.Background(), s, d); err != nil {
		t.Fatal(err)
	}
	p := stored(t, r.st, 2)
	if p.Status != StatusDone || p.Steps[0].Status != StatusDeferred || p.Steps[0].Attempts != 1 {
		t.Fatalf("plan %s, fence %+v; want done with the fence deferred after one attempt", p.Status, p.Steps[0])
	}
	if _, changes := r.a.counts(); changes != 1 {
		t.Error("traffic did not move while the fence was deferred")
	}
	if got := e.PendingFences(); !slices.Equal(got, []string{"east"}) {
		t.Errorf("PendingFences = %q", got)
	}

	// A restart keeps retrying: the deferral is in the journal.
	e2 := r.executor(t, nil)
	if err := e2.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := e2.PendingFences(); !slices.Equal(got, []string{"east"}) {
		t.Fatalf("after restart PendingFences = %q", got)
	}
	e2.retryFences(context.Background()) // still down: kept
	if got := e2.PendingFences(); len(got) != 1 {
		t.Fatalf("a failed retry dropped the fence: %q", got)
	}
	r.east.setErr(nil) // east answers again
	e2.retryFences(context.Background())
	if puts, ro := r.east.state(); ro != true || puts != 3 {
		t.Errorf("east: %d puts, read_only %v; want fenced on the third try", puts, ro)
	}
	if got := e2.PendingFences(); len(got) != 0 {
		t.Errorf("PendingFences after the fence = %q", got)
	}
	if _, ok, _ := r.st.Get(context.Background(), bucketFences, "east"); ok {
		t.Error("the applied fence is still journaled")
	}
	evs := strings.Join(actedEvents(t, r.st), "\n")
	if !strings.Contains(evs, "fence east: deferred") || !strings.Contains(evs, "deferred fence east: done") {
		t.Errorf("events:\n%s", evs)
	}
}

func TestDeferredFenceOfPromotedClusterIsDropped(t *testing.T) {
	r := newRig(t)
	r.east.setErr(refused)
	e := r.executor(t, nil)
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	if err := e.Act(context.Background(), s, d); err != nil {
		t.Fatal(err)
	}
	// east comes back and an operator switches back to it before the retry ran.
	r.east.setErr(nil)
	s, d = commit(t, r.st, decide.ActSwitchover, "west", "east", 3)
	if err := e.Act(context.Background(), s, d); err != nil {
		t.Fatal(err)
	}
	if _, ro := r.east.state(); ro != nil {
		t.Errorf("east read_only = %v after its promotion, want reset (nil)", ro)
	}
	if got := e.PendingFences(); len(got) != 0 {
		t.Errorf("PendingFences = %q; the promotion must drop east's deferred fence", got)
	}
	e.retryFences(context.Background())
	if _, ro := r.east.state(); ro != nil {
		t.Error("the background retry fenced the active cluster")
	}
}

func TestFenceHTTPErrorIsRetriedThenDeferred(t *testing.T) {
	r := newRig(t)
	r.east.setErr(&esclient.NodeError{Node: "http://east:9200", Op: "PUT /_cluster/settings", Kind: esclient.KindHTTPStatus,
		Err: &esclient.StatusError{Code: 500, Type: "exception"}})
	e := r.executor(t, nil)
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	if err := e.Act(context.Background(), s, d); err != nil {
		t.Fatal(err)
	}
	f := stored(t, r.st, 2).Steps[0]
	if f.Status != StatusDeferred || f.Attempts != fastRetry.Attempts || !strings.Contains(f.Error, "HTTP 500") {
		t.Errorf("fence step %+v, want deferred after %d attempts", f, fastRetry.Attempts)
	}
}

func TestFenceOptOut(t *testing.T) {
	r := newRig(t)
	e := r.executor(t, func(o *Options) {
		o.Clusters["east"] = Cluster{NoFence: true}
	})
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	if err := e.Act(context.Background(), s, d); err != nil {
		t.Fatal(err)
	}
	if puts, _ := r.east.state(); puts != 0 {
		t.Errorf("opted-out east got %d settings writes", puts)
	}
	if st := stored(t, r.st, 2).Steps[0]; st.Status != StatusSkipped || !strings.Contains(st.Note, "fence: false") {
		t.Errorf("fence step %+v", st)
	}
}

func TestRunRetriesDeferredFenceWhenSeen(t *testing.T) {
	r := newRig(t)
	r.east.setErr(refused)
	e := r.executor(t, func(o *Options) { o.RetryInterval = 1 << 40 }) // only Seen wakes it
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	if err := e.Act(context.Background(), s, d); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	r.east.setErr(nil)
	for len(e.PendingFences()) > 0 {
		e.Seen("east")
		waitFor(t, ctx)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, ro := r.east.state(); ro != true {
		t.Error("east not fenced once seen")
	}
}
