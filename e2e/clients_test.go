package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	es7 "github.com/elastic/go-elasticsearch/v7"
	opensearch "github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
)

// TestOfficialClientsThroughProxy points the official Go clients of each engine at the
// proxy, unchanged: go-elasticsearch v7 for Elasticsearch 7.10, opensearch-go for OpenSearch.
// go-elasticsearch is pinned to 7.13: from 7.14 it refuses the OSS build of 7.10 that the
// test bed runs ("not a supported distribution"), proxy or not.
func TestOfficialClientsThroughProxy(t *testing.T) {
	t.Run("go-elasticsearch v7 on Elasticsearch 7.10", func(t *testing.T) {
		p := clusters(t, "es7")
		s := defaults()
		s.proxy = true
		e := startEsdr(t, p, s)
		e.waitActive("primary", 1, detectBound)
		c, err := es7.NewClient(es7.Config{Addresses: []string{e.proxyURL}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Index("clients-es7", strings.NewReader(`{"via":"esdr"}`), c.Index.WithDocumentID("1"), c.Index.WithRefresh("true"))
		if err != nil || res.IsError() {
			t.Fatalf("index: %v %v", err, res)
		}
		res.Body.Close()
		res, err = c.Search(c.Search.WithIndex("clients-es7"), c.Search.WithBody(strings.NewReader(`{"query":{"match":{"via":"esdr"}}}`)))
		if err != nil || res.IsError() {
			t.Fatalf("search: %v %v", err, res)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !bytes.Contains(body, []byte(`"_id":"1"`)) {
			t.Fatalf("search did not find the document: %s", body)
		}
		if got := res.Header.Get("X-Esdr-Cluster"); got != "primary" {
			t.Fatalf("served by %q", got)
		}
	})
	t.Run("opensearch-go on OpenSearch 2", func(t *testing.T) {
		p := clusters(t, "opensearch2")
		s := defaults()
		s.proxy = true
		e := startEsdr(t, p, s)
		e.waitActive("primary", 1, detectBound)
		c, err := opensearchapi.NewClient(opensearchapi.Config{Client: opensearch.Config{Addresses: []string{e.proxyURL}}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if _, err := c.Index(ctx, opensearchapi.IndexReq{Index: "clients-os", DocumentID: "1",
			Body: strings.NewReader(`{"via":"esdr"}`), Params: opensearchapi.IndexParams{Refresh: "true"}}); err != nil {
			t.Fatalf("index: %v", err)
		}
		res, err := c.Search(ctx, &opensearchapi.SearchReq{Indices: []string{"clients-os"},
			Body: strings.NewReader(`{"query":{"match":{"via":"esdr"}}}`)})
		if err != nil {
			t.Fatalf("search: %v", err)
		}
		if res.Hits.Total.Value != 1 {
			t.Fatalf("hits %d, want 1", res.Hits.Total.Value)
		}
		h, err := c.Cluster.Health(ctx, nil)
		if err != nil || h.ClusterName != p.primary.Name {
			t.Fatalf("health through the proxy: %+v %v", h, err)
		}
	})
}

// TestLargeBulkStreams sends 100 MiB of _bulk bodies through the proxy to a real cluster
// (five of 20 MiB: the test nodes' indexing-pressure limit is 10% of a 384 MiB heap) and
// checks the esdr process's resident memory grows by less than one body.
func TestLargeBulkStreams(t *testing.T) {
	p := clusters(t, "opensearch2")
	s := defaults()
	s.proxy, s.plain = true, true
	e := startEsdr(t, p, s)
	e.waitActive("primary", 1, detectBound)
	const size, rounds = 20 << 20, 5 // the 100 MB, in bodies the test nodes accept
	before := rss(t, e.Pid())
	streamBulks(t, e.proxyURL, "bulk-stream", size, rounds)
	after := rss(t, e.Pid())
	t.Logf("esdr RSS %d MiB → %d MiB after streaming %d × %d MiB", before>>20, after>>20, rounds, size>>20)
	if grew := after - before; grew > 16<<20 {
		t.Fatalf("esdr RSS grew by %d MiB for %d MiB bodies: bodies were buffered", grew>>20, size>>20)
	}
}

// streamBulks sends rounds _bulk bodies of about size bytes each, chunked, through url
// into index, and wants each accepted without errors.
func streamBulks(t *testing.T, url, index string, size, rounds int) {
	t.Helper()
	doc := `{"text":"` + strings.Repeat("x", 32<<10) + `"}` + "\n"
	n := size / (len(doc) + 40)
	client := http.Client{Timeout: 3 * time.Minute}
	for r := range rounds {
		pr, pw := io.Pipe()
		go func() {
			for i := range n {
				fmt.Fprintf(pw, `{"index":{"_index":"%s","_id":"%d-%d"}}`+"\n", index, r, i)
				io.WriteString(pw, doc)
			}
			pw.Close()
		}()
		req, _ := http.NewRequest(http.MethodPost, url+"/_bulk", pr)
		req.Header.Set("Content-Type", "application/x-ndjson")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		res.Body.Close()
		if res.StatusCode != 200 || !bytes.Contains(body, []byte(`"errors":false`)) {
			t.Fatalf("bulk %d: %d %s", r, res.StatusCode, body[:min(len(body), 300)])
		}
	}
}

// rss is a process's resident set size in bytes, from /proc.
func rss(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}
