package mirror

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/epoch"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/testbed"
)

// TestVersionedReplayPeer is two fleet members' journals against a real node of each
// engine: clients write the same documents through two mirrors (single writes and
// _bulk items, partial updates and upserts, deletes, a write guarded by if_seq_no), each journaling on its own; the
// journals are then replayed one after the other, the member that wrote last first —
// the worst order — and the other way round. Either way the copy must hold every
// document with the active cluster's source and _version, and none it deleted.
func TestVersionedReplayPeer(t *testing.T) {
	for _, engine := range testbed.EnginesUnderTest() {
		t.Run(engine, func(t *testing.T) {
			tb := testbed.StartForTest(t, testbed.Spec{Engine: engine, Cluster: "versions-" + engine, Nodes: 1})
			c, err := esclient.New(tb.URLs(), esclient.Options{Timeout: 30 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.CloseIdleConnections)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			const mapping = `{"settings":{"number_of_shards":1,"number_of_replicas":0},"mappings":{"properties":{"n":{"type":"long"}}}}`
			for _, idx := range []string{"vsrc", "vdst-a", "vdst-b"} {
				must(ctx, t, c, "PUT", "/"+idx, mapping, 200)
			}
			// Member 1's answer bound makes its _bulk updates too large to ask for their
			// documents: they are read back (update_readback.go).
			members := [2]*member{newMember(t, tb.URLs()[0]), newMemberWith(t, tb.URLs()[0], HandlerOptions{MaxResponse: 16 << 10})}
			deleted := writeThroughMembers(ctx, t, c, members)
			// Member 1 wrote each document's last version: its journal goes first.
			replayTo(t, c, members[1], "vdst-a")
			replayTo(t, c, members[0], "vdst-a")
			replayTo(t, c, members[0], "vdst-b")
			replayTo(t, c, members[1], "vdst-b")
			must(ctx, t, c, "POST", "/vsrc,vdst-a,vdst-b/_refresh", "", 200)
			want := docsOf(ctx, t, c, "vsrc")
			if len(want) != 17 {
				t.Fatalf("the active index holds %d documents, want 17", len(want))
			}
			for _, dst := range []string{"vdst-a", "vdst-b"} {
				got := docsOf(ctx, t, c, dst)
				for id, w := range want {
					if got[id] != w {
						t.Errorf("%s: %s is %q, want %q as on the active cluster", dst, id, got[id], w)
					}
				}
				for _, id := range deleted {
					if g, ok := got[id]; ok {
						t.Errorf("%s: %s is %q, deleted on the active cluster", dst, id, g)
					}
				}
				if len(got) != len(want) {
					t.Errorf("%s holds %d documents, want %d", dst, len(got), len(want))
				}
			}
		})
	}
}

// member is one esdr's mirror in front of the node, with its own journal.
type member struct {
	j   *Journal
	srv *httptest.Server
}

func newMember(t *testing.T, node string) *member { return newMemberWith(t, node, HandlerOptions{}) }

func newMemberWith(t *testing.T, node string, opts HandlerOptions) *member {
	j, _ := openJournal(t, t.TempDir(), Options{})
	m, err := NewMirror(j, Pair{A: "east", B: "west"}, &fakeEpochs{ep: epoch.Endpoint{Cluster: "east", Epoch: 3}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(node)
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(headerCluster, "east")
		w.Header().Set(headerEpoch, "3")
		rp.ServeHTTP(w, r)
	})))
	t.Cleanup(srv.Close)
	return &member{j: j, srv: srv}
}

func (m *member) send(ctx context.Context, t *testing.T, method, target, body string) []byte {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, method, m.srv.URL+target, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-ndjson")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode >= 300 || bytes.Contains(b, []byte(`"errors":true`)) {
		t.Fatalf("%s %s: HTTP %d %s", method, target, res.StatusCode, b)
	}
	return b
}

// writeThroughMembers writes 20 documents five times each, alternating members, the
// last write of each through member 1 (six of them by partial updates, single or _bulk
// items, the first an upsert), and deletes three of them last; it returns the deleted
// ids.
func writeThroughMembers(ctx context.Context, t *testing.T, c *esclient.Client, ms [2]*member) []string {
	for round := 1; round <= 5; round++ {
		m := ms[0] // rounds 1 and 3
		if round%2 == 0 || round == 5 {
			m = ms[1]
		}
		// A write guarded by the active cluster's sequence numbers, in round 3 (single)
		// and 4 (a _bulk item): they mean nothing on the copy.
		guard := func(id string) (int64, int64) {
			var cur struct {
				SeqNo       int64 `json:"_seq_no"`
				PrimaryTerm int64 `json:"_primary_term"`
			}
			_ = json.Unmarshal(must(ctx, t, c, "GET", "/vsrc/_doc/"+id, "", 200), &cur)
			return cur.SeqNo, cur.PrimaryTerm
		}
		var b strings.Builder
		for i := range 7 {
			meta := fmt.Sprintf(`"_id":"b%d"`, i)
			if round == 4 && i == 0 {
				seq, term := guard("b0")
				meta += fmt.Sprintf(`,"if_seq_no":%d,"if_primary_term":%d`, seq, term)
			}
			fmt.Fprintf(&b, "{\"index\":{%s}}\n{\"n\":%d}\n", meta, round*100+i)
		}
		for i := range 3 {
			fmt.Fprintf(&b, "{\"update\":{\"_id\":\"bu%d\"}}\n{\"doc\":{\"n\":%d,\"r%d\":true,\"pad\":%q},\"doc_as_upsert\":true}\n",
				i, round*100+i, round, strings.Repeat("p", 1000))
		}
		if ans := m.send(ctx, t, "POST", "/vsrc/_bulk", b.String()); bytes.Contains(ans, []byte(`"get"`)) {
			t.Errorf("a _bulk answer holds the documents the client did not ask for: %.300s", ans)
		}
		for i := range 7 {
			query := ""
			if round == 3 && i == 0 {
				seq, term := guard("s0")
				query = fmt.Sprintf("?if_seq_no=%d&if_primary_term=%d", seq, term)
			}
			m.send(ctx, t, "PUT", fmt.Sprintf("/vsrc/_doc/s%d%s", i, query), fmt.Sprintf(`{"n":%d}`, round*100+i))
		}
		for i := range 3 {
			ans := m.send(ctx, t, "POST", fmt.Sprintf("/vsrc/_update/u%d", i),
				fmt.Sprintf(`{"doc":{"n":%d,"r%d":true},"doc_as_upsert":true}`, round*100+i, round))
			if bytes.Contains(ans, []byte(`"get"`)) {
				t.Errorf("an update's answer holds the document the client did not ask for: %s", ans)
			}
		}
	}
	if ans := ms[0].send(ctx, t, "POST", "/vsrc/_update/u0?_source=true", `{"doc":{"n":600}}`); !bytes.Contains(ans, []byte(`"_source":{`)) {
		t.Errorf("an update asking for its source: %s", ans)
	}
	ms[1].send(ctx, t, "POST", "/vsrc/_update/u0?_source=false", `{"doc":{"n":601}}`)
	ms[1].send(ctx, t, "DELETE", "/vsrc/_doc/u2", "")
	ms[1].send(ctx, t, "DELETE", "/vsrc/_doc/s6", "")
	ms[1].send(ctx, t, "POST", "/vsrc/_bulk", "{\"delete\":{\"_id\":\"b6\"}}\n")
	return []string{"s6", "b6", "u2"}
}

// replayTo applies m's whole journal to index dst of the same node.
func replayTo(t *testing.T, c *esclient.Client, m *member, dst string) {
	t.Helper()
	j, _ := openJournal(t, t.TempDir(), Options{})
	for _, rec := range readAll(t, m.j, 1) {
		if _, err := j.Append(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	r, err := NewReplicator(j, NewHTTPApplier(renamed{c, dst}), ReplicatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := runUntil(t, r, j, j.Stats().Durable); err != nil {
		t.Fatalf("replay to %s: %v", dst, err)
	}
}

// renamed sends what was written to vsrc to another index of the same node, which
// stands for the standby.
type renamed struct {
	c   *esclient.Client
	dst string
}

func (r renamed) Do(ctx context.Context, method, path string, body io.Reader) (int, []byte, error) {
	path = strings.Replace(path, "/vsrc/", "/"+r.dst+"/", 1)
	if body != nil {
		b, _ := io.ReadAll(body)
		body = bytes.NewReader(bytes.ReplaceAll(b, []byte(`"_index":"vsrc"`), []byte(`"_index":"`+r.dst+`"`)))
	}
	return r.c.Do(ctx, method, path, body)
}

// docsOf maps each document of index to its source and version.
func docsOf(ctx context.Context, t *testing.T, c *esclient.Client, index string) map[string]string {
	t.Helper()
	var res struct {
		Hits struct {
			Hits []struct {
				ID      string          `json:"_id"`
				Version int64           `json:"_version"`
				Source  json.RawMessage `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	b := must(ctx, t, c, "POST", "/"+index+"/_search", `{"size":100,"version":true}`, 200)
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, h := range res.Hits.Hits {
		out[h.ID] = fmt.Sprintf("v%d %s", h.Version, h.Source)
	}
	return out
}
