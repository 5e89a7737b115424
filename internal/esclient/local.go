package esclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The calls in this file ask one node about itself, from its own view, without waiting
// for an elected master. They are what lets a probe tell "the master is hung and the
// cluster is re-electing, reads still served" from "the cluster lost its quorum".

// LocalNode is one node's identity, from GET /_nodes/_local.
type LocalNode struct {
	ID             string
	Name           string
	MasterEligible bool
}

// LocalNodeOf asks node who it is. Node info of the local node needs no master.
func (c *Client) LocalNodeOf(ctx context.Context, node string) (*LocalNode, error) {
	var doc struct {
		Nodes map[string]struct {
			Name  string   `json:"name"`
			Roles []string `json:"roles"`
		} `json:"nodes"`
	}
	if err := c.getJSONOf(ctx, node, "/_nodes/_local/none", &doc); err != nil {
		return nil, err
	}
	for id, n := range doc.Nodes {
		roles := normalizeRoles(n.Roles)
		eligible := false
		for _, r := range roles {
			eligible = eligible || r == "master"
		}
		return &LocalNode{ID: id, Name: n.Name, MasterEligible: eligible}, nil
	}
	return nil, &NodeError{Node: node, Op: "GET /_nodes/_local", Kind: KindBadResponse,
		Err: fmt.Errorf("no node in the answer")}
}

// MasterOf returns the elected master's node ID as node itself knows it
// (GET /_cat/master?local=true), or "" when that node knows no master.
func (c *Client) MasterOf(ctx context.Context, node string) (string, error) {
	var rows []struct {
		ID string `json:"id"`
	}
	if err := c.getJSONOf(ctx, node, "/_cat/master?format=json&local=true", &rows); err != nil {
		return "", err
	}
	if len(rows) != 1 || rows[0].ID == "-" {
		return "", nil
	}
	return rows[0].ID, nil
}

// CanaryOf runs a one-hit search on index on node's own shard copies only
// (preference=_only_local): the read path users depend on, served by that node, and
// not by another node it would forward to. It returns ErrNoCanary when the index does
// not exist or node holds no copy of it (nothing learned), nil when the search
// succeeded.
func (c *Client) CanaryOf(ctx context.Context, node, index string) error {
	path := "/" + url.PathEscape(index) + "/_search?preference=_only_local&size=1"
	status, body, nerr := c.send(ctx, node, http.MethodGet, path, nil)
	if nerr != nil {
		return nerr
	}
	if status == http.StatusNotFound {
		if se := newStatusError(status, body); se.Type == "index_not_found_exception" {
			return ErrNoCanary
		}
	}
	if err := checkStatus(node, http.MethodGet, path, status, body); err != nil {
		return err
	}
	var doc struct {
		Shards struct {
			Total, Successful int
		} `json:"_shards"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return &NodeError{Node: node, Op: "GET " + stripQuery(path), Kind: KindBadResponse, Err: fmt.Errorf("invalid JSON: %w", err)}
	}
	switch {
	case doc.Shards.Total == 0:
		return ErrNoCanary // no local copy (yet): this node cannot vouch for reads
	case doc.Shards.Successful == 0:
		return &NodeError{Node: node, Op: "GET " + stripQuery(path), Kind: KindBadResponse,
			Err: fmt.Errorf("canary search failed on every local shard copy")}
	}
	return nil
}

// ErrNoCanary says the canary index does not exist on the cluster, or not on the node.
var ErrNoCanary = errors.New("esclient: no canary index copy")

// EnsureCanary creates index as a small canary: one shard, a copy on every data node
// (auto_expand_replicas 0-all, so that each node can answer from its own copy), hidden
// from wildcard expressions. An index that already exists is success.
func (c *Client) EnsureCanary(ctx context.Context, index string) error {
	body := []byte(`{"settings":{"index.number_of_shards":1,"index.auto_expand_replicas":"0-all","index.hidden":true}}`)
	// wait_for_active_shards=0: the answer must not wait for allocation under a probe's
	// deadline; the copies are allocated in the background.
	node, status, resp, err := c.do(ctx, http.MethodPut, "/"+url.PathEscape(index)+"?wait_for_active_shards=0", body)
	if err != nil {
		return err
	}
	if status == http.StatusBadRequest {
		se := newStatusError(status, resp)
		if se.Type == "resource_already_exists_exception" {
			return nil
		}
	}
	return checkStatus(node, http.MethodPut, "/"+index, status, resp)
}

// IndexExists reports whether index exists (HEAD /index answers 200). Any failure is
// false: the caller then tries to create it, which is harmless when it exists.
func (c *Client) IndexExists(ctx context.Context, index string) bool {
	_, status, _, err := c.do(ctx, http.MethodHead, "/"+url.PathEscape(index), nil)
	return err == nil && status == http.StatusOK
}

// FaultDetection is how fast a cluster notices a failed master and elects another, from
// its own settings (cluster.fault_detection.leader_check.* and cluster.election.*).
type FaultDetection struct {
	LeaderCheckInterval, LeaderCheckTimeout time.Duration
	LeaderCheckRetries                      int
	ElectionMaxTimeout                      time.Duration
}

// DefaultFaultDetection is Elasticsearch's and OpenSearch's default.
var DefaultFaultDetection = FaultDetection{
	LeaderCheckInterval: time.Second, LeaderCheckTimeout: 10 * time.Second,
	LeaderCheckRetries: 3, ElectionMaxTimeout: 10 * time.Second,
}

// ElectionTime is how long a healthy majority may take, by these settings, to notice a
// hung master and elect another: every retry of the leader check timing out, then the
// longest election back-off.
func (f FaultDetection) ElectionTime() time.Duration {
	return time.Duration(f.LeaderCheckRetries)*(f.LeaderCheckInterval+f.LeaderCheckTimeout) + f.ElectionMaxTimeout
}

// FaultDetectionSettings reads the cluster's fault-detection settings, the explicit ones
// over the node's defaults; a setting that is missing or unreadable keeps its default.
func (c *Client) FaultDetectionSettings(ctx context.Context) (FaultDetection, error) {
	var doc map[string]map[string]any
	if err := c.getJSON(ctx, "/_cluster/settings?include_defaults=true&flat_settings=true&local=true", &doc); err != nil {
		return DefaultFaultDetection, err
	}
	f := DefaultFaultDetection
	for _, section := range []string{"defaults", "persistent", "transient"} { // later wins
		s := doc[section]
		durationSetting(s, "cluster.fault_detection.leader_check.interval", &f.LeaderCheckInterval)
		durationSetting(s, "cluster.fault_detection.leader_check.timeout", &f.LeaderCheckTimeout)
		durationSetting(s, "cluster.election.max_timeout", &f.ElectionMaxTimeout)
		if v, ok := s["cluster.fault_detection.leader_check.retry_count"].(string); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 100 {
				f.LeaderCheckRetries = n
			}
		}
	}
	return f, nil
}

// durationSetting parses an Elasticsearch time value ("500ms", "10s", "1m") into *d.
func durationSetting(s map[string]any, key string, d *time.Duration) {
	v, ok := s[key].(string)
	if !ok {
		return
	}
	v = strings.TrimSpace(v)
	if strings.HasSuffix(v, "d") { // Go has no day unit; nobody sets days here
		return
	}
	if p, err := time.ParseDuration(v); err == nil && p > 0 && p < time.Hour {
		*d = p
	}
}

// getJSONOf is getJSON on one given node.
func (c *Client) getJSONOf(ctx context.Context, node, path string, v any) error {
	status, body, nerr := c.send(ctx, node, http.MethodGet, path, nil)
	if nerr != nil {
		return nerr
	}
	if err := checkStatus(node, http.MethodGet, path, status, body); err != nil {
		return err
	}
	if err := decodeAnswer(node, "GET "+stripQuery(path), body, v); err != nil {
		return err
	}
	return nil
}
