package daemon

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/epoch"
	"github.com/esdr/esdr/internal/mirror/snapshot"
)

const snapshotTestConfig = `clusters:
  - name: primary
    nodes: [http://127.0.0.1:1]
  - name: standby
    nodes: [http://127.0.0.1:2]
admin:
  listen: ""
metrics:
  enabled: false
snapshot_sync:
  repository:
    type: fs
    settings: {location: /srv/repo, compress: "true"}
  indices: ["logs-*", audit]
  interval: 1s
  keep: 2
  index_settings: {index.number_of_replicas: "0"}
`

func snapshotTestSetup(t *testing.T) (*snapshotSetup, *prometheus.Registry) {
	t.Helper()
	cfg, err := config.Parse([]byte(snapshotTestConfig), t.TempDir(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	s, err := openSnapshot(cfg, reg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return s, reg
}

// TestSnapshotOptions maps the snapshot_sync block onto the sync's options.
func TestSnapshotOptions(t *testing.T) {
	s, _ := snapshotTestSetup(t)
	got := snapshotOptions(s.cfg)
	want := snapshot.Options{
		Repository: snapshot.Repository{Name: "esdr-sync", Type: "fs", Settings: map[string]any{"location": "/srv/repo", "compress": "true"}},
		Indices:    []string{"logs-*", "audit"}, Interval: time.Second, Keep: 2, Prefix: "esdr-sync",
		SnapshotTimeout: 30 * time.Minute, RestoreTimeout: 30 * time.Minute, PollInterval: 2 * time.Second,
		IndexSettings: map[string]any{"index.number_of_replicas": "0"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("options = %+v\nwant %+v", got, want)
	}
}

// TestOpenSnapshot opens snapshot sync from a configuration: lint-clean metrics, and a
// status section printed by esdr status.
func TestOpenSnapshot(t *testing.T) {
	s, reg := snapshotTestSetup(t)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) > 0 {
		t.Errorf("metrics lint: %v %v", problems, err)
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 7 {
		t.Errorf("%d metrics registered (%v), want 7", n, err)
	}
	st := s.status()
	if st.From != "primary" || st.To != "standby" || st.Repository != "esdr-sync" || st.LastGood != nil || st.Cycles != 0 || st.Paused == "" {
		t.Errorf("status before any cycle: %+v", st)
	}
}

// epochs is a control loop's epoch as a test sets it.
type epochs struct {
	mu sync.Mutex
	ep epoch.Endpoint
	ch chan struct{}
}

func newEpochs(active string) *epochs {
	return &epochs{ep: epoch.Endpoint{Cluster: active, Epoch: 1}, ch: make(chan struct{})}
}

func (e *epochs) Endpoint(context.Context) (epoch.Endpoint, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ep, nil
}

func (e *epochs) EpochChanged() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ch
}

func (e *epochs) set(active string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ep = epoch.Endpoint{Cluster: active, Epoch: e.ep.Epoch + 1}
	close(e.ch)
	e.ch = make(chan struct{})
}

// waitFor polls cond until it holds; the test's deadline bounds it.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if dl, ok := t.Deadline(); ok && time.Until(dl) < 5*time.Second {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSnapshotRunFollowsTheActiveCluster runs cycles from the active cluster to the
// other (they fail: no cluster answers, the error names the target asked first), turns
// them round when the standby becomes active and back on a failback, and pauses while a
// cluster outside the pair is active.
func TestSnapshotRunFollowsTheActiveCluster(t *testing.T) {
	s, _ := snapshotTestSetup(t)
	e := newEpochs("primary")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.run(ctx, e) }()
	// towards waits for a cycle run since the last one seen, towards to.
	seen := uint64(0)
	towards := func(from, to string) {
		t.Helper()
		waitFor(t, "a cycle from "+from+" to "+to, func() bool {
			st := s.status()
			return st.Cycles > seen && st.From == from && st.To == to && strings.Contains(st.LastError, "snapshot: "+to+": ")
		})
		st := s.status()
		seen = st.Cycles
		if st.Paused != "" || st.Failures < 1 {
			t.Errorf("status after a failed cycle to %s: %+v", to, st)
		}
	}
	towards("primary", "standby")
	e.set("standby")
	towards("standby", "primary")
	e.set("primary")
	towards("primary", "standby")
	e.set("dr3")
	waitFor(t, "the sync paused", func() bool { return strings.Contains(s.status().Paused, "runs between primary and standby only") })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}
