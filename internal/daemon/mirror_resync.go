package daemon

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/esclient"
)

// errMirrorOff answers the mirror calls when mirror mode is off.
var errMirrorOff = &admin.RefusedError{Code: "mirror_off",
	Reason: "mirror mode is off: there is no journal to resync from (see the mirror block of the configuration)"}

// Count comparison retries: the target's refresh (1 s by default) and the last replayed
// writes may trail the active cluster's answer by a moment.
const (
	compareTries = 10
	compareEvery = 500 * time.Millisecond
)

// Resync starts the failback resync of to: its fence is lifted so that the journal's
// writes meant for it (those the other cluster took while it was away) are replayed, and
// snapshot sync restores on it the indices written around esdr, now, before a switchover
// makes it active again, rather than while writes are held.
func (c controller) Resync(ctx context.Context, to string) (admin.ResyncAnswer, error) {
	mirror, snap := c.d.mirror, c.d.snap
	var pair [2]string
	switch {
	case mirror != nil:
		pair = [2]string{mirror.pair.A, mirror.pair.B}
	case snap != nil:
		pair = [2]string{snap.first, snap.second}
	default:
		return admin.ResyncAnswer{}, &admin.RefusedError{Code: "mirror_off", Reason: "neither mirror mode nor snapshot " +
			"sync is on: esdr has nothing to resync a cluster with (see the mirror and snapshot_sync blocks of the configuration)"}
	}
	if to != pair[0] && to != pair[1] {
		return admin.ResyncAnswer{}, &admin.RefusedError{Code: "unknown_cluster", Reason: fmt.Sprintf(
			"%q is not one of the synced pair (%s, %s)", to, pair[0], pair[1])}
	}
	t := c.d.leading(ctx)
	if t == nil {
		return admin.ResyncAnswer{}, &admin.RefusedError{Code: "not_leader", Reason: c.notLeading(ctx, "resync").Error()}
	}
	err := t.ex.LiftFence(ctx, to, "the failback resync (esdr resync): the journal's writes for it are replayed now")
	if errors.Is(err, act.ErrActive) {
		return admin.ResyncAnswer{}, &admin.RefusedError{Code: "resync_active", Reason: fmt.Sprintf(
			"%s is the active cluster: it takes writes already and lacks nothing it could be resynced with", to)}
	}
	if err != nil {
		return admin.ResyncAnswer{}, fmt.Errorf("mirror: resync of %s: %w; check that it is up (esdr status) and try again", to, err)
	}
	a := admin.ResyncAnswer{Cluster: to}
	if mirror != nil {
		a.Pending = mirror.owed(to)
	}
	if snap != nil {
		a.Snapshot = snap.resync(to)
	}
	return a, nil
}

// CompareCounts compares the document count of every open index matching pattern (""
// or "*": every index whose name does not start with a dot) on the active cluster and on
// to, retrying for a few seconds while they differ.
func (c controller) CompareCounts(ctx context.Context, to, pattern string) (admin.CountComparison, error) {
	mirror := c.d.mirror
	if mirror == nil {
		return admin.CountComparison{}, errMirrorOff
	}
	if pattern == "" {
		pattern = "*"
	}
	if _, err := path.Match(pattern, ""); err != nil {
		return admin.CountComparison{}, &admin.RefusedError{Code: "bad_request", Reason: fmt.Sprintf("index pattern %q: %v", pattern, err)}
	}
	ep, err := c.d.epochs.Endpoint(ctx)
	if err != nil {
		return admin.CountComparison{}, fmt.Errorf("mirror: compare counts: the active cluster: %w", err)
	}
	if _, ok := mirror.pair.Target(to); !ok || to == ep.Cluster {
		return admin.CountComparison{}, &admin.RefusedError{Code: "bad_request", Reason: fmt.Sprintf(
			"compare %q with the active cluster %s: want the other cluster of the pair (%s, %s)", to, ep.Cluster, mirror.pair.A, mirror.pair.B)}
	}
	cmp := admin.CountComparison{Active: ep.Cluster, Target: to, Pattern: pattern}
	for try := 1; ; try++ {
		if cmp.Indices, err = c.counts(ctx, ep.Cluster, to, pattern); err != nil {
			return cmp, err
		}
		cmp.Split()
		cmp.Pending = mirror.owed(to)
		if len(cmp.Differ) == 0 || try == compareTries {
			return cmp, nil
		}
		select {
		case <-ctx.Done():
			return cmp, ctx.Err()
		case <-time.After(compareEvery):
		}
	}
}

// counts reads both clusters' open indices matching pattern, the active cluster's
// first: what it holds is what the target must hold. The names come from _cat/indices,
// the counts from a search (esclient.CountsOf): index statistics count only what a
// refresh made visible, and a search-idle shard is not refreshed until searched, so they
// could say equal, or differ, for long after the replay was done.
func (c controller) counts(ctx context.Context, active, to, pattern string) ([]admin.IndexCount, error) {
	byName := map[string]*admin.IndexCount{}
	for i, cl := range []string{active, to} {
		es := c.d.mirror.clients[cl]
		rows, err := es.CatIndices(ctx)
		if err != nil {
			return nil, fmt.Errorf("mirror: compare counts: indices of %s: %w", cl, err)
		}
		var names []string
		for _, r := range rows {
			if strings.HasPrefix(r.Name, ".") || r.Status != "open" {
				continue
			}
			if ok, _ := path.Match(pattern, r.Name); ok {
				names = append(names, r.Name)
			}
		}
		docs, err := es.CountsOf(ctx, names)
		if err != nil {
			return nil, fmt.Errorf("mirror: compare counts: documents of %s: %w", cl, err)
		}
		for _, name := range names {
			ic := byName[name]
			if ic == nil {
				ic = &admin.IndexCount{Index: name, Active: -1, Target: -1}
				byName[name] = ic
			}
			if i == 0 {
				ic.Active = docs[name]
			} else {
				ic.Target = docs[name]
			}
		}
	}
	out := make([]admin.IndexCount, 0, len(byName))
	for _, ic := range byName {
		out = append(out, *ic)
	}
	slices.SortFunc(out, func(a, b admin.IndexCount) int { return strings.Compare(a.Index, b.Index) })
	return out, nil
}

// esClients keeps the replay's clients, also used to compare counts.
type esClients = map[string]*esclient.Client
