// Package drill measures failover the way applications feel it: a steady mix of reads and
// writes through the endpoint applications use, every request recorded with its outcome
// and the cluster that served it, so that RTO, failed requests and lost acknowledged
// writes come from what clients saw, not from what esdr believes.
package drill

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Op is the kind of a request the load sends.
type Op string

const (
	OpSearch Op = "search"
	OpIndex  Op = "index"
)

// Sample is one request and what came of it.
type Sample struct {
	Op      Op            `json:"op"`
	Start   time.Time     `json:"start"`
	Latency time.Duration `json:"latency_ns"`
	Status  int           `json:"status"`
	// Cluster and Epoch come from the proxy's X-Esdr-Cluster and X-Esdr-Epoch headers.
	Cluster string `json:"cluster,omitempty"`
	Epoch   string `json:"epoch,omitempty"`
	// DocID is the explicit id of an index request.
	DocID string `json:"doc_id,omitempty"`
	Err   string `json:"err,omitempty"`
}

// OK reports whether the request succeeded (a 2xx answer).
func (s Sample) OK() bool { return s.Err == "" && s.Status >= 200 && s.Status < 300 }

// Load drives requests at a fixed pace through URL until its context ends.
type Load struct {
	// URL is the endpoint base, e.g. http://127.0.0.1:9200 (esdr's proxy).
	URL string
	// Index receives the writes and is searched by the reads; create it first (Prepare).
	Index string
	// Workers each send one request per Every; every WriteEvery-th request of a worker
	// is an index request with an explicit id (0 means reads only).
	Workers    int
	Every      time.Duration
	WriteEvery int
	// Timeout bounds each request (default 5s).
	Timeout time.Duration
	// Client defaults to a keep-alive client like an application's.
	Client *http.Client
	// IDPrefix starts every document id, so that a drill's writes are its own: the index is
	// kept between drills, and a lost write must not be found as an earlier drill's
	// document of the same id.
	IDPrefix string
}

// Run sends requests until ctx ends and returns every sample, in start order per worker.
func (l Load) Run(ctx context.Context) []Sample {
	if l.Client == nil {
		l.Client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	}
	if l.Timeout == 0 {
		l.Timeout = 5 * time.Second
	}
	if l.Workers < 1 {
		l.Workers = 1
	}
	var mu sync.Mutex
	var all []Sample
	var wg sync.WaitGroup
	for w := range l.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := l.worker(ctx, w)
			mu.Lock()
			all = append(all, got...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all
}

func (l Load) worker(ctx context.Context, w int) []Sample {
	var out []Sample
	tick := time.NewTicker(l.Every)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return out
		case <-tick.C:
		}
		if l.WriteEvery > 0 && i%l.WriteEvery == l.WriteEvery-1 {
			id := l.IDPrefix + "w" + strconv.Itoa(w) + "-" + strconv.Itoa(i)
			body := fmt.Sprintf(`{"worker":%d,"seq":%d,"at":%q}`, w, i, time.Now().UTC().Format(time.RFC3339Nano))
			out = append(out, l.do(ctx, OpIndex, http.MethodPut, "/"+l.Index+"/_doc/"+id, body, id))
			continue
		}
		out = append(out, l.do(ctx, OpSearch, http.MethodPost, "/"+l.Index+"/_search", `{"size":1,"query":{"match_all":{}}}`, ""))
	}
}

func (l Load) do(ctx context.Context, op Op, method, path, body, id string) Sample {
	s := Sample{Op: op, Start: time.Now(), DocID: id}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, method, l.URL+path, bytes.NewReader([]byte(body)))
	if err != nil {
		s.Err = err.Error()
		return s
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.Client.Do(req)
	s.Latency = time.Since(s.Start)
	if err != nil {
		s.Err = err.Error()
		return s
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	s.Status, s.Cluster, s.Epoch = resp.StatusCode, resp.Header.Get("X-Esdr-Cluster"), resp.Header.Get("X-Esdr-Epoch")
	if s.Status < 200 || s.Status > 299 {
		s.Err = fmt.Sprintf("HTTP %d: %s", s.Status, bytes.TrimSpace(msg))
	}
	return s
}
