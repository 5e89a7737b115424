package daemon

import (
	"context"
	"log/slog"
	"maps"
	"time"

	"github.com/esdr/esdr/internal/fleet"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/mirror"
	"github.com/esdr/esdr/internal/state"
)

// Mirror mode in a fleet (docs/mirror.md, "In a fleet"): every member journals what its
// own proxy took and replays it itself, with versions ordering a document's writes
// across members. What ties the journals together is in etcd: each member reports what
// its journal owes each cluster (mirrorReport), every member's gate holds a write until
// no other member owes its cluster anything at the current epoch (fleet.MirrorPeers, the
// mirror's Peers), and the leader counts what all journals owe against the failover
// bound, naming the members (owedViews).

const (
	// reportTick is how often a member looks whether what it owes changed: a failover
	// waits on the other members' reports, so they follow closely.
	reportTick = 250 * time.Millisecond
	// reportRefresh puts the report even when nothing changed, so that its age shows the
	// member alive.
	reportRefresh = 5 * time.Second
)

// recorder is the epoch this process follows; the store's epoch watcher has it.
type recorder interface {
	Record() (state.Record, time.Duration)
}

// mirrorReport publishes what m owes each cluster, with the epoch this member follows,
// until ctx ends. A failed put is retried at the next tick: meanwhile the other members'
// writes to a cluster this member owes wait, which is the safe side.
func mirrorReport(ctx context.Context, member *fleet.Member, m *mirror.Mirror, epochs recorder, log *slog.Logger) error {
	tick := time.NewTicker(reportTick)
	defer tick.Stop()
	var last fleet.MirrorReport
	var failing bool
	for {
		if rec, age := epochs.Record(); age >= 0 {
			r := fleet.MirrorReport{Epoch: rec.State.Epoch, At: time.Now(), Owes: m.Report()}
			if r.Epoch != last.Epoch || !maps.Equal(r.Owes, last.Owes) || r.At.Sub(last.At) >= reportRefresh {
				err := member.PublishMirror(ctx, r)
				switch {
				case err == nil:
					last, failing = r, false
				case !failing && ctx.Err() == nil:
					log.Warn("mirror: cannot publish what this member's journal owes; the other members hold writes to the clusters it may owe until it can",
						"err", err)
					failing = true
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// owedViews are the leader's views with, for each cluster of the pair, what every
// member's journal owes it: the sum, which decide holds against the failover bound, and
// who owes it, for the reason of a refusal.
type owedViews struct {
	views
	peers *fleet.MirrorPeers
	pair  mirror.Pair
}

func (v owedViews) Snapshot() map[string]health.Observation {
	obs := v.views.Snapshot()
	synced, reports := v.peers.Synced(), v.peers.Reports()
	now := time.Now()
	for _, c := range []string{v.pair.A, v.pair.B} {
		if ob, ok := obs[c]; ok {
			ob.MirrorLag, ob.MirrorOwedBy = fleet.Owed(reports, c, now)
			if !synced {
				ob.MirrorLagUnknown = "the fleet members' mirror reports are not read from etcd yet"
			}
			obs[c] = ob
		}
	}
	return obs
}
