package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// The benchmarks measure the proxy's own cost in process, against an httptest node: a
// fake is enough for a microbenchmark. Numbers on real clusters come from bench/proxy.
//
//	go test -run '^$' -bench . -benchmem ./internal/route/proxy/
//
// BenchmarkDirect and BenchmarkThroughProxy compare the same GET against one node,
// directly and through the proxy; the difference is the proxy's overhead (its server
// side, its transport and its own logic).
func BenchmarkDirect(b *testing.B) {
	node := newBackend(b, "a1", nil)
	benchGET(b, node.url(), 1)
}

func BenchmarkThroughProxy(b *testing.B) {
	node := newBackend(b, "a1", nil)
	h := startProxy(b, Config{}, newRouter("east", 1, node.url()), &fakeProber{})
	benchGET(b, h.url, 1)
}

// BenchmarkThroughProxy256 runs 256 clients at once, as bench/proxy's largest cell
// does, and reports the heap and goroutine stacks in use at the end (client and node
// included: compare runs with each other, not with bench/proxy's RSS).
func BenchmarkThroughProxy256(b *testing.B) {
	node := newBackend(b, "a1", nil)
	h := startProxy(b, Config{MaxIdlePerNode: 256}, newRouter("east", 1, node.url()), &fakeProber{})
	benchGET(b, h.url, 256/runtime.GOMAXPROCS(0))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(ms.StackInuse)/(1<<20), "stack-MiB")
}

// BenchmarkServeHTTP calls the handler directly, leaving out the client's connection
// to the proxy: what remains is the proxy's logic and its transport to the node.
func BenchmarkServeHTTP(b *testing.B) {
	node := newBackend(b, "a1", nil)
	h := startProxy(b, Config{}, newRouter("east", 1, node.url()), &fakeProber{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest(http.MethodGet, "/idx/_search", nil)
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			h.px.ServeHTTP(w, req)
			if w.status != http.StatusOK {
				b.Errorf("status %d", w.status)
				return
			}
		}
	})
}

// BenchmarkWriteThroughProxy sends a small _bulk body: a write, kept for a retry
// until it is known to have been delivered.
func BenchmarkWriteThroughProxy(b *testing.B) {
	node := newBackend(b, "a1", nil)
	h := startProxy(b, Config{}, newRouter("east", 1, node.url()), &fakeProber{})
	const bulk = `{"index":{"_index":"idx","_id":"1"}}` + "\n" + `{"field":"value"}` + "\n"
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Post(h.url+"/_bulk", "application/x-ndjson", strings.NewReader(bulk))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

func benchGET(b *testing.B, base string, parallelism int) {
	tr := &http.Transport{MaxIdleConnsPerHost: 1024}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.SetParallelism(parallelism)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Get(base + "/idx/_search")
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) Flush()                      {}
