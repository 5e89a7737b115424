package decide

import (
	"fmt"
	"time"

	"github.com/esdr/esdr/internal/health"
)

// tally is how the fresh vantage points voted on one cluster.
type tally struct {
	cluster string
	// fresh is the number of fresh vantage points, voting or not.
	fresh int
	// up and down are the views that voted, in vantage order; seen is every view that
	// observed the cluster at all, voting or abstaining.
	up, down, seen []VantageView
	// blind are the views whose member cannot see the cluster (an abstention that says why).
	blind []VantageView
}

func tallyOf(points []VantageView, cluster string) tally {
	t := tally{cluster: cluster, fresh: len(points)}
	for _, v := range points {
		o, ok := v.Clusters[cluster]
		if !ok {
			continue
		}
		t.seen = append(t.seen, v)
		switch o.Verdict {
		case health.VerdictUp:
			t.up = append(t.up, v)
		case health.VerdictDown:
			t.down = append(t.down, v)
		case health.VerdictBlind:
			t.blind = append(t.blind, v)
		}
	}
	return t
}

// combined is the cluster's observation once size vantage points must agree.
func (t tally) combined(size int) health.Observation {
	switch {
	case len(t.up) >= size:
		return t.agreed(health.VerdictUp, t.up)
	case len(t.down) >= size:
		return t.agreed(health.VerdictDown, t.down)
	case len(t.blind) >= size:
		// Neither way, but a quorum says why: esdr's own access is broken, not the cluster.
		return t.agreed(health.VerdictBlind, t.blind)
	}
	return t.undecided(size)
}

// agreed copies the freshest agreeing observation, with the latest Since among them.
func (t tally) agreed(v health.Verdict, agree []VantageView) health.Observation {
	o := latest(agree, t.cluster)
	o.Cluster, o.Verdict, o.Since = t.cluster, v, latestSince(agree, t.cluster)
	o.Detail = fmt.Sprintf("%d/%d vantage points: %s", len(agree), t.fresh, describeDetail(o))
	return o
}

// undecided is an Unknown observation that says how the votes fell. It keeps the most
// recent result anyone took, but no consecutive counts: no one run of results stands for it.
func (t tally) undecided(size int) health.Observation {
	o := health.Observation{Cluster: t.cluster, Verdict: health.VerdictUnknown}
	if len(t.seen) > 0 {
		last := latest(t.seen, t.cluster)
		o.Last, o.At, o.LatencySeconds = last.Last, last.At, last.LatencySeconds
		o.Since = latestSince(t.seen, t.cluster)
	}
	o.Detail = fmt.Sprintf("no quorum: %d up, %d down, %d without a verdict of %d fresh vantage points; %d must agree",
		len(t.up), len(t.down), t.fresh-len(t.up)-len(t.down), t.fresh, size)
	return o
}

// latest is the observation of cluster with the latest At among views (the first on a tie,
// views being in vantage order).
func latest(views []VantageView, cluster string) health.Observation {
	o := views[0].Clusters[cluster]
	for _, v := range views[1:] {
		if c := v.Clusters[cluster]; c.At.After(o.At) {
			o = c
		}
	}
	return o
}

func latestSince(views []VantageView, cluster string) time.Time {
	var s time.Time
	for _, v := range views {
		if c := v.Clusters[cluster].Since; c.After(s) {
			s = c
		}
	}
	return s
}

// describeDetail is the Detail of o, or its kind or verdict when it has none.
func describeDetail(o health.Observation) string {
	switch {
	case o.Detail != "":
		return o.Detail
	case o.Last != "":
		return string(o.Last)
	}
	return string(o.Verdict)
}
