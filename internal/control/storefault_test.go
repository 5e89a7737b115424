package control

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/state"
)

// flakyJournal is the real bbolt store whose next writes to the plan journal fail, as
// on a full disk; everything else, the loop's own writes included, goes through.
type flakyJournal struct {
	*state.File
	mu       sync.Mutex
	failures int
}

func (f *flakyJournal) Put(ctx context.Context, bucket, key string, val []byte) error {
	f.mu.Lock()
	fail := bucket == "plans" && f.failures > 0
	if fail {
		f.failures--
	}
	f.mu.Unlock()
	if fail {
		return errors.New("flaky: write state.db: no space left on device")
	}
	return f.File.Put(ctx, bucket, key, val)
}

// heldTarget remembers the last switch it applied.
type heldTarget struct {
	mu sync.Mutex
	sw act.Switch
}

func (h *heldTarget) Name() string { return "held" }

func (h *heldTarget) Apply(_ context.Context, sw act.Switch) error {
	h.mu.Lock()
	h.sw = sw
	h.mu.Unlock()
	return nil
}

func (h *heldTarget) held() act.Switch {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sw
}

// TestLoopPlanSurvivesAStoreFailure runs the loop and the executor on one store, as esdr
// run does: the failover is stored, its plan cannot be journaled, and the executor's
// background retry starts it again and completes it.
func TestLoopPlanSurvivesAStoreFailure(t *testing.T) {
	f, err := state.OpenFile(filepath.Join(t.TempDir(), "state.db"), state.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st := &flakyJournal{File: f}
	tg := &heldTarget{}
	ex, err := act.New(st, act.Options{
		Clusters: map[string]act.Cluster{"primary": {NoFence: true}, "standby": {NoFence: true}},
		Targets:  []act.Target{tg}, RetryInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	obs := newObserver()
	obs.set("primary", health.VerdictUp, health.KindHealthy)
	obs.set("standby", health.VerdictUp, health.KindHealthy)
	l, err := New(st, obs, nil, ex, Options{Policy: testPolicy(), Tick: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{l.Run, ex.Run} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = run(ctx) }()
	}
	defer wg.Wait()
	defer cancel()
	waitFor(t, "the first decision", func() bool { return l.Current().Epoch == 1 })

	st.mu.Lock()
	st.failures = 1
	st.mu.Unlock()
	obs.set("primary", health.VerdictDown, health.KindUnreachable)
	waitFor(t, "the failover's plan done", func() bool {
		p := ex.Current()
		return p != nil && p.Epoch == 2 && p.Status == act.StatusDone
	})
	st.mu.Lock()
	left := st.failures
	st.mu.Unlock()
	if left != 0 {
		t.Fatal("the journal write never failed")
	}
	if sw := tg.held(); sw.To != "standby" || sw.Epoch != 2 {
		t.Errorf("target holds %+v, want standby for epoch 2", sw)
	}
	evs, err := l.Events(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range evs {
		found = found || strings.Contains(e.Message, "plan for epoch 2 interrupted by the state store 1 time(s)")
	}
	if !found {
		t.Errorf("no store-failure event in %+v", evs)
	}
}
