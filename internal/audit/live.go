package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/esdr/esdr/internal/esclient"
)

// Target is one cluster to audit: a name for the report ("primary", or the URL) and the
// URLs of any of its nodes.
type Target struct {
	Name    string
	URLs    []string
	Options esclient.Options
}

// liveSource is what the live rules read from a cluster.
type liveSource interface {
	Info(ctx context.Context) (*esclient.Info, error)
	NodesInfo(ctx context.Context) ([]esclient.Node, error)
	Health(ctx context.Context) (*esclient.Health, error)
	CatIndices(ctx context.Context) ([]esclient.IndexStat, error)
	NodesStats(ctx context.Context) ([]esclient.NodeStats, error)
	EffectiveSettings(ctx context.Context) (map[string]any, error)
	Voting(ctx context.Context) (*esclient.VotingConfig, error)
	SnapshotRepositories(ctx context.Context) (map[string]string, error)
	Snapshots(ctx context.Context, repo string) ([]esclient.Snapshot, error)
}

// LiveFacts is what a cluster said about itself. A nil field was not read; the read's
// failure is a LiveReadFailed finding and the rules needing it are skipped.
type LiveFacts struct {
	Cluster   string // the Target's name
	Info      *esclient.Info
	Nodes     []esclient.Node
	Health    *esclient.Health
	Indices   []esclient.IndexStat
	Stats     []esclient.NodeStats
	Settings  map[string]any
	Voting    *esclient.VotingConfig
	Repos     map[string]string
	Snapshots map[string][]esclient.Snapshot
	Now       time.Time
}

// connect asks every URL of t who it is, each on its own client, so that one dead node
// is a finding about that node. It returns a client over the nodes that answered (nil
// when none did) and the Info of the first.
func connect(ctx context.Context, t Target) (*esclient.Client, *esclient.Info, []Finding) {
	var out []Finding
	var alive []string
	var first *esclient.Info
	uuids := map[string][]string{}
	for _, u := range t.URLs {
		c, err := esclient.New([]string{u}, t.Options)
		if err != nil {
			out = append(out, newFinding(NodeUnreachable, t.Name, err.Error()))
			continue
		}
		info, err := c.Info(ctx)
		c.CloseIdleConnections()
		if err != nil {
			out = append(out, newFinding(NodeUnreachable, t.Name, err.Error()))
			continue
		}
		alive = append(alive, u)
		uuids[info.ClusterUUID] = append(uuids[info.ClusterUUID], fmt.Sprintf("%s (cluster %s)", u, info.ClusterName))
		if first == nil {
			first = info
		}
	}
	if len(uuids) > 1 {
		var ev []string
		for _, id := range sortedKeys(uuids) {
			ev = append(ev, fmt.Sprintf("cluster uuid %s: %v", id, uuids[id]))
		}
		out = append(out, newFinding(URLsMixedClusters, t.Name, ev...))
	}
	if len(alive) == 0 {
		out = append(out, newFinding(ClusterUnreachable, t.Name, fmt.Sprintf("none of %d URL(s) answered", len(t.URLs))))
		return nil, nil, out
	}
	c, err := esclient.New(alive, t.Options)
	if err != nil { // cannot happen: each URL was accepted above
		return nil, nil, append(out, newFinding(ClusterUnreachable, t.Name, err.Error()))
	}
	return c, first, out
}

// gatherLive reads everything the live rules need. Each read is bounded by the client's
// timeout; a failed read is recorded and the others still run.
func gatherLive(ctx context.Context, name string, src liveSource, info *esclient.Info, now time.Time) (*LiveFacts, []Finding) {
	f := &LiveFacts{Cluster: name, Info: info, Now: now}
	var out []Finding
	failed := func(what string, err error) {
		out = append(out, newFinding(LiveReadFailed, name, what+": "+err.Error()))
	}
	var err error
	if f.Nodes, err = src.NodesInfo(ctx); err != nil {
		failed("nodes", err)
	}
	if f.Health, err = src.Health(ctx); err != nil {
		failed("cluster health", err)
	}
	if f.Indices, err = src.CatIndices(ctx); err != nil {
		failed("indices", err)
	}
	if f.Stats, err = src.NodesStats(ctx); err != nil {
		failed("node stats", err)
	}
	if f.Settings, err = src.EffectiveSettings(ctx); err != nil {
		failed("cluster settings", err)
	}
	if f.Voting, err = src.Voting(ctx); err != nil {
		failed("voting configuration", err)
	}
	if f.Repos, err = src.SnapshotRepositories(ctx); err != nil {
		failed("snapshot repositories", err)
	} else {
		f.Snapshots = map[string][]esclient.Snapshot{}
		for repo := range f.Repos {
			s, err := src.Snapshots(ctx, repo)
			if err != nil {
				failed("snapshots of "+repo, err)
				continue
			}
			f.Snapshots[repo] = s
		}
	}
	return f, out
}

// canonical re-encodes JSON with sorted keys so that equal documents compare equal.
func canonical(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return string(raw)
	}
	return string(b)
}
