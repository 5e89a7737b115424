package snapshot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// taken is a completed, successful snapshot: its indices and each one's shard count.
type taken struct {
	name    string
	started time.Time
	shards  map[string]int // index → number of shards in the snapshot
}

// snapshotStatus is the part of GET _snapshot/<repo>/<snap>/_status the sync reads.
type snapshotStatus struct {
	Snapshots []struct {
		State       string `json:"state"`
		ShardsStats struct {
			Done  int `json:"done"`
			Total int `json:"total"`
		} `json:"shards_stats"`
		Stats struct {
			Total struct {
				Size int64 `json:"size_in_bytes"`
			} `json:"total"`
		} `json:"stats"`
		Indices map[string]struct {
			ShardsStats struct {
				Total int `json:"total"`
			} `json:"shards_stats"`
		} `json:"indices"`
	} `json:"snapshots"`
}

// snapshotInfo is the part of GET _snapshot/<repo>/<snap> (or <prefix>-*) the sync reads.
type snapshotInfo struct {
	Snapshots []snapshotEntry `json:"snapshots"`
}

// snapshotEntry is one snapshot of a snapshotInfo.
type snapshotEntry struct {
	Snapshot string   `json:"snapshot"`
	State    string   `json:"state"` // IN_PROGRESS, SUCCESS, FAILED, PARTIAL, INCOMPATIBLE
	Indices  []string `json:"indices"`
	Start    int64    `json:"start_time_in_millis"`
	Failures []struct {
		Index  string `json:"index"`
		Reason string `json:"reason"`
	} `json:"failures"`
}

// take snapshots the chosen indices of p (the cycle's source, or a cluster whose copy is
// kept before a restore over it) as name and waits, bounded by
// SnapshotTimeout, until it is complete. Anything but state SUCCESS is an error. The
// snapshot's own state is the authority (its _status says SUCCESS before the snapshot is
// finalized); the _status gives progress while it runs and the shard counts at the end.
func (s *Sync) take(ctx context.Context, p cluster, name string) (*taken, error) {
	base := "/_snapshot/" + esc(s.opts.Repository.Name) + "/" + esc(name)
	started := s.opts.Now()
	_, err := p.call(ctx, http.MethodPut, base+"?wait_for_completion=false", map[string]any{
		"indices":              strings.Join(s.opts.Indices, ","),
		"ignore_unavailable":   true, // a pattern that matches nothing yet is not an error
		"include_global_state": false,
		"metadata":             map[string]any{"taken_by": "esdr snapshot sync"},
	})
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, s.opts.SnapshotTimeout)
	defer cancel()
	for {
		info, err := s.info(wctx, p, name)
		if isType(err, http.StatusNotFound, "snapshot_missing_exception") {
			// Accepted, then gone: it failed before the repository recorded it.
			return nil, fmt.Errorf("snapshot: %s: snapshot %s was accepted, then failed before the "+
				"repository recorded it (is the repository's storage there and writable? see the cluster's log): %w", p.name, name, err)
		}
		if err != nil {
			return nil, s.abandon(ctx, wctx, p, name, err)
		}
		switch info.State {
		case "SUCCESS":
			return s.shardCounts(wctx, p, name, started, info.Indices)
		case "FAILED", "PARTIAL", "INCOMPATIBLE":
			var why []string
			for _, f := range info.Failures[:min(len(info.Failures), 3)] {
				why = append(why, fmt.Sprintf("%s: %.200s", f.Index, f.Reason))
			}
			return nil, fmt.Errorf("snapshot: %s: snapshot %s ended %s (%d shard failures: %s)",
				p.name, name, info.State, len(info.Failures), strings.Join(why, "; "))
		case "IN_PROGRESS":
		default:
			return nil, fmt.Errorf("snapshot: %s: GET %s: unknown state %.40q", p.name, base, info.State)
		}
		// Running: its status says how far it is.
		var st snapshotStatus
		if err := p.get(wctx, http.MethodGet, base+"/_status", nil, &st); err != nil {
			return nil, s.abandon(ctx, wctx, p, name, err)
		}
		if len(st.Snapshots) == 1 {
			ss := st.Snapshots[0]
			s.setPhase(fmt.Sprintf("snapshot %s: %s, %d of %d shards, %d bytes", name, ss.State,
				ss.ShardsStats.Done, ss.ShardsStats.Total, ss.Stats.Total.Size))
		}
		if err := sleep(wctx, s.opts.PollInterval); err != nil {
			return nil, s.abandon(ctx, wctx, p, name, errors.New("still running"))
		}
	}
}

// info reads the snapshot's state, indices and failures.
func (s *Sync) info(ctx context.Context, p cluster, name string) (*snapshotEntry, error) {
	var info snapshotInfo
	path := "/_snapshot/" + esc(s.opts.Repository.Name) + "/" + esc(name)
	if err := p.get(ctx, http.MethodGet, path, nil, &info); err != nil {
		return nil, err
	}
	if len(info.Snapshots) != 1 || info.Snapshots[0].Snapshot != name {
		return nil, fmt.Errorf("snapshot: %s: GET %s: answer does not describe snapshot %s", p.name, path, name)
	}
	return &info.Snapshots[0], nil
}

// shardCounts reads the number of shards of each index of a successful snapshot.
func (s *Sync) shardCounts(ctx context.Context, p cluster, name string, started time.Time, indices []string) (*taken, error) {
	var st snapshotStatus
	path := "/_snapshot/" + esc(s.opts.Repository.Name) + "/" + esc(name) + "/_status"
	if err := p.get(ctx, http.MethodGet, path, nil, &st); err != nil {
		return nil, err
	}
	if len(st.Snapshots) != 1 {
		return nil, fmt.Errorf("snapshot: %s: GET %s: %d snapshots in the answer, want 1", p.name, path, len(st.Snapshots))
	}
	t := &taken{name: name, started: started, shards: map[string]int{}}
	for _, idx := range indices {
		n := st.Snapshots[0].Indices[idx].ShardsStats.Total
		if n <= 0 {
			return nil, fmt.Errorf("snapshot: %s: GET %s: no shard count for index %s", p.name, path, idx)
		}
		t.shards[idx] = n
	}
	return t, nil
}

// abandon aborts (deletes) a snapshot whose wait failed, so that it does not run on into
// the next cycle, and returns why the wait ended.
func (s *Sync) abandon(ctx, wctx context.Context, p cluster, name string, cause error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if wctx.Err() != nil {
		cause = fmt.Errorf("snapshot: %s: snapshot %s not complete after %v (%w); aborting it", p.name, name, s.opts.SnapshotTimeout, cause)
	}
	actx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, _ = p.call(actx, http.MethodDelete,
		"/_snapshot/"+esc(s.opts.Repository.Name)+"/"+esc(name), nil)
	return cause
}

// sortedIndices returns the snapshot's indices in name order.
func (t *taken) sortedIndices() []string {
	out := make([]string, 0, len(t.shards))
	for idx := range t.shards {
		out = append(out, idx)
	}
	sort.Strings(out)
	return out
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
