// Package metrics is esdr's Prometheus vocabulary: one method per thing that happened
// (a probe ran, a verdict was set, the state changed, a decision was taken), so that the
// control loop and the watch step report facts and never handle collectors themselves.
//
// There are no package globals: New registers on the registerer it is given, so tests
// and a second instance in one process each get their own.
package metrics

import (
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
)

// probeBuckets span 1ms to 10s: a local cluster answers in a few milliseconds, a probe
// deadline is seconds, and a failover story is told by the tail between them.
var probeBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// verdicts is the closed set exported by esdr_cluster_health, one series per verdict so
// that exactly one is 1 at a time (a state-set) and alerts need no string matching.
var verdicts = []health.Verdict{health.VerdictUnknown, health.VerdictUp, health.VerdictDown, health.VerdictBlind}

// transitionKinds are pre-set to zero so rate() and increase() work before the first one.
var transitionKinds = []decide.Action{decide.ActFailover, decide.ActSwitchover, decide.ActFailback}

// Metrics holds esdr's collectors. Its methods are safe for concurrent use.
type Metrics struct {
	probeDuration  *prometheus.HistogramVec
	probeResults   *prometheus.CounterVec
	nodeDuration   *prometheus.HistogramVec
	nodeFailures   *prometheus.CounterVec
	masterChanges  *prometheus.CounterVec
	clusterHealth  *prometheus.GaugeVec
	consecFailures *prometheus.GaugeVec
	stalled        *prometheus.GaugeVec
	activeCluster  *prometheus.GaugeVec
	epoch          prometheus.Gauge
	paused         prometheus.Gauge
	holdDown       prometheus.Gauge
	lastTransition prometheus.Gauge
	decisions      *prometheus.CounterVec
	rounds         prometheus.Counter
	roundsFailed   prometheus.Counter
	failovers      *prometheus.CounterVec
	transitions    *prometheus.CounterVec

	mu      sync.Mutex
	known   map[string]bool   // clusters with an esdr_active_cluster series
	masters map[string]string // each cluster's last known elected master
}

// New creates esdr's collectors and registers them on reg. Registering twice on the same
// registerer is a programming error and panics, as prometheus.MustRegister does.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		probeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "esdr_probe_duration_seconds", Help: "Duration of one health probe of a cluster.",
			Buckets: probeBuckets,
		}, []string{"cluster"}),
		probeResults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esdr_probe_results_total", Help: "Health probes of a cluster, by result kind.",
		}, []string{"cluster", "result"}),
		nodeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "esdr_node_probe_duration_seconds", Help: "Round trip from esdr to one node: its own view (_cat/master?local) in a cluster probe, when it answered.",
			Buckets: probeBuckets,
		}, []string{"cluster", "node"}),
		nodeFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esdr_node_probe_failures_total", Help: "Cluster probes in which one node did not give its own view (refused, timed out, garbage).",
		}, []string{"cluster", "node"}),
		masterChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esdr_cluster_master_changes_total", Help: "Changes of a cluster's elected master, as its nodes report it, since esdr started.",
		}, []string{"cluster"}),
		clusterHealth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "esdr_cluster_health", Help: "Thresholded verdict of a cluster: 1 for the current verdict, 0 for the others.",
		}, []string{"cluster", "verdict"}),
		consecFailures: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "esdr_cluster_consecutive_failures", Help: "Length of the current run of failed probes of a cluster.",
		}, []string{"cluster"}),
		stalled: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "esdr_cluster_stalled_seconds", Help: "How long a cluster's control plane has been stalled while it serves (a hung or re-electing master); 0 when it answers.",
		}, []string{"cluster"}),
		activeCluster: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "esdr_active_cluster", Help: "1 for the cluster that takes traffic in the current epoch, 0 for the others.",
		}, []string{"cluster"}),
		epoch: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "esdr_epoch", Help: "Current fencing epoch; increases by one on every change of the active cluster.",
		}),
		paused: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "esdr_paused", Help: "1 while esdr is paused (observing only), 0 otherwise.",
		}),
		holdDown: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "esdr_hold_down_active", Help: "1 while automatic transitions are suppressed by the hold-down, 0 otherwise.",
		}),
		lastTransition: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "esdr_last_transition_timestamp_seconds", Help: "Unix time of the last change of the active cluster; 0 if none.",
		}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esdr_decisions_total", Help: "Decisions taken by the control loop, by action and catalogue code.",
		}, []string{"action", "code"}),
		rounds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "esdr_decision_rounds_total", Help: "Rounds of the control loop (read, decide, store, act), whatever they decided; tests and operators see that esdr is deciding.",
		}),
		roundsFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "esdr_decision_rounds_failed_total", Help: "Rounds of the control loop that could not store their decision (the state file's disk or etcd failed): while they fail, no failover can be committed.",
		}),
		failovers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esdr_failovers_total", Help: "Automatic failovers, by the catalogue code that caused them.",
		}, []string{"reason"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esdr_transitions_total", Help: "Changes of the active cluster, by kind (failover, switchover, failback).",
		}, []string{"kind"}),
		known: map[string]bool{}, masters: map[string]string{},
	}
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "esdr_build_info", Help: "Always 1; labels carry the esdr version and the Go version it was built with.",
	}, []string{"version", "goversion"})
	buildInfo.WithLabelValues(version(), runtime.Version()).Set(1)
	for _, k := range transitionKinds {
		m.transitions.WithLabelValues(string(k))
	}
	reg.MustRegister(m.probeDuration, m.probeResults, m.nodeDuration, m.nodeFailures, m.masterChanges, m.clusterHealth, m.consecFailures, m.stalled,
		m.activeCluster, m.epoch, m.paused, m.holdDown, m.lastTransition,
		m.decisions, m.rounds, m.roundsFailed, m.failovers, m.transitions, buildInfo)
	return m
}

// ObserveProbe records one probe of cluster: how long it took and what kind of result it was.
func (m *Metrics) ObserveProbe(cluster string, kind health.Kind, latency time.Duration) {
	m.probeDuration.WithLabelValues(cluster).Observe(latency.Seconds())
	m.probeResults.WithLabelValues(cluster, string(kind)).Inc()
}

// ObserveNode records one node's part of a probe of cluster. node is the host:port of a
// configured URL, so the series are bounded by the configuration. The round trip of a
// node that failed is counted, not timed: a timeout would only show the deadline.
func (m *Metrics) ObserveNode(cluster, node string, answered bool, latency time.Duration) {
	if answered {
		m.nodeDuration.WithLabelValues(cluster, node).Observe(latency.Seconds())
		return
	}
	m.nodeFailures.WithLabelValues(cluster, node).Inc()
}

// ObserveMaster records the elected master a probe of cluster found ("" for none known,
// which is not a change): a different master than the last known one is one change.
func (m *Metrics) ObserveMaster(cluster, master string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	last, seen := m.masters[cluster]
	if !seen {
		m.masterChanges.WithLabelValues(cluster) // 0 from the first probe: increase() works
	}
	if master == "" || master == last {
		return
	}
	m.masters[cluster] = master
	if last != "" {
		m.masterChanges.WithLabelValues(cluster).Inc()
	}
}

// SetObservation publishes a cluster's thresholded verdict and its current failure run.
func (m *Metrics) SetObservation(o health.Observation) {
	for _, v := range verdicts {
		m.clusterHealth.WithLabelValues(o.Cluster, string(v)).Set(boolFloat(o.Verdict == v))
	}
	m.consecFailures.WithLabelValues(o.Cluster).Set(float64(o.ConsecutiveFailures))
	stalled := 0.0
	if o.Stalled() {
		stalled = o.At.Sub(o.StalledSince).Seconds()
	}
	m.stalled.WithLabelValues(o.Cluster).Set(stalled)
}

// SetState publishes the stored state. clusters are the configured ones; the active
// cluster is shown even when it is no longer configured (active-removed), and clusters
// that left the configuration lose their series instead of reporting a stale 0.
func (m *Metrics) SetState(s decide.State, clusters []string, now time.Time) {
	current := make(map[string]bool, len(clusters)+1)
	for _, c := range clusters {
		current[c] = true
	}
	if s.Active != "" {
		current[s.Active] = true
	}
	m.mu.Lock()
	for c := range current {
		m.activeCluster.WithLabelValues(c).Set(boolFloat(c == s.Active))
	}
	for c := range m.known {
		if !current[c] {
			m.activeCluster.DeleteLabelValues(c)
		}
	}
	m.known = current
	m.mu.Unlock()

	m.epoch.Set(float64(s.Epoch))
	m.paused.Set(boolFloat(s.Paused))
	m.holdDown.Set(boolFloat(s.InHoldDown(now)))
	if s.LastTransition != nil && !s.LastTransition.At.IsZero() {
		m.lastTransition.Set(float64(s.LastTransition.At.UnixNano()) / 1e9)
	} else {
		m.lastTransition.Set(0)
	}
}

// RecordDecision counts a decision. Only ActFailover counts in esdr_failovers_total:
// operators alert on automatic failovers, and a planned switchover or failback must not
// page anyone. Every change of the active cluster counts in esdr_transitions_total.
func (m *Metrics) RecordDecision(d decide.Decision) {
	m.decisions.WithLabelValues(string(d.Action), string(d.Code)).Inc()
	if d.Transitions() {
		m.transitions.WithLabelValues(string(d.Action)).Inc()
	}
	if d.Action == decide.ActFailover {
		m.failovers.WithLabelValues(string(d.Code)).Inc()
	}
}

// RecordRound counts one round of the control loop, notable or not, failed or not: a
// round that ran after an event is the evidence that esdr saw it and decided.
func (m *Metrics) RecordRound() { m.rounds.Inc() }

// RecordFailedRound counts a round whose decision could not be stored.
func (m *Metrics) RecordFailedRound() { m.roundsFailed.Inc() }

// version is the module version the binary was built as, "devel" for a local build.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
