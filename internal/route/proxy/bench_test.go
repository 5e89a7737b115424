package proxy

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkDirect and BenchmarkThroughProxy compare the same GET against one node,
// directly and through the proxy; the difference is the proxy's overhead in process.
func BenchmarkDirect(b *testing.B) {
	node := newBackend(b, "a1", nil)
	benchGET(b, node.url())
}

func BenchmarkThroughProxy(b *testing.B) {
	node := newBackend(b, "a1", nil)
	h := startProxy(b, Config{}, newRouter("east", 1, node.url()), &fakeProber{})
	benchGET(b, h.url)
}

func benchGET(b *testing.B, base string) {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	b.ReportAllocs()
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
