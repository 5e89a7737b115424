package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/esdr/esdr/testbed"
)

// The few cluster calls the runner makes itself, directly to the nodes (never through
// esdr): lifting a fence, the final read, dropping a run's index.

var esHTTP = &http.Client{Timeout: 30 * time.Second}

// maxAnswer bounds what the runner reads from a node.
const maxAnswer = 64 << 20

// call sends one request to the first running node of c that answers 2xx, decoding the
// answer into out when it is not nil.
func call(ctx context.Context, c *testbed.Cluster, method, path string, body, out any) error {
	var errs []error
	for _, n := range c.Nodes {
		if n.State() != testbed.Running {
			continue
		}
		err := callNode(ctx, n.URL(), method, path, body, out)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return fmt.Errorf("chaos: %s %s on %s: no running node", method, path, c.Name)
	}
	return fmt.Errorf("chaos: %s %s on %s: %w", method, path, c.Name, errors.Join(errs...))
}

func callNode(ctx context.Context, url, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := esHTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("%s: reading the answer: %w", url, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: HTTP %d: %.300s", url, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s: answer: %w", url, err)
		}
	}
	return nil
}

// unfence lifts the read-only block esdr puts on a cluster it fails over from, so that
// the next run starts from the same pair.
func unfence(ctx context.Context, c *testbed.Cluster) error {
	body := map[string]any{"persistent": map[string]any{"cluster.blocks.read_only": nil}}
	return call(ctx, c, http.MethodPut, "/_cluster/settings", body, nil)
}

// found returns which of ids are stored in index on c, by _mget (real-time: no refresh
// needed), in pages. A missing index holds none of them.
func found(ctx context.Context, c *testbed.Cluster, index string, ids []string) ([]string, error) {
	var out []string
	for len(ids) > 0 {
		page := ids[:min(len(ids), 1000)]
		ids = ids[len(page):]
		var ans struct {
			Docs []struct {
				ID    string `json:"_id"`
				Found bool   `json:"found"`
				Error any    `json:"error"`
			} `json:"docs"`
		}
		if err := call(ctx, c, http.MethodPost, "/"+index+"/_mget", map[string]any{"ids": page}, &ans); err != nil {
			return nil, err
		}
		for _, d := range ans.Docs {
			if d.Found {
				out = append(out, d.ID)
			} else if e, ok := d.Error.(map[string]any); ok && e["type"] != "index_not_found_exception" {
				return nil, fmt.Errorf("chaos: _mget %s on %s: %s: %v", index, c.Name, d.ID, e)
			}
		}
	}
	return out, nil
}

// dropIndex deletes a run's index, if it exists, so indices do not pile up across runs.
func dropIndex(ctx context.Context, c *testbed.Cluster, index string) error {
	return call(ctx, c, http.MethodDelete, "/"+index+"?ignore_unavailable=true", nil, nil)
}
