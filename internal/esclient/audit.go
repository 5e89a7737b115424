package esclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The read-only calls of `esdr audit`: what an index, template, pipeline, snapshot and
// node look like, in the few fields the audit rules need. Bodies are bounded by MaxBody
// like every other answer; callers that expect large ones raise it.

// IndexStat is one row of GET /_cat/indices.
type IndexStat struct {
	Name     string
	Health   string // green, yellow, red; empty for a closed index
	Status   string // open or close
	Primary  int
	Replicas int
	Docs     int64 // docs.count (Lucene documents, refreshed only); -1 when unknown
}

// CatIndices lists every index, hidden ones included.
func (c *Client) CatIndices(ctx context.Context) ([]IndexStat, error) {
	var rows []map[string]*string
	if err := c.getJSON(ctx, "/_cat/indices?format=json&expand_wildcards=all&h=index,health,status,pri,rep,docs.count", &rows); err != nil {
		return nil, err
	}
	out := make([]IndexStat, 0, len(rows))
	for _, r := range rows {
		s := func(k string) string {
			if v := r[k]; v != nil {
				return *v
			}
			return ""
		}
		pri, _ := strconv.Atoi(s("pri"))
		rep, _ := strconv.Atoi(s("rep"))
		docs, err := strconv.ParseInt(s("docs.count"), 10, 64)
		if err != nil {
			docs = -1
		}
		out = append(out, IndexStat{Name: s("index"), Health: s("health"), Status: s("status"),
			Primary: pri, Replicas: rep, Docs: docs})
	}
	return out, nil
}

// Aliases maps each index to its alias names (GET /_alias).
func (c *Client) Aliases(ctx context.Context) (map[string][]string, error) {
	var doc map[string]struct {
		Aliases map[string]json.RawMessage `json:"aliases"`
	}
	if err := c.getJSONOrEmpty(ctx, "/_alias", &doc); err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(doc))
	for idx, a := range doc {
		for name := range a.Aliases {
			out[idx] = append(out[idx], name)
		}
	}
	return out, nil
}

// IndexTemplates returns the composable index templates by name (GET /_index_template),
// each as its JSON definition. A cluster without any answers an empty map.
func (c *Client) IndexTemplates(ctx context.Context) (map[string]json.RawMessage, error) {
	var doc struct {
		IndexTemplates []struct {
			Name          string          `json:"name"`
			IndexTemplate json.RawMessage `json:"index_template"`
		} `json:"index_templates"`
	}
	if err := c.getJSONOrEmpty(ctx, "/_index_template", &doc); err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(doc.IndexTemplates))
	for _, t := range doc.IndexTemplates {
		out[t.Name] = t.IndexTemplate
	}
	return out, nil
}

// LegacyTemplates returns the legacy templates by name (GET /_template).
func (c *Client) LegacyTemplates(ctx context.Context) (map[string]json.RawMessage, error) {
	return c.rawMap(ctx, "/_template")
}

// IngestPipelines returns the ingest pipelines by id (GET /_ingest/pipeline).
func (c *Client) IngestPipelines(ctx context.Context) (map[string]json.RawMessage, error) {
	return c.rawMap(ctx, "/_ingest/pipeline")
}

// Mappings returns each index's "mappings" object (GET /_mapping).
func (c *Client) Mappings(ctx context.Context) (map[string]json.RawMessage, error) {
	var doc map[string]struct {
		Mappings json.RawMessage `json:"mappings"`
	}
	if err := c.getJSONOrEmpty(ctx, "/_mapping?expand_wildcards=all", &doc); err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(doc))
	for idx, m := range doc {
		out[idx] = m.Mappings
	}
	return out, nil
}

// SnapshotRepositories maps each registered repository to its type (GET /_snapshot).
func (c *Client) SnapshotRepositories(ctx context.Context) (map[string]string, error) {
	var doc map[string]struct {
		Type string `json:"type"`
	}
	if err := c.getJSONOrEmpty(ctx, "/_snapshot", &doc); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(doc))
	for name, r := range doc {
		out[name] = r.Type
	}
	return out, nil
}

// Snapshot is one row of GET /_cat/snapshots/REPO.
type Snapshot struct {
	ID     string
	Status string // SUCCESS, PARTIAL, FAILED, IN_PROGRESS...
	End    time.Time
}

// Snapshots lists the snapshots of one repository.
func (c *Client) Snapshots(ctx context.Context, repo string) ([]Snapshot, error) {
	var rows []struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		EndEpoch string `json:"end_epoch"`
	}
	if err := c.getJSON(ctx, "/_cat/snapshots/"+url.PathEscape(repo)+"?format=json", &rows); err != nil {
		return nil, err
	}
	out := make([]Snapshot, 0, len(rows))
	for _, r := range rows {
		s := Snapshot{ID: r.ID, Status: r.Status}
		if sec, err := strconv.ParseInt(r.EndEpoch, 10, 64); err == nil && sec > 0 {
			s.End = time.Unix(sec, 0).UTC()
		}
		out = append(out, s)
	}
	return out, nil
}

// NodeStats is a node's disk and heap use (GET /_nodes/stats/fs,jvm).
type NodeStats struct {
	Name            string
	Roles           []string // normalised as in Node
	DiskTotal       int64
	DiskAvailable   int64
	HeapUsedPercent int
}

// NodesStats returns each node's disk and heap figures, sorted by name.
func (c *Client) NodesStats(ctx context.Context) ([]NodeStats, error) {
	var doc struct {
		Nodes map[string]struct {
			Name  string   `json:"name"`
			Roles []string `json:"roles"`
			FS    struct {
				Total struct {
					Total     int64 `json:"total_in_bytes"`
					Available int64 `json:"available_in_bytes"`
				} `json:"total"`
			} `json:"fs"`
			JVM struct {
				Mem struct {
					HeapUsedPercent int `json:"heap_used_percent"`
				} `json:"mem"`
			} `json:"jvm"`
		} `json:"nodes"`
	}
	if err := c.getJSON(ctx, "/_nodes/stats/fs,jvm", &doc); err != nil {
		return nil, err
	}
	out := make([]NodeStats, 0, len(doc.Nodes))
	for _, n := range doc.Nodes {
		out = append(out, NodeStats{Name: n.Name, Roles: normalizeRoles(n.Roles), DiskTotal: n.FS.Total.Total,
			DiskAvailable: n.FS.Total.Available, HeapUsedPercent: n.JVM.Mem.HeapUsedPercent})
	}
	slices.SortFunc(out, func(a, b NodeStats) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// EffectiveSettings returns the cluster settings with defaults, flat (defaults overridden
// by persistent, then transient), for the disk watermarks and similar.
func (c *Client) EffectiveSettings(ctx context.Context) (map[string]any, error) {
	var doc struct {
		Defaults, Persistent, Transient map[string]any
	}
	if err := c.getJSON(ctx, "/_cluster/settings?include_defaults=true&flat_settings=true", &doc); err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, m := range []map[string]any{doc.Defaults, doc.Persistent, doc.Transient} {
		for k, v := range m {
			out[k] = v
		}
	}
	return out, nil
}

// VotingConfig is the committed voting configuration and its exclusions, from the
// cluster state's coordination metadata.
type VotingConfig struct {
	LastCommitted []string // node ids
	Exclusions    []string // "name (id)"
}

// Voting reads the voting configuration (GET /_cluster/state/metadata, filtered).
func (c *Client) Voting(ctx context.Context) (*VotingConfig, error) {
	var doc struct {
		Metadata struct {
			Coordination struct {
				LastCommitted []string `json:"last_committed_config"`
				Exclusions    []struct {
					ID   string `json:"node_id"`
					Name string `json:"node_name"`
				} `json:"voting_config_exclusions"`
			} `json:"cluster_coordination"`
		} `json:"metadata"`
	}
	if err := c.getJSON(ctx, "/_cluster/state/metadata?filter_path=metadata.cluster_coordination", &doc); err != nil {
		return nil, err
	}
	v := &VotingConfig{LastCommitted: doc.Metadata.Coordination.LastCommitted}
	for _, e := range doc.Metadata.Coordination.Exclusions {
		v.Exclusions = append(v.Exclusions, fmt.Sprintf("%s (%s)", e.Name, e.ID))
	}
	return v, nil
}

// rawMap GETs a JSON object and returns its members undecoded; 404 is an empty map
// (some versions answer 404 when there is nothing to list).
func (c *Client) rawMap(ctx context.Context, path string) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	if err := c.getJSONOrEmpty(ctx, path, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// getJSONOrEmpty is getJSON that leaves v untouched on a 404 answer.
func (c *Client) getJSONOrEmpty(ctx context.Context, path string, v any) error {
	err := c.getJSON(ctx, path, v)
	var se *StatusError
	if errors.As(err, &se) && se.Code == http.StatusNotFound {
		return nil
	}
	return err
}
