package esclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCountsOfManyIndicesStaysUnderTheInitialLineBound: names are sent in batches whose
// request line stays under Elasticsearch's 4 KiB default, and every batch is counted.
func TestCountsOfManyIndicesStaysUnderTheInitialLineBound(t *testing.T) {
	var lines []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		lines = append(lines, len(r.Method)+1+len(r.URL.RequestURI())+len(" HTTP/1.1"))
		names := strings.Split(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/_search"), ",")
		var b strings.Builder
		for i, n := range names {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"key":%q,"doc_count":%d}`, n, len(n))
		}
		fmt.Fprintf(w, `{"aggregations":{"by_index":{"buckets":[%s]}}}`, b.String())
	}))
	defer srv.Close()
	c := newClient(t, []string{srv.URL}, Options{})
	var names []string
	for i := range 400 {
		names = append(names, fmt.Sprintf("logs-2026.12.%04d-%d", i, i))
	}
	got, err := c.CountsOf(context.Background(), names)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) < 2 {
		t.Errorf("%d requests for 400 names, want them in batches", len(lines))
	}
	for _, l := range lines {
		if l > 4096 {
			t.Errorf("a request line of %d bytes, want at most 4096", l)
		}
	}
	for _, n := range names {
		if got[n] != int64(len(n)) {
			t.Fatalf("count of %s = %d, want %d (every batch read)", n, got[n], len(n))
		}
	}
}
