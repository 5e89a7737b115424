package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/esdr/esdr/testbed/esdrproc"
)

// esdrConfig is one `esdr run` over the pair with its proxy; journal, when not empty,
// turns mirror mode on with the journal there. Automatic failover is off: a health probe
// slowed by the load on a small machine must not move the writes mid-measurement (the
// load checks every answer's X-Esdr-Cluster anyway).
func esdrConfig(primary, standby []string, adminAddr, proxyAddr, journal, proxyKeys string) string {
	return esdrConfigWith(primary, standby, adminAddr, proxyAddr, journal, proxyKeys, "")
}

// esdrConfigWith is esdrConfig with top-level blocks added (a fleet block).
func esdrConfigWith(primary, standby []string, adminAddr, proxyAddr, journal, proxyKeys, blocks string) string {
	p := esdrproc.Pair{Primary: primary, Standby: standby, Interval: time.Second, Manual: true,
		AdminAddr: adminAddr, ProxyAddr: proxyAddr}
	for _, kv := range strings.Split(proxyKeys, ",") {
		if kv = strings.TrimSpace(kv); kv != "" {
			p.Extra += "  " + kv + "\n" // Extra follows the proxy block's listen key
		}
	}
	if journal != "" {
		p.Extra += fmt.Sprintf("mirror:\n  enabled: true\n  journal_dir: %s\n", journal)
	}
	return p.YAML() + blocks
}

// esdrBed is one esdr process: its proxy and the admin address its metrics are on.
type esdrBed struct {
	proc               *esdrproc.Proc
	proxyURL, adminURL string
	config             string
}

// startEsdr runs bin in dir (journal: see esdrConfig) and waits until both clusters are up.
func startEsdr(ctx context.Context, bin, dir string, primary, standby []string, journal, proxyKeys string) (*esdrBed, error) {
	return startEsdrWith(ctx, bin, dir, primary, standby, journal, proxyKeys, "")
}

// startEsdrWith is startEsdr with top-level blocks added to the configuration.
func startEsdrWith(ctx context.Context, bin, dir string, primary, standby []string, journal, proxyKeys, blocks string) (*esdrBed, error) {
	adminAddr, proxyAddr, err := esdrproc.Addrs()
	if err != nil {
		return nil, err
	}
	cfg := esdrConfigWith(primary, standby, adminAddr, proxyAddr, journal, proxyKeys, blocks)
	p, err := esdrproc.Start(ctx, bin, dir, adminAddr, cfg)
	if err != nil {
		return nil, err
	}
	if err := p.WaitUp(ctx, 2*time.Minute, "primary", "standby"); err != nil {
		p.Stop()
		return nil, err
	}
	return &esdrBed{proc: p, proxyURL: "http://" + proxyAddr, adminURL: "http://" + adminAddr, config: cfg}, nil
}

// startHeld runs an esdr with mirror mode on whose standby is an address nothing
// listens on: writes are journaled and acknowledged, none replayed (targetHeld).
func startHeld(ctx context.Context, bin, dir string, primary []string, journal, proxyKeys string) (*esdrBed, error) {
	adminAddr, proxyAddr, err := esdrproc.Addrs()
	if err != nil {
		return nil, err
	}
	nowhere, _, err := esdrproc.Addrs()
	if err != nil {
		return nil, err
	}
	cfg := esdrConfig(primary, []string{"http://" + nowhere}, adminAddr, proxyAddr, journal, proxyKeys)
	p, err := esdrproc.New(bin, dir, adminAddr, cfg)
	if err != nil {
		return nil, err
	}
	// With no state and a standby it cannot read, esdr refuses to guess which cluster
	// takes traffic: say it.
	p.Args = []string{"--bootstrap-active", "primary"}
	if err := p.Start(ctx); err != nil {
		return nil, err
	}
	if err := p.WaitUp(ctx, 2*time.Minute, "primary"); err != nil {
		p.Stop()
		return nil, err
	}
	return &esdrBed{proc: p, proxyURL: "http://" + proxyAddr, adminURL: "http://" + adminAddr, config: cfg}, nil
}

// do sends one request to a node directly and returns its status and (bounded) body.
func do(ctx context.Context, client *http.Client, method, url, body string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, b, err
}

// freshIndex deletes index on every node given and creates it empty: one shard, no
// replica (each cluster has one node), the default refresh interval.
func freshIndex(ctx context.Context, client *http.Client, index string, nodes ...string) error {
	for _, n := range nodes {
		if err := dropIndex(ctx, client, index, n); err != nil {
			return err
		}
		st, b, err := do(ctx, client, http.MethodPut, n+"/"+index+"?wait_for_active_shards=1",
			`{"settings":{"number_of_shards":1,"number_of_replicas":0}}`)
		if err != nil || st != 200 {
			return fmt.Errorf("create %s on %s: HTTP %d %s %v", index, n, st, b, err)
		}
	}
	return nil
}

// dropIndex deletes index on node; a missing index is fine.
func dropIndex(ctx context.Context, client *http.Client, index, node string) error {
	st, b, err := do(ctx, client, http.MethodDelete, node+"/"+index, "")
	if err != nil || (st != 200 && st != 404) {
		return fmt.Errorf("delete %s on %s: HTTP %d %s %v", index, node, st, b, err)
	}
	return nil
}

// count refreshes index on node and returns how many documents it holds. A 429 (the
// small heap's circuit breaker, right after a _bulk load) is pushback: it waits and asks
// again for up to a minute.
func count(ctx context.Context, client *http.Client, index, node string) (int, error) {
	st, b, err := pushedBack(ctx, client, http.MethodPost, node+"/"+index+"/_refresh")
	if err != nil || st != 200 {
		return 0, fmt.Errorf("refresh %s on %s: HTTP %d %s %v", index, node, st, b, err)
	}
	st, b, err = pushedBack(ctx, client, http.MethodGet, node+"/"+index+"/_count")
	var r struct {
		Count *int `json:"count"`
	}
	if err != nil || st != 200 || json.Unmarshal(b, &r) != nil || r.Count == nil {
		return 0, fmt.Errorf("count %s on %s: HTTP %d %s %v", index, node, st, b, err)
	}
	return *r.Count, nil
}

// pushedBack is do without a body, asked again every second while the node answers 429.
func pushedBack(ctx context.Context, client *http.Client, method, url string) (int, []byte, error) {
	for range 60 {
		st, b, err := do(ctx, client, method, url, "")
		if err != nil || st != http.StatusTooManyRequests {
			return st, b, err
		}
		select {
		case <-ctx.Done():
			return st, b, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return do(ctx, client, method, url, "")
}

// scrape reads the named unlabelled gauges and counters from esdr's /metrics.
func scrape(ctx context.Context, client *http.Client, adminURL string, names ...string) (map[string]float64, error) {
	out := map[string]float64{}
	err := eachMetricLine(ctx, client, adminURL, func(line []byte) {
		name, val, ok := bytes.Cut(line, []byte{' '})
		if !ok {
			return
		}
		for _, n := range names {
			if string(name) == n {
				if v, err := strconv.ParseFloat(string(val), 64); err == nil {
					out[n] = v
				}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			return nil, fmt.Errorf("metrics: no %s", n)
		}
	}
	return out, nil
}

// eachMetricLine calls fn with each line of esdr's /metrics at adminURL.
func eachMetricLine(ctx context.Context, client *http.Client, adminURL string, fn func(line []byte)) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, adminURL+"/metrics", nil)
	if err != nil {
		return err
	}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("metrics: HTTP %d", res.StatusCode)
	}
	sc := bufio.NewScanner(io.LimitReader(res.Body, 8<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fn(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// journalDir is where the mirror-on esdr keeps its journal.
func journalDir(dir string) string { return filepath.Join(dir, "journal") }
