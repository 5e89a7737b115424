package daemon

import (
	"context"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/epoch"
)

type fixedEpoch struct{}

func (fixedEpoch) Endpoint(context.Context) (epoch.Endpoint, error) {
	return epoch.Endpoint{Cluster: "primary", Epoch: 1}, nil
}
func (fixedEpoch) EpochChanged() <-chan struct{} { return make(chan struct{}) }

// TestOpenMirror opens mirror mode from a configuration: the journal relative to the
// file, lint-clean metrics, and a status section printed by esdr status.
func TestOpenMirror(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Parse([]byte(`clusters:
  - name: primary
    nodes: [http://127.0.0.1:1]
  - name: standby
    nodes: [http://127.0.0.1:2]
admin:
  listen: ""
metrics:
  enabled: false
proxy:
  listen: 127.0.0.1:0
mirror:
  enabled: true
  journal_dir: j
  max_lag_on_failover: 50
`), dir, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if p := cfg.Policy(); p.MaxLagOnFailover != 50 {
		t.Errorf("policy MaxLagOnFailover = %d, want 50", p.MaxLagOnFailover)
	}
	reg := prometheus.NewRegistry()
	s, err := openMirror(cfg, fixedEpoch{}, nil, reg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.cfg.JournalDir != dir+"/j" {
		t.Errorf("journal dir %s, want it beside the configuration", s.cfg.JournalDir)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) > 0 {
		t.Errorf("metrics lint: %v %v", problems, err)
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 13 {
		t.Errorf("%d metrics, want 13 (%v)", n, err)
	}
	if n, err := testutil.GatherAndCount(reg, "esdr_mirror_journal_fsync_seconds"); err != nil || n != 1 {
		t.Errorf("%d journal fsync histograms, want 1 (%v)", n, err)
	}
	st := s.status()
	if st.LagOps != 0 || st.Pending["primary"] != 0 || st.Pending["standby"] != 0 || st.JournalMaxBytes != 1<<30 {
		t.Errorf("status of an empty journal: %+v", st)
	}
	if _, err := openMirror(cfg, fixedEpoch{}, nil, prometheus.NewRegistry(), slog.New(slog.DiscardHandler)); err == nil {
		t.Error("a second esdr opened the same journal")
	}
}
