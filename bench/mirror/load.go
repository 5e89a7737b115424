package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// mode is how the load writes: one document per request, or a _bulk of several.
type mode string

const (
	modeSingle mode = "single" // PUT /idx/_doc/<id>
	modeBulk   mode = "bulk"   // POST /_bulk with explicit ids
)

// loadSpec is one measured load: workers writing to index at url for d.
type loadSpec struct {
	urls    []string // worker i sends to urls[i % len(urls)]
	index   string
	mode    mode
	workers int
	batch   int // documents per _bulk
	d       time.Duration
	prefix  string // document ids are <prefix><worker>-<n>, unique per run
}

// loadResult is what one load measured. A request is an error when it got no answer, an
// answer other than 2xx, or (for _bulk) any item refused; docs counts only the documents
// the cluster acknowledged.
type loadResult struct {
	requests, errors, docs int
	elapsed                time.Duration
	p50, p99               time.Duration
	firstErr               string
	clusters               map[string]int // X-Esdr-Cluster@X-Esdr-Epoch of the answers, through esdr
}

// perSecond is acknowledged documents per second (ops/s for single writes).
func (r loadResult) perSecond() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.docs) / r.elapsed.Seconds()
}

// worker is one client goroutine's tally.
type worker struct {
	lat                    []time.Duration
	requests, errors, docs int
	firstErr               string
	clusters               map[string]int
}

// runLoad runs spec's workers until spec.d has passed, each sending its next request as
// soon as the previous one was answered (closed loop), and merges their tallies. No
// request is cut short: after spec.d none starts, and the elapsed time runs until the
// last one in flight was answered, so every write sent has a known outcome.
func runLoad(ctx context.Context, client *http.Client, spec loadSpec) loadResult {
	ws := make([]*worker, spec.workers)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range ws {
		ws[i] = &worker{clusters: map[string]int{}}
		wg.Add(1)
		go func(w *worker, id int) {
			defer wg.Done()
			w.run(ctx, client, spec, id, start.Add(spec.d))
		}(ws[i], i)
	}
	wg.Wait()
	res := loadResult{elapsed: time.Since(start), clusters: map[string]int{}}
	var lat []time.Duration
	for _, w := range ws {
		lat = append(lat, w.lat...)
		res.requests += w.requests
		res.errors += w.errors
		res.docs += w.docs
		if res.firstErr == "" {
			res.firstErr = w.firstErr
		}
		for k, v := range w.clusters {
			res.clusters[k] += v
		}
	}
	slices.Sort(lat)
	res.p50, res.p99 = quantile(lat, 0.50), quantile(lat, 0.99)
	return res
}

func (w *worker) run(ctx context.Context, client *http.Client, spec loadSpec, id int, until time.Time) {
	var body bytes.Buffer
	for n := 0; ctx.Err() == nil && time.Now().Before(until); n++ {
		body.Reset()
		method, url, ctype, docs := http.MethodPut, "", "application/json", 1
		base := spec.urls[id%len(spec.urls)]
		if spec.mode == modeBulk {
			method, url, ctype, docs = http.MethodPost, base+"/_bulk", "application/x-ndjson", spec.batch
			for k := range spec.batch {
				fmt.Fprintf(&body, "{\"index\":{\"_index\":%q,\"_id\":\"%s%d-%d-%d\"}}\n", spec.index, spec.prefix, id, n, k)
				writeDoc(&body, id, n*spec.batch+k)
				body.WriteByte('\n')
			}
		} else {
			url = fmt.Sprintf("%s/%s/_doc/%s%d-%d", base, spec.index, spec.prefix, id, n)
			writeDoc(&body, id, n)
		}
		t0 := time.Now()
		ok, cluster, err := send(ctx, client, method, url, ctype, body.Bytes(), spec.mode == modeBulk, docs)
		if ctx.Err() != nil {
			return // interrupted (Ctrl-C): the benchmark is abandoned
		}
		w.lat = append(w.lat, time.Since(t0))
		w.requests++
		w.docs += ok
		if cluster != "" {
			w.clusters[cluster]++
		}
		if err != nil {
			w.errors++
			if w.firstErr == "" {
				w.firstErr = err.Error()
			}
		}
	}
}

// writeDoc appends a small document (about 90 bytes).
func writeDoc(b *bytes.Buffer, worker, n int) {
	fmt.Fprintf(b, `{"worker":%d,"n":%d,"msg":"esdr mirror benchmark document","tags":["bench","mirror"]}`, worker, n)
}

// send makes one request and returns how many documents were acknowledged, the cluster and
// epoch that answered (esdr's headers; empty directly), and an error for anything short
// of every document acknowledged.
func send(ctx context.Context, client *http.Client, method, url, ctype string, body []byte, bulk bool, docs int) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", ctype)
	res, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	msg, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	cluster := ""
	if c := res.Header.Get("X-Esdr-Cluster"); c != "" {
		cluster = c + "@" + res.Header.Get("X-Esdr-Epoch")
	}
	if err != nil {
		return 0, cluster, fmt.Errorf("read answer: %w", err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return 0, cluster, fmt.Errorf("HTTP %d: %.200s", res.StatusCode, msg)
	}
	if !bulk {
		return 1, cluster, nil
	}
	if bytes.Contains(msg[:min(len(msg), 64)], []byte(`"errors":false`)) {
		return docs, cluster, nil
	}
	var br struct {
		Items []map[string]struct {
			Status int             `json:"status"`
			Error  json.RawMessage `json:"error"`
		} `json:"items"`
	}
	if err := json.Unmarshal(msg, &br); err != nil {
		return 0, cluster, fmt.Errorf("_bulk answer: %w: %.200s", err, msg)
	}
	ok, first := 0, ""
	for _, it := range br.Items {
		for _, r := range it {
			if r.Status >= 200 && r.Status < 300 {
				ok++
			} else if first == "" {
				first = fmt.Sprintf("item HTTP %d: %.200s", r.Status, r.Error)
			}
		}
	}
	if ok < docs {
		return ok, cluster, fmt.Errorf("_bulk: %d of %d items refused, first: %s", docs-ok, docs, first)
	}
	return ok, cluster, nil
}

// quantile is the q-quantile of sorted durations (nearest rank), 0 for none.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// clusterList renders the answering clusters, "primary@1 ×1234", for the log.
func clusterList(m map[string]int) string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s ×%d", k, v))
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}
