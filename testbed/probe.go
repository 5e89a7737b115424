package testbed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Health is the part of GET /_cluster/health the test bed reads.
type Health struct {
	ClusterName   string `json:"cluster_name"`
	Status        string `json:"status"`
	NumberOfNodes int    `json:"number_of_nodes"`
}

// probeTimeout bounds each request; maxBody each answer.
const (
	probeTimeout = 3 * time.Second
	maxBody      = 1 << 20
)

var probeClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// getJSON GETs url+path and decodes the JSON answer into v.
func getJSON(ctx context.Context, url, path string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+path, nil)
	if err != nil {
		return fmt.Errorf("testbed: %s%s: %w", url, path, err)
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return fmt.Errorf("testbed: %s%s: %w", url, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("testbed: %s%s: %w", url, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("testbed: %s%s: HTTP %d: %.200s", url, path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("testbed: %s%s: %w", url, path, err)
	}
	return nil
}

// nodeHealth asks one node for the cluster's health, without waiting for a master.
func nodeHealth(ctx context.Context, url string) (Health, error) {
	var h Health
	err := getJSON(ctx, url, "/_cluster/health?timeout=1s&master_timeout=1s", &h)
	return h, err
}

// nodeMaster asks one node which node is the elected master.
func nodeMaster(ctx context.Context, url string) (string, error) {
	var rows []struct {
		Node string `json:"node"`
	}
	if err := getJSON(ctx, url, "/_cat/master?format=json&master_timeout=1s", &rows); err != nil {
		return "", err
	}
	if len(rows) != 1 || rows[0].Node == "" || rows[0].Node == "-" {
		return "", errors.New("testbed: " + url + ": no elected master")
	}
	return rows[0].Node, nil
}

// nodeRecovered fails while the elected master has not yet recovered the cluster state
// (health is red then, even with no index).
func nodeRecovered(ctx context.Context, url string) error {
	var st struct {
		Blocks struct {
			Global map[string]struct {
				Description string `json:"description"`
			} `json:"global"`
		} `json:"blocks"`
	}
	if err := getJSON(ctx, url, "/_cluster/state/blocks?master_timeout=1s", &st); err != nil {
		return err
	}
	for _, b := range st.Blocks.Global {
		if strings.Contains(b.Description, "not recovered") {
			return errors.New("testbed: " + url + ": " + b.Description)
		}
	}
	return nil
}

// nodeNames asks one node which nodes are in its cluster.
func nodeNames(ctx context.Context, url string) ([]string, error) {
	var rows []struct {
		Name string `json:"name"`
	}
	if err := getJSON(ctx, url, "/_cat/nodes?format=json&h=name&master_timeout=1s", &rows); err != nil {
		return nil, err
	}
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.Name
	}
	return names, nil
}
