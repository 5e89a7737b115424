package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed"
)

// TestOwnDataPathOnARealCluster runs the proxy's own HTTP/1.1 server and upstream client
// (proxy.server: h1, proxy.upstream_client: h1) before a real cluster: 100 MiB of chunked
// _bulk streams through and comes back as one search answer, a body over the node's http.max_content_length (100mb) gets the
// node's own early 413 rather than a 502, a client that leaves while its slow search
// runs (a request pipelined behind it) ends the search at the node, and a client that
// aborts mid-body leaves the proxy serving the next request.
func TestOwnDataPathOnARealCluster(t *testing.T) {
	shared := clusters(t, "opensearch2")
	// A primary of its own: the test fills a node's heap (100 MiB bodies and answers, a
	// 200 MiB upload), and the parent circuit breaker, which counts the heap in use,
	// would answer 429 to the shared pair's next tests until a collection.
	own := testbed.StartForTest(t, testbed.Spec{Engine: "opensearch2", Cluster: "e2e-h1-primary", Nodes: 1})
	p := pair{engine: shared.engine, primary: own, standby: shared.standby}
	s := defaults()
	s.proxy, s.plain = true, true
	s.proxyKeys = "  server: h1\n  upstream_client: h1\n"
	e := startEsdr(t, p, s)
	e.waitActive("primary", 1, detectBound)
	addr := strings.TrimPrefix(e.proxyURL, "http://")

	t.Run("100 MiB of chunked _bulk streams through", func(t *testing.T) {
		before := rss(t, e.Pid())
		streamBulks(t, e.proxyURL, "h1-stream", 21<<20, 5)
		after := rss(t, e.Pid())
		t.Logf("esdr RSS %d MiB → %d MiB", before>>20, after>>20)
		if grew := after - before; grew > 16<<20 {
			t.Fatalf("esdr RSS grew by %d MiB for 21 MiB bodies: bodies were buffered", grew>>20)
		}
	})

	t.Run("a 100 MiB search answer streams back", func(t *testing.T) {
		if res, err := http.Post(e.proxyURL+"/h1-stream/_refresh", "application/json", nil); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("refresh: %v %v", res, err)
		} else {
			res.Body.Close()
		}
		before := rss(t, e.Pid())
		res, err := http.Get(e.proxyURL + "/h1-stream/_search?size=10000")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var n int64
		hits := 0
		buf := make([]byte, 1<<20)
		for {
			m, err := res.Body.Read(buf)
			n += int64(m)
			hits += bytes.Count(buf[:m], []byte(`"_id"`))
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("after %d MiB of the answer: %v", n>>20, err)
			}
		}
		after := rss(t, e.Pid())
		t.Logf("search answer %d MiB, %d hits; esdr RSS %d MiB → %d MiB", n>>20, hits, before>>20, after>>20)
		if res.StatusCode != http.StatusOK || n < 100<<20 {
			t.Fatalf("answer %d of %d MiB, want 200 and at least 100 MiB", res.StatusCode, n>>20)
		}
		if grew := after - before; grew > 16<<20 {
			t.Fatalf("esdr RSS grew by %d MiB for a 100 MiB answer: it was buffered", grew>>20)
		}
	})

	t.Run("the node's early 413 reaches the client", func(t *testing.T) {
		c, br := upload(t, addr, 200<<20)
		defer c.Close()
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("no answer to a 200 MiB upload the node refuses: %v", err)
		}
		body, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
		if res.StatusCode != http.StatusRequestEntityTooLarge || res.Header.Get("X-Esdr-Cluster") != "primary" {
			t.Fatalf("answer %d (cluster %q) %s, want the node's 413", res.StatusCode, res.Header.Get("X-Esdr-Cluster"), body)
		}
	})

	t.Run("a client that leaves behind a pipelined request ends its search at the node", func(t *testing.T) {
		slowSearchIndex(t, own.URLs()[0], "h1-leave")
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		leavingSearch(t, own.URLs()[0], "h1-leave", c, true)
	})

	t.Run("a client aborting mid-body leaves the proxy serving", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(time.Minute))
		// The head and 1 MiB of an 8 MiB body, written before the close: the proxy has
		// taken them (the write returned), so it is mid-body with the node when the client goes.
		head := fmt.Sprintf("POST /_bulk HTTP/1.1\r\nHost: esdr\r\nContent-Type: application/x-ndjson\r\nContent-Length: %d\r\n\r\n", 8<<20)
		if _, err := c.Write(append([]byte(head), make([]byte, 1<<20)...)); err != nil {
			t.Fatal(err)
		}
		c.Close()
		res, err := http.Get(e.proxyURL + "/_cluster/health")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("the next request: %d", res.StatusCode)
		}
	})
}

// upload opens a raw connection to addr and sends a _bulk head announcing size bytes,
// then zeros until size or a write fails, from another goroutine.
func upload(t *testing.T, addr string, size int) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	head := fmt.Sprintf("POST /_bulk HTTP/1.1\r\nHost: esdr\r\nContent-Type: application/x-ndjson\r\nContent-Length: %d\r\n\r\n", size)
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 64<<10)
		for sent := 0; sent < size; sent += len(buf) {
			if _, err := c.Write(buf[:min(len(buf), size-sent)]); err != nil {
				return
			}
		}
	}()
	return c, bufio.NewReader(c)
}
