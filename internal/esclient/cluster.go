package esclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Health is the answer of GET /_cluster/health, the same shape on Elasticsearch 7 and
// OpenSearch 2/3, plus which node gave it.
type Health struct {
	ClusterName         string  `json:"cluster_name"`
	Status              string  `json:"status"` // green, yellow or red
	TimedOut            bool    `json:"timed_out"`
	NumberOfNodes       int     `json:"number_of_nodes"`
	NumberOfDataNodes   int     `json:"number_of_data_nodes"`
	ActivePrimaryShards int     `json:"active_primary_shards"`
	ActiveShards        int     `json:"active_shards"`
	RelocatingShards    int     `json:"relocating_shards"`
	InitializingShards  int     `json:"initializing_shards"`
	UnassignedShards    int     `json:"unassigned_shards"`
	ActiveShardsPercent float64 `json:"active_shards_percent_as_number"`
	// Node is the base URL of the node that answered.
	Node string `json:"-"`
}

// Health asks each node in order until one answers with a parseable health document:
// one dead node is not a dead cluster. When none does, the error joins every node's
// failure; Classify gives its kind and IsNoMaster tells whether a node said "no master".
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var errs []error
	for _, n := range c.nodes {
		h, err := c.HealthOf(ctx, n)
		if err == nil {
			return h, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// HealthOf asks one node for the cluster health. It sets master_timeout to half of the
// remaining budget so that a cluster without a master answers 503 before our deadline
// instead of hanging for the server's default 30 s.
func (c *Client) HealthOf(ctx context.Context, node string) (*Health, error) {
	node, err := ParseNode(node)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		param := c.masterTimeoutParam.Load().(string)
		path := "/_cluster/health?" + param + "=" + c.masterTimeout(ctx)
		status, body, nerr := c.send(ctx, node, http.MethodGet, path, nil)
		if nerr != nil {
			return nil, nerr
		}
		if status == http.StatusBadRequest && attempt == 0 && param == "master_timeout" &&
			bytes.Contains(body, []byte("unrecognized parameter")) {
			c.masterTimeoutParam.Store("cluster_manager_timeout")
			continue
		}
		return decodeHealth(node, status, body)
	}
}

// masterTimeout is half of the time left for one request, as an Elasticsearch duration.
func (c *Client) masterTimeout(ctx context.Context) string {
	left := c.opts.Timeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < left {
		left = time.Until(dl)
	}
	ms := left.Milliseconds() / 2
	if ms < 100 {
		ms = 100
	}
	return fmt.Sprintf("%dms", ms)
}

// decodeHealth turns an answer into a Health or a classified NodeError. HTTP 200 is
// the only accepted status: Elasticsearch answers 200 even when red.
func decodeHealth(node string, status int, body []byte) (*Health, error) {
	const op = "GET /_cluster/health"
	if status != http.StatusOK {
		return nil, statusError(node, http.MethodGet, "/_cluster/health", status, body)
	}
	var h Health
	if err := decodeAnswer(node, op, body, &h); err != nil {
		return nil, err
	}
	if h.ClusterName == "" || h.Status == "" {
		// Every cluster health answer names its cluster and a status: this is some other
		// service's JSON (a health endpoint of a proxy, an API on the wrong port).
		return nil, &NodeError{Node: node, Op: op, Kind: KindBlind, Err: &NotClusterError{
			Answer: "HTTP 200 with " + describeBody(body) + " (no cluster_name and status)"}}
	}
	switch h.Status {
	case "green", "yellow", "red":
	default:
		return nil, &NodeError{Node: node, Op: op, Kind: KindBadResponse,
			Err: fmt.Errorf("unknown status %q", truncate(h.Status, 40))}
	}
	h.Node = node
	return &h, nil
}

// decodeJSON decodes one JSON value and says briefly what was wrong with a body that is
// not JSON (an HTML error page from a proxy, a body cut short).
func decodeJSON(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return errors.New("empty body")
	}
	if trimmed[0] == '<' {
		return errors.New("not JSON (HTML or XML body)")
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	return nil
}

// ClusterSettings returns the persistent and transient cluster settings as one flat map
// (transient overriding persistent, as the cluster applies them), keyed by dotted name.
func (c *Client) ClusterSettings(ctx context.Context) (map[string]any, error) {
	var doc struct {
		Persistent map[string]any `json:"persistent"`
		Transient  map[string]any `json:"transient"`
	}
	if err := c.getJSON(ctx, "/_cluster/settings?flat_settings=true", &doc); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(doc.Persistent)+len(doc.Transient))
	for k, v := range doc.Persistent {
		out[k] = v
	}
	for k, v := range doc.Transient {
		out[k] = v
	}
	return out, nil
}

// PutClusterSettings sets persistent cluster settings (for example
// cluster.blocks.read_only to fence writes). A nil value resets a setting. The request is
// sent to the first reachable node only and never repeated on another.
func (c *Client) PutClusterSettings(ctx context.Context, persistent map[string]any) error {
	body, err := json.Marshal(map[string]any{"persistent": persistent})
	if err != nil {
		return fmt.Errorf("esclient: encoding settings: %w", err)
	}
	node, status, resp, err := c.do(ctx, http.MethodPut, "/_cluster/settings", body)
	if err != nil {
		return err
	}
	return checkStatus(node, http.MethodPut, "/_cluster/settings", status, resp)
}

// getJSON GETs path through do and decodes a 200 answer into v.
func (c *Client) getJSON(ctx context.Context, path string, v any) error {
	node, status, body, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	if err := checkStatus(node, http.MethodGet, path, status, body); err != nil {
		return err
	}
	if err := decodeAnswer(node, "GET "+stripQuery(path), body, v); err != nil {
		return err
	}
	return nil
}

// checkStatus turns a non-2xx answer into a NodeError (statusError says of which kind).
func checkStatus(node, method, path string, status int, body []byte) error {
	if status >= 200 && status < 300 {
		return nil
	}
	return statusError(node, method, path, status, body)
}

func stripQuery(path string) string { return strings.SplitN(path, "?", 2)[0] }

// RedIndicesOf lists the indices that node's cluster reports red (hidden ones included),
// at most limit of them, and how many there are in all: what a red cluster health is made
// of, asked only when the health said red. The answer is bounded by the transport's
// read limit like every other.
func (c *Client) RedIndicesOf(ctx context.Context, node string, limit int) (names []string, total int, err error) {
	var rows []struct {
		Index string `json:"index"`
	}
	if err := c.getJSONOf(ctx, node, "/_cat/indices?format=json&health=red&expand_wildcards=all&h=index", &rows); err != nil {
		return nil, 0, err
	}
	for _, r := range rows {
		if len(names) < limit {
			names = append(names, r.Index)
		}
	}
	return names, len(rows), nil
}
