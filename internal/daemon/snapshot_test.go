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
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 5 {
		t.Errorf("%d metrics registered (%v), want 5", n, err)
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

// TestSnapshotRunFollowsEpoch runs cycles while the primary is active (they fail: no
// cluster answers), and stops them for good once the standby becomes active.
func TestSnapshotRunFollowsEpoch(t *testing.T) {
	s, _ := snapshotTestSetup(t)
	e := newEpochs("primary")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.run(ctx, e) }()
	waitFor(t, "a cycle while the primary is active", func() bool { return s.status().Cycles >= 1 })
	st := s.status()
	if st.Paused != "" || st.LastError == "" || st.Failures < 1 {
		t.Errorf("status after a failed cycle: %+v", st)
	}
	e.set("standby")
	waitFor(t, "the sync stopped", func() bool { return s.status().Paused != "" })
	st = s.status()
	if !strings.Contains(st.Paused, "standby is active") || st.Running {
		t.Errorf("status after failover: %+v", st)
	}
	cycles := st.Cycles
	e.set("primary") // a failback does not resume it: a restart does
	time.Sleep(1500 * time.Millisecond)
	if st := s.status(); st.Cycles != cycles || st.Paused == "" {
		t.Errorf("a cycle ran after the standby was active: %+v", st)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}

// TestSnapshotRunNeverOnStandby never runs a cycle when esdr starts with the standby active.
func TestSnapshotRunNeverOnStandby(t *testing.T) {
	s, _ := snapshotTestSetup(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.run(ctx, newEpochs("standby")) }()
	waitFor(t, "the sync stopped", func() bool { return strings.Contains(s.status().Paused, "standby is active") })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	if st := s.status(); st.Cycles != 0 {
		t.Errorf("%d cycles ran with the standby active", st.Cycles)
	}
}
