package control

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/state"
)

// fullDisk is the real bbolt store refusing every decision while full is set, as the
// state file's disk does when it has no room left.
type fullDisk struct {
	*state.File
	full atomic.Bool
}

var errNoSpace = errors.New("write state.db: no space left on device")

func (f *fullDisk) CommitDecision(ctx context.Context, rev uint64, s decide.State, evs ...state.Event) (state.Record, []state.Event, error) {
	if f.full.Load() {
		return state.Record{}, nil, errNoSpace
	}
	return f.File.CommitDecision(ctx, rev, s, evs...)
}

func (f *fullDisk) Append(ctx context.Context, evs ...state.Event) ([]state.Event, error) {
	if f.full.Load() {
		return nil, errNoSpace
	}
	return f.File.Append(ctx, evs...)
}

// roundCounter counts rounds and failed rounds as the metrics do.
type roundCounter struct {
	mu             sync.Mutex
	rounds, failed int
}

func (r *roundCounter) SetState(decide.State, []string, time.Time) {}
func (r *roundCounter) RecordDecision(decide.Decision)             {}
func (r *roundCounter) RecordRound()                               { r.mu.Lock(); r.rounds++; r.mu.Unlock() }
func (r *roundCounter) RecordFailedRound()                         { r.mu.Lock(); r.failed++; r.mu.Unlock() }

func (r *roundCounter) counts() (rounds, failed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rounds, r.failed
}

// TestRoundsThatCannotStoreTheirDecisionAreCountedAsFailed: with the state's disk full
// the loop keeps deciding but cannot commit a failover; each such round is counted, so
// that an alert sees esdr unable to act, and the failover lands once the disk has room.
func TestRoundsThatCannotStoreTheirDecisionAreCountedAsFailed(t *testing.T) {
	f, err := state.OpenFile(filepath.Join(t.TempDir(), "state.db"), state.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st := &fullDisk{File: f}
	obs := newObserver()
	obs.set("primary", health.VerdictUp, health.KindHealthy)
	obs.set("standby", health.VerdictUp, health.KindHealthy)
	rc := &roundCounter{}
	l, err := New(st, obs, rc, nil, Options{Policy: testPolicy(), Tick: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = l.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "the first decision", func() bool { return l.Current().Epoch == 1 })
	if _, failed := rc.counts(); failed != 0 {
		t.Fatalf("%d failed rounds before the disk filled", failed)
	}

	st.full.Store(true)
	obs.set("primary", health.VerdictDown, health.KindUnreachable)
	waitFor(t, "three failed rounds", func() bool { _, failed := rc.counts(); return failed >= 3 })
	if s := l.Current(); s.Active != "primary" || s.Epoch != 1 {
		t.Fatalf("state moved to %+v while nothing could be stored", s)
	}

	st.full.Store(false)
	waitFor(t, "the failover once the disk has room", func() bool { return l.Current().Active == "standby" })
	_, failedBefore := rc.counts()
	rounds, _ := rc.counts()
	waitFor(t, "two more rounds", func() bool { r, _ := rc.counts(); return r >= rounds+2 })
	if _, failed := rc.counts(); failed != failedBefore {
		t.Errorf("failed rounds grew from %d to %d after the disk had room", failedBefore, failed)
	}
}
