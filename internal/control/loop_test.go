package control

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/state"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeObserver stands in for the watch step: the loop only reads snapshots from it.
type fakeObserver struct {
	mu  sync.Mutex
	obs map[string]health.Observation
	ch  chan struct{}
}

func newObserver() *fakeObserver {
	return &fakeObserver{obs: map[string]health.Observation{}, ch: make(chan struct{}, 1)}
}

func (f *fakeObserver) set(name string, v health.Verdict, k health.Kind) {
	f.mu.Lock()
	f.obs[name] = health.Observation{Cluster: name, Verdict: v, Last: k, Since: time.Now(), ConsecutiveFailures: 3}
	f.mu.Unlock()
	select {
	case f.ch <- struct{}{}:
	default:
	}
}

func (f *fakeObserver) Snapshot() map[string]health.Observation {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]health.Observation, len(f.obs))
	for k, v := range f.obs {
		out[k] = v
	}
	return out
}

func (f *fakeObserver) Changes() <-chan struct{} { return f.ch }

type recordingActor struct {
	mu        sync.Mutex
	decisions []decide.Decision
}

func (a *recordingActor) Act(_ context.Context, _ decide.State, d decide.Decision) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.decisions = append(a.decisions, d)
	return nil
}

func (a *recordingActor) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.decisions)
}

func testPolicy() decide.Policy {
	return decide.Policy{Clusters: []string{"primary", "standby"}, AutoFailover: true,
		HoldDown: time.Hour, Failback: decide.FailbackManual, FailbackAfter: time.Minute}
}

// start runs a loop on the store file at path until the returned stop is called.
func start(t *testing.T, path string, obs *fakeObserver, actor Actor) (*Loop, func()) {
	t.Helper()
	st, err := state.OpenFile(path, state.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := New(st, obs, nil, actor, Options{Policy: testPolicy(), Tick: 20 * time.Millisecond,
		Nodes: map[string][]string{"primary": {"http://p:1"}, "standby": {"http://s:1"}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	return l, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		st.Close()
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitRounds waits until the loop has finished n more rounds than when it was called. A
// round in flight at the call may have read the world before the caller changed it, so
// n ≥ 2 guarantees at least one whole round that saw the change.
func waitRounds(t *testing.T, l *Loop, n uint64) {
	t.Helper()
	from := l.Rounds()
	waitFor(t, fmt.Sprintf("%d more rounds after round %d", n, from), func() bool { return l.Rounds() >= from+n })
}

func TestLoopFailsOverStoresAndActsOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	obs := newObserver()
	obs.set("primary", health.VerdictUp, health.KindHealthy)
	obs.set("standby", health.VerdictUp, health.KindHealthy)
	actor := &recordingActor{}
	l, stop := start(t, path, obs, actor)
	ctx := context.Background()
	waitFor(t, "the first decision", func() bool { return l.Current().Epoch == 1 })
	if s := l.Current(); s.Active != "primary" {
		t.Fatalf("first decision: %s active, want primary", s.Active)
	}
	obs.set("primary", health.VerdictDown, health.KindUnreachable)
	waitFor(t, "failover", func() bool { s := l.Current(); return s.Active == "standby" && s.Epoch == 2 })
	waitRounds(t, l, 5) // several more rounds: must not act again
	if n := actor.count(); n != 1 {
		t.Fatalf("actor called %d times, want 1", n)
	}
	evs, err := l.Events(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var failovers int
	for _, e := range evs {
		if e.Kind == state.EventDecided && e.Code == decide.CodeActiveDown {
			failovers++
			if e.From != "primary" || e.To != "standby" || e.Epoch != 2 {
				t.Fatalf("failover event = %+v", e)
			}
		}
	}
	if failovers != 1 {
		t.Fatalf("%d failover events in %+v", failovers, evs)
	}
	stop()

	// A restart on the same file keeps the standby at epoch 2 and does not act.
	obs.set("primary", health.VerdictUp, health.KindHealthy)
	actor2 := &recordingActor{}
	l2, stop2 := start(t, path, obs, actor2)
	defer stop2()
	st, err := l2.Status(ctx)
	if err != nil || st.State.Active != "standby" || st.State.Epoch != 2 {
		t.Fatalf("after restart: %+v, %v", st.State, err)
	}
	waitFor(t, "failback-ready", func() bool {
		s, _ := l2.Status(ctx)
		return s.LastDecision.Code == decide.CodeFailbackReady
	})
	if actor2.count() != 0 {
		t.Fatal("restart acted")
	}
}

func TestLoopCommands(t *testing.T) {
	obs := newObserver()
	obs.set("primary", health.VerdictUp, health.KindHealthy)
	obs.set("standby", health.VerdictDown, health.KindTimeout)
	l, stop := start(t, filepath.Join(t.TempDir(), "s.db"), obs, nil)
	defer stop()
	ctx := context.Background()
	d, err := l.Command(ctx, decide.Command{Kind: decide.CmdSwitchover, To: "standby"})
	if err != nil || d.Action != decide.ActRefuse || d.Code != decide.CodeSwitchoverRefused {
		t.Fatalf("switchover to a down standby: %+v, %v", d, err)
	}
	d, err = l.Command(ctx, decide.Command{Kind: decide.CmdPause})
	if err != nil || !l.Current().Paused {
		t.Fatalf("pause: %+v, %v", d, err)
	}
	obs.set("primary", health.VerdictDown, health.KindUnreachable)
	obs.set("standby", health.VerdictUp, health.KindHealthy)
	waitRounds(t, l, 3)
	if l.Current().Active != "primary" {
		t.Fatal("acted while paused")
	}
	if _, err := l.Command(ctx, decide.Command{Kind: decide.CmdResume}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "failover after resume", func() bool { return l.Current().Active == "standby" })
}

func TestLoopSurvivesConcurrentWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	obs := newObserver()
	obs.set("primary", health.VerdictUp, health.KindHealthy)
	obs.set("standby", health.VerdictUp, health.KindHealthy)
	l, stop := start(t, path, obs, nil)
	defer stop()
	if _, err := l.Status(context.Background()); err != nil { // the first round is stored
		t.Fatal(err)
	}
	// Another writer bumps the revision behind the loop's back (as a second esdr would).
	st := l.store.(*state.File)
	rec, err := st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CompareAndSwap(context.Background(), rec.Revision, rec.State); err != nil {
		t.Fatal(err)
	}
	obs.set("primary", health.VerdictDown, health.KindUnreachable)
	waitFor(t, "failover despite the conflict", func() bool { return l.Current().Active == "standby" })
}
