package act

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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
	want := []string{"unfence west: done", "fence east: deferred", "switch a: done", "switch b: done"}
	if got := statuses(p); p.Status != StatusDone || !slices.Equal(got, want) || p.Steps[1].Attempts != 1 {
		t.Fatalf("plan %s, steps %q, fence %+v; want done with the fence deferred after one attempt", p.Status, got, p.Steps[1])
	}
	if _, changes := r.a.counts(); changes != 1 {
		t.Error("traffic did not move while the fence was deferred")
	}
	if got, want := r.j.list(), []string{"unfence west", "switch a → west", "switch b → west"}; !slices.Equal(got, want) {
		t.Errorf("side effects %q, want %q", got, want)
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
	p := stored(t, r.st, 2)
	want := []string{"unfence west: done", "fence east: deferred", "switch a: done", "switch b: done"}
	if got := statuses(p); !slices.Equal(got, want) {
		t.Errorf("steps %q, want %q", got, want)
	}
	f := p.Steps[1]
	if f.Kind != StepFence || f.Status != StatusDeferred || f.Attempts != fastRetry.Attempts || !strings.Contains(f.Error, "HTTP 500") {
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
	p := stored(t, r.st, 2)
	want := []string{"unfence west: done", "fence east: skipped", "switch a: done", "switch b: done"}
	if got := statuses(p); p.Status != StatusDone || !slices.Equal(got, want) {
		t.Errorf("plan %s, steps %q, want %q", p.Status, got, want)
	}
	if st := p.Steps[1]; st.Kind != StepFence || st.Attempts != 0 || !strings.Contains(st.Note, "fence: false") {
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

// hungSettings is a cluster that accepts the connection and never answers: every call
// blocks until its context ends. deadlines records how much time each call was given.
type hungSettings struct {
	mu        sync.Mutex
	deadlines []time.Duration
}

func (h *hungSettings) PutClusterSettings(ctx context.Context, _ map[string]any) error {
	d, ok := ctx.Deadline()
	h.mu.Lock()
	if ok {
		h.deadlines = append(h.deadlines, time.Until(d))
	} else {
		h.deadlines = append(h.deadlines, -1)
	}
	h.mu.Unlock()
	<-ctx.Done()
	return ctx.Err()
}

func (h *hungSettings) given() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.deadlines)
}

// A hung old active is not waited on for a whole AttemptTimeout: each fence attempt is
// cut at FenceTimeout, the fence is deferred, and traffic has already moved to a
// writable new active. The background retry is bounded the same way.
func TestHungFenceIsCutAtFenceTimeoutAndDeferred(t *testing.T) {
	const fenceTimeout = 50 * time.Millisecond
	r := newRig(t)
	hung := &hungSettings{}
	e := r.executor(t, func(o *Options) {
		o.Clusters["east"] = Cluster{Nodes: []string{"http://east:9200"}, Settings: hung}
		o.FenceTimeout = fenceTimeout // fastRetry.AttemptTimeout is 5s
	})
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	if err := e.Act(context.Background(), s, d); err != nil {
		t.Fatal(err)
	}
	p := stored(t, r.st, 2)
	want := []string{"unfence west: done", "fence east: deferred", "switch a: done", "switch b: done"}
	if got := statuses(p); p.Status != StatusDone || !slices.Equal(got, want) {
		t.Fatalf("plan %s, steps %q, want %q", p.Status, got, want)
	}
	if f := p.Steps[1]; f.Attempts != 1 || !strings.Contains(f.Error, context.DeadlineExceeded.Error()) {
		t.Errorf("fence step %+v; want deferred after one attempt that hit its deadline", f)
	}
	if got, want := r.j.list(), []string{"unfence west", "switch a → west", "switch b → west"}; !slices.Equal(got, want) {
		t.Errorf("side effects %q, want %q", got, want)
	}
	if got := e.PendingFences(); !slices.Equal(got, []string{"east"}) {
		t.Errorf("PendingFences = %q", got)
	}

	e.retryFences(context.Background()) // still hung: kept, and cut the same way
	if got := e.PendingFences(); !slices.Equal(got, []string{"east"}) {
		t.Errorf("after a hung retry PendingFences = %q", got)
	}
	given := hung.given()
	if len(given) != 2 {
		t.Fatalf("hung cluster called %d times, want the step's one attempt and one retry", len(given))
	}
	for i, g := range given {
		if g <= 0 || g > fenceTimeout {
			t.Errorf("attempt %d was given %v, want at most FenceTimeout (%v)", i+1, g, fenceTimeout)
		}
	}
}
