package mirror

import (
	"context"
	"errors"
	"fmt"
)

// Pair is the two clusters mirror mode keeps in step. A record accepted by one of them is
// applied to the other: while the primary is active its writes go to the standby, and
// after a failover the writes the standby accepted go back to the old primary (the
// failback resync), queued behind the older records in journal order.
type Pair struct {
	A, B string
}

// NewPair checks that a and b name two different clusters.
func NewPair(a, b string) (Pair, error) {
	if a == "" || b == "" || a == b {
		return Pair{}, fmt.Errorf("mirror: a pair needs two different clusters, got %q and %q", a, b)
	}
	return Pair{A: a, B: b}, nil
}

// Target is the cluster a record accepted by cluster must be applied to, and false when
// cluster is not one of the pair.
func (p Pair) Target(cluster string) (string, bool) {
	switch cluster {
	case p.A:
		return p.B, true
	case p.B:
		return p.A, true
	}
	return "", false
}

// RouteApplier applies each record to the cluster of the pair that did not accept it.
// Records stay in journal order: a run holding records for both clusters is applied as
// consecutive groups, one cluster at a time, and a failure of any group fails the run,
// which the Replicator retries whole. Applying a group twice is harmless: a replay is
// idempotent (see classifyStatus), and nothing after it was applied to that cluster.
type RouteApplier struct {
	pair Pair
	to   map[string]applier
}

// NewRouteApplier returns an applier sending records accepted by pair.A to b and those
// accepted by pair.B to a; a and b are normally *HTTPApplier.
func NewRouteApplier(pair Pair, a, b applier) (*RouteApplier, error) {
	if a == nil || b == nil {
		return nil, errors.New("mirror: route applier needs an applier for each cluster")
	}
	return &RouteApplier{pair: pair, to: map[string]applier{pair.A: a, pair.B: b}}, nil
}

// Apply applies recs, in order, each to its target cluster.
func (r *RouteApplier) Apply(ctx context.Context, recs []Record) error {
	for len(recs) > 0 {
		target, ok := r.pair.Target(recs[0].Cluster)
		if !ok {
			return &RefusedError{Seq: recs[0].Seq, Reason: fmt.Sprintf(
				"the record was accepted by cluster %q, which is not one of the mirrored pair (%s, %s): "+
					"the configuration changed while the journal held unapplied records", recs[0].Cluster, r.pair.A, r.pair.B)}
		}
		n := 1
		for n < len(recs) && recs[n].Cluster == recs[0].Cluster {
			n++
		}
		if err := r.to[target].Apply(ctx, recs[:n]); err != nil {
			return fmt.Errorf("mirror: applying to %s: %w", target, err)
		}
		recs = recs[n:]
	}
	return nil
}
