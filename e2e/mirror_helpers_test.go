package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/drill"
	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/poll"
)

const mirrorIndex = "esdr-mirror"

// freshMirrorIndex deletes and recreates the mirrored index on both clusters, directly:
// each test starts from empty indices and a new journal.
func freshMirrorIndex(t *testing.T, p pair) {
	t.Helper()
	ctx := context.Background()
	for c, replicas := range map[*testbed.Cluster]int{p.primary: 1, p.standby: 0} {
		es := esOf(t, c)
		if st, b, err := es.Do(ctx, http.MethodDelete, "/"+mirrorIndex, nil); err != nil || (st != 200 && st != 404) {
			t.Fatalf("delete %s: %d %s %v", mirrorIndex, st, b, err)
		}
		if err := drill.Prepare(ctx, es, mirrorIndex, replicas); err != nil {
			t.Fatal(err)
		}
	}
}

func mirrorSettings() settings {
	s := defaults()
	s.proxy = true
	s.extra = "mirror:\n  enabled: true\n  journal_dir: journal\n  drain_wait: 20s\n"
	return s
}

// bulkLoad sends a _bulk of five index items with explicit ids every interval, and
// records which ids each cluster acknowledged (item by item) and which got an error.
type bulkLoad struct {
	mu     sync.Mutex
	acked  map[string][]string // cluster@epoch -> ids
	failed []string
}

func (b *bulkLoad) run(ctx context.Context, t *testing.T, url string) {
	client := &http.Client{Timeout: 10 * time.Second}
	for n := 0; ctx.Err() == nil; n++ {
		var body strings.Builder
		var ids []string
		for k := range 5 {
			id := fmt.Sprintf("bulk-%d-%d", n, k)
			ids = append(ids, id)
			fmt.Fprintf(&body, "{\"index\":{\"_index\":%q,\"_id\":%q}}\n{\"n\":%d,\"k\":%d}\n", mirrorIndex, id, n, k)
		}
		res, err := client.Post(url+"/_bulk", "application/x-ndjson", strings.NewReader(body.String()))
		if err != nil {
			b.fail(ids...)
			continue
		}
		msg, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var br struct {
			Items []map[string]struct {
				ID     string `json:"_id"`
				Status int    `json:"status"`
			} `json:"items"`
		}
		if res.StatusCode != 200 || json.Unmarshal(msg, &br) != nil {
			b.fail(ids...)
		} else {
			for _, it := range br.Items {
				if r := it["index"]; r.Status >= 200 && r.Status < 300 {
					b.ack(res.Header.Get("X-Esdr-Cluster")+"@"+res.Header.Get("X-Esdr-Epoch"), r.ID)
				} else {
					b.fail(r.ID)
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (b *bulkLoad) ack(key, id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.acked == nil {
		b.acked = map[string][]string{}
	}
	b.acked[key] = append(b.acked[key], id)
}

func (b *bulkLoad) fail(ids ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failed = append(b.failed, ids...)
}

// mirrorStream runs single writes with explicit ids, searches and _bulk writes through
// the proxy while during runs, and returns the ids acknowledged by each cluster at each
// epoch ("primary@1") and how many writes failed. Unless esdr itself goes away (crash), every failure must be an
// HTTP answer.
func mirrorStream(t *testing.T, url string, crash bool, during func()) (map[string][]string, int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // also when during fails the test
	done := make(chan []drill.Sample, 1)
	go func() {
		done <- drill.Load{URL: url, Index: mirrorIndex, Workers: 4, Every: 10 * time.Millisecond, WriteEvery: 2, Timeout: 30 * time.Second}.Run(ctx)
	}()
	bl := &bulkLoad{}
	bulkDone := make(chan struct{})
	go func() { bl.run(ctx, t, url); close(bulkDone) }()
	during()
	cancel()
	samples := <-done
	<-bulkDone
	acked := map[string][]string{}
	for _, x := range samples {
		if x.Op == drill.OpIndex && x.OK() {
			acked[x.Cluster+"@"+x.Epoch] = append(acked[x.Cluster+"@"+x.Epoch], x.DocID)
		}
	}
	failed := len(bl.failed)
	for _, x := range samples {
		if x.Op == drill.OpIndex && !x.OK() {
			failed++
			if x.Status == 0 && !crash {
				t.Errorf("write %s failed without an HTTP answer: %s", x.DocID, x.Err)
			}
		}
		if x.Op == drill.OpSearch && !x.OK() && x.Status != 503 && !crash {
			t.Errorf("search failed: %s", x.Err)
		}
	}
	for c, ids := range bl.acked {
		acked[c] = append(acked[c], ids...)
	}
	return acked, failed
}

func allIDs(acked map[string][]string) []string {
	var out []string
	for _, ids := range acked {
		out = append(out, ids...)
	}
	return out
}

// byCluster merges the acknowledged ids of every epoch per cluster.
func byCluster(acked map[string][]string) map[string][]string {
	out := map[string][]string{}
	for key, ids := range acked {
		c, _, _ := strings.Cut(key, "@")
		out[c] = append(out[c], ids...)
	}
	return out
}

// waitPending waits until cluster lacks no journaled write, by esdr status.
func waitPending(e *esdr, cluster string, within time.Duration) {
	e.eventually("mirror: "+cluster+" caught up", within, func() bool {
		st := e.status()
		return st.Mirror != nil && st.Mirror.Pending[cluster] == 0
	})
}

// docCount is how many documents c's mirrored index holds (as of its last refresh).
func docCount(t *testing.T, c *testbed.Cluster) int {
	st, b, err := esOf(t, c).Do(context.Background(), http.MethodGet, "/"+mirrorIndex+"/_count", nil)
	var r struct {
		Count int `json:"count"`
	}
	if err != nil || st != 200 || json.Unmarshal(b, &r) != nil {
		return -1
	}
	return r.Count
}

// moreDocs waits until c's mirrored index holds n more documents than now: the load
// reached it, however slow the machine.
func moreDocs(t *testing.T, c *testbed.Cluster, n int) {
	t.Helper()
	from := docCount(t, c)
	poll.Eventually(t, fmt.Sprintf("%d more documents", n), time.Minute, func() bool { return docCount(t, c) >= from+n })
}
