package watch

import (
	"time"

	"github.com/esdr/esdr/internal/health"
)

// Tracker turns a stream of results for one cluster into a thresholded verdict, with the
// semantics of a Route 53 health check: the verdict starts unknown, becomes up after
// successThreshold consecutive passing results and down after failureThreshold
// consecutive failing ones, and the same thresholds apply on the way back. One bad probe
// never moves traffic; one good probe never brings it back. A Tracker is not safe for
// concurrent use; the Watcher owns one per cluster.
type Tracker struct {
	failureThreshold, successThreshold int
	blind                              int // consecutive blind results
	obs                                health.Observation
}

// NewTracker returns a tracker in the unknown verdict. Thresholds below 1 count as 1.
func NewTracker(cluster string, failureThreshold, successThreshold int) *Tracker {
	return &Tracker{
		failureThreshold: max(failureThreshold, 1),
		successThreshold: max(successThreshold, 1),
		obs:              health.Observation{Cluster: cluster, Verdict: health.VerdictUnknown},
	}
}

// Record adds one result taken at time at and returns the new observation, and whether
// its verdict changed (Since is then at). Degraded counts as passing, and so does stalled
// for a cluster that is up (health.Kind.Passing); a stall never brings a cluster up. A blind result counts neither way: it ends both runs and, after
// failureThreshold of them in a row, turns the verdict blind, because esdr that cannot
// see a cluster knows nothing about its health.
func (t *Tracker) Record(r Result, at time.Time) (health.Observation, bool) {
	o := &t.obs
	if o.At.IsZero() && o.Since.IsZero() {
		o.Since = at // unknown since the first result
	}
	o.Last, o.Detail, o.At = r.Kind, r.Detail, at
	o.LatencySeconds = r.Latency.Seconds()
	if r.StallGrace > 0 {
		o.StallGrace = r.StallGrace
	}
	switch {
	case r.Kind == health.KindStalled:
		if o.StalledSince.IsZero() {
			o.StalledSince = at
		}
	case r.Kind.Passing():
		o.StalledSince = time.Time{} // the control plane answered
	}
	switch {
	case r.Kind.Blind():
		t.blind++
		o.ConsecutiveFailures, o.ConsecutiveSuccesses = 0, 0
	case r.Kind == health.KindStalled && o.Verdict != health.VerdictUp:
		// A stall keeps an up cluster up, but never brings one up: a cluster restarting
		// or electing its first master has not shown that it serves.
		t.blind = 0
		o.ConsecutiveFailures, o.ConsecutiveSuccesses = 0, 0
	case r.Kind.Passing():
		t.blind = 0
		o.ConsecutiveSuccesses++
		o.ConsecutiveFailures = 0
	default:
		t.blind = 0
		o.ConsecutiveFailures++
		o.ConsecutiveSuccesses = 0
	}
	next := o.Verdict
	switch {
	case o.Verdict != health.VerdictBlind && t.blind >= t.failureThreshold:
		next = health.VerdictBlind
	case o.Verdict != health.VerdictUp && o.ConsecutiveSuccesses >= t.successThreshold:
		next = health.VerdictUp
	case o.Verdict != health.VerdictDown && o.ConsecutiveFailures >= t.failureThreshold:
		next = health.VerdictDown
	}
	changed := next != o.Verdict
	if changed {
		o.Verdict, o.Since = next, at
	}
	return *o, changed
}

// Observation returns the current observation without recording anything.
func (t *Tracker) Observation() health.Observation { return t.obs }
