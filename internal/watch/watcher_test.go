package watch

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/health"
)

type event struct {
	cluster string
	r       Result
	obs     health.Observation
	changed bool
}

// startWatcher runs a watcher until the test ends, reporting every probe on a channel per
// cluster. Probes are driven by ProbeNow (the interval is an hour), so the test never
// depends on timing.
func startWatcher(t *testing.T, targets []Target) (*Watcher, map[string]chan event) {
	t.Helper()
	events := map[string]chan event{}
	for _, tg := range targets {
		events[tg.Cluster] = make(chan event, 100)
	}
	w, err := New(targets, Options{OnResult: func(c string, r Result, o health.Observation, ch bool) {
		events[c] <- event{c, r, o, ch}
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var done sync.WaitGroup
	done.Go(func() {
		if err := w.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); done.Wait() })
	return w, events
}

// next waits for the next probe of cluster, failing the test after a generous bound
// (a hang guard, not a timing assertion).
func next(t *testing.T, events map[string]chan event, cluster string) event {
	t.Helper()
	select {
	case e := <-events[cluster]:
		return e
	case <-time.After(30 * time.Second):
		t.Fatalf("no probe of %s", cluster)
	}
	return event{}
}

func TestWatcherVerdictDownAfterThreshold(t *testing.T) {
	var failing atomic.Bool
	a := serve(t, esNode(reply(200, healthBody("green", 3, 3))))
	b := serve(t, esNode(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			reply(200, healthBody("red", 3, 3))(w, r)
			return
		}
		reply(200, healthBody("green", 3, 3))(w, r)
	}))
	target := func(name, url string) Target {
		return Target{Cluster: name, Checks: []Check{
			clusterCheck(t, []string{url}, DefaultClusterSpec),
			func(context.Context) Result { return Result{Kind: health.KindHealthy} },
		}, Interval: time.Hour, Timeout: 5 * time.Second, FailureThreshold: 2, SuccessThreshold: 1}
	}
	w, events := startWatcher(t, []Target{target("a", a.URL), target("b", b.URL)})

	// First round, synchronous inside Run: both up after one success.
	for _, c := range []string{"a", "b"} {
		if e := next(t, events, c); e.obs.Verdict != health.VerdictUp || !e.changed {
			t.Fatalf("%s first round: %+v", c, e)
		}
	}
	<-w.Changes()

	failing.Store(true)
	w.ProbeNow("b")
	if e := next(t, events, "b"); e.obs.Verdict != health.VerdictUp || e.r.Kind != health.KindRed || e.changed {
		t.Fatalf("first failure must not flip: %+v", e)
	}
	w.ProbeNow("b")
	e := next(t, events, "b")
	if e.obs.Verdict != health.VerdictDown || !e.changed || e.obs.ConsecutiveFailures != 2 {
		t.Fatalf("second failure: %+v", e)
	}
	<-w.Changes()
	snap := w.Snapshot()
	if snap["a"].Verdict != health.VerdictUp || snap["b"].Verdict != health.VerdictDown {
		t.Errorf("snapshot %+v", snap)
	}
	w.ProbeNow("nonexistent") // ignored, never blocks
}

func TestWatcherProbeNowCoalesces(t *testing.T) {
	var calls atomic.Int32
	check := func(context.Context) Result { calls.Add(1); return Result{Kind: health.KindHealthy} }
	w, err := New([]Target{{Cluster: "a", Checks: []Check{check}, Interval: time.Hour}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		w.ProbeNow("a") // before Run: one request stays pending, the rest coalesce
	}
	if s := w.Snapshot()["a"]; s.Verdict != health.VerdictUnknown || s.Cluster != "a" {
		t.Errorf("before Run: %+v", s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var done sync.WaitGroup
	done.Go(func() { _ = w.Run(ctx) })
	for calls.Load() < 2 {
		<-w.Changes()
	}
	cancel()
	done.Wait()
	if n := calls.Load(); n != 2 {
		t.Errorf("%d probes, want first round + one coalesced ProbeNow", n)
	}
	if err := w.Run(ctx); err != nil {
		t.Errorf("second Run after stop: %v", err)
	}
}

func TestWatcherTimeoutBoundsAllChecks(t *testing.T) {
	slow := func(ctx context.Context) Result {
		<-ctx.Done()
		return Result{Kind: health.KindTimeout, Detail: "slow"}
	}
	ok := func(context.Context) Result { return Result{Kind: health.KindHealthy, Detail: "ok"} }
	_, events := startWatcher(t, []Target{{Cluster: "a", Checks: []Check{ok, slow},
		Interval: time.Hour, Timeout: 50 * time.Millisecond, FailureThreshold: 1}})
	e := next(t, events, "a")
	if e.r.Kind != health.KindTimeout || e.obs.Verdict != health.VerdictDown || e.r.Detail != "ok; slow" {
		t.Errorf("got %+v", e)
	}
}

func TestNewValidates(t *testing.T) {
	ok := func(context.Context) Result { return Result{Kind: health.KindHealthy} }
	for _, tc := range []struct {
		name    string
		targets []Target
		want    string
	}{
		{"none", nil, "watch: no targets"},
		{"no name", []Target{{Checks: []Check{ok}}}, "watch: target with no cluster name"},
		{"twice", []Target{{Cluster: "a", Checks: []Check{ok}}, {Cluster: "a", Checks: []Check{ok}}}, `watch: cluster "a" listed twice`},
		{"no checks", []Target{{Cluster: "a"}}, `watch: cluster "a" has no checks`},
		{"negative", []Target{{Cluster: "a", Checks: []Check{ok}, Interval: -1}}, `watch: cluster "a": interval, timeout and thresholds must not be negative`},
	} {
		if _, err := New(tc.targets, Options{}); err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
