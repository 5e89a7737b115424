package mirror

import (
	"context"
	"errors"
	"time"
)

// In a fleet every member's proxy takes writes and journals them on its own disk, and
// replays them on its own. The journal's order no longer orders a document's writes
// across members: versions do (versioned.go). What the drain does for one journal —
// hold writes to a cluster until it holds every write journaled for it — must then
// cover every member's journal: a member whose records for the new active cluster are
// still unapplied, or whose writes to the old one are still in flight (each becomes
// such a record), would otherwise have them land on top of newer writes. Each member
// reports what it owes each cluster (Report), and the gate waits for every other
// member's report (Peers) as well as for its own journal.

// Peers is what the gate needs of the other members of a fleet; nil on the embedded
// default, which has none.
type Peers interface {
	// Wait returns nil once every other member has reported, while following epoch or
	// a later one, that it owes cluster nothing; otherwise, when ctx ends, an error
	// naming the member still owing (or silent).
	Wait(ctx context.Context, cluster string, epoch uint64) error
}

// writeState follows one write through the proxy's attempts: the cluster its last
// attempt went to, so that a write in flight counts as owed to the other cluster.
type writeState struct {
	cluster string
}

// attempt notes that a write's attempt goes to cluster.
func (m *Mirror) attempt(ws *writeState, cluster string) {
	if ws == nil || ws.cluster == cluster {
		return
	}
	m.mu.Lock()
	if ws.cluster != "" {
		m.inflight[ws.cluster]--
	}
	m.inflight[cluster]++
	m.mu.Unlock()
	ws.cluster = cluster
}

// settled notes that a write is over: journaled (and so counted by Pending) or not.
func (m *Mirror) settled(ws *writeState) {
	if ws.cluster == "" {
		return
	}
	m.mu.Lock()
	m.inflight[ws.cluster]--
	m.mu.Unlock()
	ws.cluster = ""
}

// Owes is what this member owes cluster: the journaled writes it still lacks, and the
// writes in flight to the other cluster of the pair, each of which becomes a record
// for it when answered.
func (m *Mirror) Owes(cluster string) uint64 {
	n := m.Pending(cluster)
	other, ok := m.pair.Target(cluster)
	if !ok {
		return n
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return n + uint64(max(m.inflight[other], 0))
}

// Report is what this member owes each cluster of the pair.
func (m *Mirror) Report() map[string]uint64 {
	return map[string]uint64{m.pair.A: m.Owes(m.pair.A), m.pair.B: m.Owes(m.pair.B)}
}

// PeersError is a write held because another member of the fleet may still owe the
// cluster it would go to writes journaled before.
type PeersError struct {
	Cluster string
	Waited  time.Duration
	Err     error // from Peers.Wait: which member, and what it last reported
}

func (e *PeersError) Error() string {
	return "mirror mode: cluster " + e.Cluster + " may still lack writes another esdr of the fleet journaled (waited " +
		e.Waited.Round(time.Millisecond).String() + "): " + e.Err.Error() +
		"; writes go to it once that member has replayed them (or an operator gave them up: esdr mirror forget)"
}

func (e *PeersError) Unwrap() error { return e.Err }

// drainPeers waits, within what is left of the drain wait, for the other members.
func (m *Mirror) drainPeers(ctx context.Context, cluster string, epoch uint64, start time.Time) error {
	if m.opts.Peers == nil {
		return nil
	}
	wctx, cancel := context.WithDeadline(ctx, start.Add(m.opts.DrainWait))
	defer cancel()
	err := m.opts.Peers.Wait(wctx, cluster, epoch)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return ctx.Err() // the client went away
	}
	return &PeersError{Cluster: cluster, Waited: time.Since(start), Err: err}
}
