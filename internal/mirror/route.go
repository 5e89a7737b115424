package mirror

import (
	"context"
	"fmt"
)

// Pair is the two clusters mirror mode keeps in step. A record accepted by one of them is
// applied to the other: while the primary is active its writes go to the standby, and
// after a failover the writes the standby accepted go back to the old primary (the
// failback resync), each direction in journal order (PairReplicators).
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

// PairReplicators returns one Replicator per cluster of pair, each applying through
// to[cluster] the records the other cluster accepted, in journal order, from its own
// cursor (Journal.Track). Two streams, not one: a cluster that cannot take records — the
// one a switchover fenced, one that is down — holds back only the records meant for it,
// and the cluster taking writes is never kept waiting behind them.
//
// A record accepted by a cluster outside the pair (the configuration changed while the
// journal held unapplied records) is wanted by both and refused by both: replication
// stops there in each direction, and nothing is written past it unnoticed.
func PairReplicators(j *Journal, pair Pair, to map[string]Applier, opts ReplicatorOptions) (map[string]*Replicator, error) {
	if err := j.Track(pair.A, pair.B); err != nil {
		return nil, err
	}
	reps := map[string]*Replicator{}
	for _, target := range []string{pair.A, pair.B} {
		a := to[target]
		if a == nil {
			return nil, fmt.Errorf("mirror: no Applier for cluster %s", target)
		}
		o := opts
		o.Cursor = target
		o.Want = func(rec Record) bool {
			t, ok := pair.Target(rec.Cluster)
			return !ok || t == target
		}
		r, err := NewReplicator(j, pairApplier{pair: pair, target: target, a: a}, o)
		if err != nil {
			return nil, err
		}
		reps[target] = r
	}
	return reps, nil
}

// pairApplier applies records to target, refusing any not accepted by its pair partner.
type pairApplier struct {
	pair   Pair
	target string
	a      Applier
}

func (p pairApplier) Apply(ctx context.Context, recs []Record) error {
	for _, rec := range recs {
		if t, ok := p.pair.Target(rec.Cluster); !ok || t != p.target {
			return &RefusedError{Seq: rec.Seq, Reason: fmt.Sprintf(
				"the record was accepted by cluster %q, which is not one of the mirrored pair (%s, %s): "+
					"the configuration changed while the journal held unapplied records", rec.Cluster, p.pair.A, p.pair.B)}
		}
	}
	if err := p.a.Apply(ctx, recs); err != nil {
		return fmt.Errorf("mirror: applying to %s: %w", p.target, err)
	}
	return nil
}
