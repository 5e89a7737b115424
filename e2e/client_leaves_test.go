package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed/poll"
)

// slowSearchIndex is an index of many small documents, for a search made slow by a
// script that loops over each (leavingSearch).
func slowSearchIndex(t *testing.T, node, index string) {
	t.Helper()
	var b strings.Builder
	for i := range 50000 {
		fmt.Fprintf(&b, "{\"index\":{\"_index\":%q,\"_id\":\"%d\"}}\n{\"n\":%d}\n", index, i, i)
	}
	res, err := http.Post(node+"/_bulk?refresh=true", "application/x-ndjson", strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<10))
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"errors":false`) {
		t.Fatalf("indexing %s: %d %s", index, res.StatusCode, body)
	}
}

// leavingSearch sends, on a connection to esdr's proxy, a search over index that takes
// the node half a minute (a script looping 600,000 times per document: 33 s on the
// test bed's machine, bounded by the search's own 60 s timeout), closes the connection
// once the node runs it, and checks that the node cancels the search within 5 s: esdr
// closed its connection to the node, which Elasticsearch and OpenSearch take as the
// search's cancellation (OpenSearch marks the task cancelled at once, and it stops at
// its next check; Elasticsearch 7.10 has no mark, and the task must end within the 5 s).
// With pipelined, a second request follows the search on the connection.
func leavingSearch(t *testing.T, node, index string, c net.Conn, pipelined bool) {
	t.Helper()
	// A chain of square roots, each waiting for the one before: the JIT can neither
	// vectorize nor drop it (a chain of multiplications went 0.2 µs a document).
	body := `{"timeout":"60s","query":{"bool":{"filter":{"script":{"script":{"source":` +
		`"double s = doc['n'].value; for (int i = 0; i < 600000; i++) { s = Math.sqrt(s + i); } return s > -1;"}}}}}}`
	req := fmt.Sprintf("POST /%s/_search HTTP/1.1\r\nHost: esdr\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		index, len(body), body)
	if pipelined {
		req += "GET /_cluster/health HTTP/1.1\r\nHost: esdr\r\n\r\n"
	}
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // a search left running would hold a core for the next tests
		if res, err := http.Post(node+"/_tasks/_cancel?actions=indices:data/read/search*", "", nil); err == nil {
			res.Body.Close()
		}
	})
	// running counts the node's searches not yet cancelled.
	running := func() int {
		res, err := http.Get(node + "/_tasks?actions=indices:data/read/search&detailed=true")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var tasks struct {
			Nodes map[string]struct {
				Tasks map[string]struct {
					Cancelled bool `json:"cancelled"`
				} `json:"tasks"`
			} `json:"nodes"`
		}
		if err := json.NewDecoder(bufio.NewReader(res.Body)).Decode(&tasks); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, nd := range tasks.Nodes {
			for _, task := range nd.Tasks {
				if !task.Cancelled {
					n++
				}
			}
		}
		return n
	}
	poll.Eventually(t, "the search running at the node", 20*time.Second, func() bool { return running() > 0 })
	started := time.Now()
	c.Close()
	poll.Eventually(t, "the node cancelling the search after its client left", 5*time.Second, func() bool { return running() == 0 })
	t.Logf("the node cancelled the search %s after its client left", time.Since(started).Round(time.Millisecond))
}
