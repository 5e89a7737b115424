package metrics

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// exercise calls every method once so that every vector has at least one series to lint.
func exercise(m *Metrics) {
	m.ObserveProbe("east", health.KindHealthy, 3*time.Millisecond)
	m.ObserveProbe("east", health.KindTimeout, 2*time.Second)
	m.ObserveNode("east", "10.0.0.1:9200", true, 4*time.Millisecond)
	m.ObserveNode("east", "10.0.0.2:9200", false, 2*time.Second)
	m.ObserveMaster("east", "n1")
	m.ObserveMaster("east", "n2")
	m.SetObservation(health.Observation{Cluster: "east", Verdict: health.VerdictDown, ConsecutiveFailures: 3})
	m.SetState(decide.State{
		Active: "west", Epoch: 4, Paused: true, HoldDownUntil: t0.Add(time.Minute),
		LastTransition: &decide.Transition{Kind: decide.ActFailover, At: t0},
	}, []string{"east", "west"}, t0)
	m.RecordDecision(decide.Decision{Action: decide.ActFailover, Code: decide.CodeActiveDown, From: "east", To: "west"})
	m.RecordRound()
	m.RecordRound()
	m.RecordFailedRound()
}

func TestLint(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	exercise(New(reg))
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	n, err := testutil.GatherAndCount(reg)
	if err != nil || n == 0 {
		t.Fatalf("gathered %d series, err %v", n, err)
	}
}

func TestValues(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := New(reg)
	exercise(m)
	want := `
# HELP esdr_cluster_health Thresholded verdict of a cluster: 1 for the current verdict, 0 for the others.
# TYPE esdr_cluster_health gauge
esdr_cluster_health{cluster="east",verdict="blind"} 0
esdr_cluster_health{cluster="east",verdict="down"} 1
esdr_cluster_health{cluster="east",verdict="unknown"} 0
esdr_cluster_health{cluster="east",verdict="up"} 0
# HELP esdr_cluster_consecutive_failures Length of the current run of failed probes of a cluster.
# TYPE esdr_cluster_consecutive_failures gauge
esdr_cluster_consecutive_failures{cluster="east"} 3
# HELP esdr_active_cluster 1 for the cluster that takes traffic in the current epoch, 0 for the others.
# TYPE esdr_active_cluster gauge
esdr_active_cluster{cluster="east"} 0
esdr_active_cluster{cluster="west"} 1
# HELP esdr_epoch Current fencing epoch; increases by one on every change of the active cluster.
# TYPE esdr_epoch gauge
esdr_epoch 4
# HELP esdr_paused 1 while esdr is paused (observing only), 0 otherwise.
# TYPE esdr_paused gauge
esdr_paused 1
# HELP esdr_hold_down_active 1 while automatic transitions are suppressed by the hold-down, 0 otherwise.
# TYPE esdr_hold_down_active gauge
esdr_hold_down_active 1
# HELP esdr_probe_results_total Health probes of a cluster, by result kind.
# TYPE esdr_probe_results_total counter
esdr_probe_results_total{cluster="east",result="healthy"} 1
esdr_probe_results_total{cluster="east",result="timeout"} 1
# HELP esdr_decision_rounds_total Rounds of the control loop (read, decide, store, act), whatever they decided; tests and operators see that esdr is deciding.
# TYPE esdr_decision_rounds_total counter
esdr_decision_rounds_total 2
# HELP esdr_build_info Always 1; labels carry the esdr version and the Go version it was built with.
# TYPE esdr_build_info gauge
esdr_build_info{goversion="` + runtime.Version() + `",version="devel"} 1
`
	names := []string{"esdr_cluster_health", "esdr_cluster_consecutive_failures", "esdr_active_cluster",
		"esdr_epoch", "esdr_paused", "esdr_hold_down_active", "esdr_probe_results_total", "esdr_decision_rounds_total", "esdr_build_info"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	if got := testutil.ToFloat64(m.lastTransition); got != float64(t0.Unix()) {
		t.Errorf("last transition = %v, want %v", got, t0.Unix())
	}
	if got := testutil.CollectAndCount(m.probeDuration); got != 1 {
		t.Errorf("probe duration series = %d, want 1", got)
	}

	// A recovery clears the state-set, and a cluster leaving the configuration loses its series.
	m.SetObservation(health.Observation{Cluster: "east", Verdict: health.VerdictUp})
	m.SetState(decide.State{Active: "west", Epoch: 4}, []string{"west"}, t0.Add(2*time.Minute))
	checks := map[prometheus.Collector]float64{
		m.clusterHealth.WithLabelValues("east", "up"):   1,
		m.clusterHealth.WithLabelValues("east", "down"): 0,
		m.consecFailures.WithLabelValues("east"):        0,
		m.paused:                                        0,
		m.holdDown:                                      0,
		m.lastTransition:                                0,
	}
	for c, want := range checks {
		if got := testutil.ToFloat64(c); got != want {
			t.Errorf("%s = %v, want %v", c.(prometheus.Metric).Desc(), got, want)
		}
	}
	if got := testutil.CollectAndCount(m.activeCluster); got != 1 {
		t.Errorf("active cluster series = %d, want 1 (east removed)", got)
	}
}

func TestFailoversCountAutomaticOnly(t *testing.T) {
	m := New(prometheus.NewRegistry())
	for _, d := range []decide.Decision{
		{Action: decide.ActFailover, Code: decide.CodeActiveDown},
		{Action: decide.ActSwitchover, Code: decide.CodeSwitchover},
		{Action: decide.ActSwitchover, Code: decide.CodeSwitchoverForced},
		{Action: decide.ActFailback, Code: decide.CodeFailback},
		{Action: decide.ActRefuse, Code: decide.CodeSwitchoverRefused},
		{Action: decide.ActNone, Code: decide.CodeActiveHealthy},
	} {
		m.RecordDecision(d)
	}
	checks := []struct {
		c    prometheus.Collector
		want float64
	}{
		{m.failovers, 1},
		{m.failovers.WithLabelValues(string(decide.CodeActiveDown)), 1},
		{m.transitions.WithLabelValues("failover"), 1},
		{m.transitions.WithLabelValues("switchover"), 2},
		{m.transitions.WithLabelValues("failback"), 1},
		{m.decisions.WithLabelValues("refuse", "switchover-refused"), 1},
		{m.decisions.WithLabelValues("none", "active-healthy"), 1},
	}
	for i, c := range checks {
		if got := testutil.ToFloat64(c.c); got != c.want {
			t.Errorf("check %d = %v, want %v", i, got, c.want)
		}
	}
}

// TestObserveNode: a node that answered is timed, one that did not is counted, never
// timed (its deadline is not a latency).
func TestObserveNode(t *testing.T) {
	m := New(prometheus.NewRegistry())
	m.ObserveNode("east", "a:9200", true, 3*time.Millisecond)
	m.ObserveNode("east", "a:9200", true, 5*time.Millisecond)
	m.ObserveNode("east", "b:9200", false, 2*time.Second)
	if got := testutil.CollectAndCount(m.nodeDuration); got != 1 {
		t.Errorf("node duration series = %d, want 1 (b never answered)", got)
	}
	if got := testutil.ToFloat64(m.nodeFailures.WithLabelValues("east", "b:9200")); got != 1 {
		t.Errorf("failures of b = %v, want 1", got)
	}
	if got := testutil.CollectAndCount(m.nodeFailures); got != 1 {
		t.Errorf("node failure series = %d, want 1 (a never failed)", got)
	}
}

// TestObserveMaster: a change is a different known master; a probe that knows none is
// not one, and the first master seen is not one either.
func TestObserveMaster(t *testing.T) {
	m := New(prometheus.NewRegistry())
	m.ObserveMaster("east", "")
	if got := testutil.ToFloat64(m.masterChanges.WithLabelValues("east")); got != 0 {
		t.Errorf("before any master: %v changes", got)
	}
	for _, id := range []string{"n1", "n1", "", "n1", "n2", "", "n2", "n1"} {
		m.ObserveMaster("east", id)
	}
	if got := testutil.ToFloat64(m.masterChanges.WithLabelValues("east")); got != 2 {
		t.Errorf("n1 → n2 → n1: %v changes, want 2", got)
	}
}
