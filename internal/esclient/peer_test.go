package esclient

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/testbed"
)

// TestPeerEngines runs every call against a real one-node cluster of each engine
// (skipped under -short): the fixtures above must match what the engines really send.
func TestPeerEngines(t *testing.T) {
	for _, engine := range testbed.EnginesUnderTest() {
		t.Run(engine, func(t *testing.T) {
			tb := testbed.StartForTest(t, testbed.Spec{Engine: engine, Cluster: "esclient-" + engine, Nodes: 1})
			c := newClient(t, append([]string{deadPort(t)}, tb.URLs()...), Options{})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			h, err := c.Health(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if h.ClusterName != tb.Name || h.NumberOfNodes != 1 || h.Status == "red" || h.Node != tb.URLs()[0] {
				t.Errorf("Health = %+v", h)
			}
			info, err := c.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			wantDist := map[bool]string{true: "opensearch", false: "elasticsearch"}[strings.HasPrefix(engine, "opensearch")]
			if info.Distribution != wantDist || info.ClusterName != tb.Name || info.ClusterUUID == "" || info.Version == "" {
				t.Errorf("Info = %+v", info)
			}
			nodes, err := c.NodesInfo(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(nodes) != 1 || !nodes[0].ElectedMaster || !nodes[0].MasterEligible ||
				nodes[0].Name != tb.Nodes[0].Name || !strings.HasSuffix(nodes[0].HTTPAddress, ":"+strings.Split(tb.URLs()[0], ":")[2]) {
				t.Errorf("NodesInfo = %+v", nodes)
			}
			if err := c.PutClusterSettings(ctx, map[string]any{"cluster.routing.allocation.enable": "primaries"}); err != nil {
				t.Fatal(err)
			}
			s, err := c.ClusterSettings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if s["cluster.routing.allocation.enable"] != "primaries" {
				t.Errorf("ClusterSettings = %v", s)
			}
			if err := c.PutClusterSettings(ctx, map[string]any{"cluster.routing.allocation.enable": nil}); err != nil {
				t.Fatal(err)
			}
			countsPeer(ctx, t, c)

			// A paused node is a hang, a killed one a refusal.
			if err := tb.Pause(); err != nil {
				t.Fatal(err)
			}
			short := newClient(t, tb.URLs(), Options{Timeout: 500 * time.Millisecond})
			if _, err := short.Health(ctx); Classify(err) != health.KindTimeout {
				t.Errorf("paused: %s %v", Classify(err), err)
			}
			if err := tb.Kill(); err != nil {
				t.Fatal(err)
			}
			if _, err := short.Health(ctx); Classify(err) != health.KindUnreachable {
				t.Errorf("killed: %s %v", Classify(err), err)
			}
		})
	}
}

// countsPeer: CountsOf counts top-level documents per index, nested ones not (which
// _cat/indices counts), an empty index as absent, and a missing one not at all.
func countsPeer(ctx context.Context, t *testing.T, c *Client) {
	t.Helper()
	do := func(method, path, body string) {
		t.Helper()
		status, resp, err := c.Do(ctx, method, path, strings.NewReader(body))
		if err != nil || status >= 300 {
			t.Fatalf("%s %s: %d %s %v", method, path, status, resp, err)
		}
	}
	do("PUT", "/counted-a", `{"settings":{"number_of_shards":2,"number_of_replicas":0},"mappings":{"properties":{"kids":{"type":"nested"}}}}`)
	do("PUT", "/counted-b", `{"settings":{"number_of_replicas":0}}`)
	do("PUT", "/counted-a/_doc/1", `{"kids":[{"n":1},{"n":2}]}`)
	do("PUT", "/counted-a/_doc/2", `{"kids":[]}`)
	do("PUT", "/counted-a/_doc/3?refresh=true", `{"n":3}`)
	got, err := c.CountsOf(ctx, []string{"counted-a", "counted-b", "counted-gone"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["counted-a"] != 3 {
		t.Errorf("CountsOf = %v, want counted-a: 3 (its 2 nested documents not counted), no other", got)
	}
	stats, err := c.CatIndices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stats {
		if st.Name == "counted-a" && st.Docs != 5 {
			t.Errorf("_cat/indices counts %d documents in counted-a, want 5 (3 top-level, 2 nested: why CountsOf searches)", st.Docs)
		}
	}
}
