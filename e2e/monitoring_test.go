package e2e

import (
	"net/url"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed"
)

// alertBound is how long an alert may take: its rule's `for` (1m) plus a few scrapes,
// evaluations, and the cluster's own time to see the fault.
const alertBound = 3 * time.Minute

// TestMonitoringThroughPrometheus runs the ecosystem's exporter against the real
// three-node primary and a real Prometheus on deploy/prometheus/cluster-rules.yml,
// scraping it and esdr, and asserts through Prometheus' own HTTP API: esdr's per-node
// probe latency is there for every node, a flood-stage watermark set (not a disk filled)
// fires EsIndicesWriteBlocked, and a killed node fires EsClusterNodesBelowExpected.
func TestMonitoringThroughPrometheus(t *testing.T) {
	p := clusters(t, "opensearch2")
	e := startSettled(t, p, defaults())
	victim := nonMaster(t, p.primary)
	var scraped *testbed.Node // the exporter's node must outlive the victim
	for _, n := range p.primary.Nodes {
		if n != victim {
			scraped = n
			break
		}
	}
	pr := startPrometheus(t, startExporter(t, scraped.URL()), e.Addr)

	var cluster string // the exporter's cluster label: the cluster's own name
	e.eventually("prometheus has the exporter's node count of 3", alertBound, func() bool {
		for _, s := range pr.query(`elasticsearch_cluster_health_number_of_nodes{job="elasticsearch"}`) {
			if s["__value__"] == "3" {
				cluster = s["cluster"]
				return true
			}
		}
		return false
	})

	t.Run("esdr's probe latency to each node", func(t *testing.T) {
		want := map[string]bool{}
		for _, u := range p.primary.URLs() {
			pu, err := url.Parse(u)
			if err != nil {
				t.Fatal(err)
			}
			want[pu.Host] = true
		}
		q := `sum by (node) (esdr_node_probe_duration_seconds_count{job="esdr",cluster="primary"}) > 0`
		e.eventually("prometheus has esdr's probe latency to every primary node", alertBound, func() bool {
			got := pr.query(q)
			for _, s := range got {
				if !want[s["node"]] {
					t.Fatalf("esdr_node_probe_duration_seconds for node %q, not one of %v", s["node"], want)
				}
			}
			return len(got) == len(want)
		})
	})

	// Both at once, each rule's `for` spent once: the flood stage (an index created
	// before, then write-blocked by the cluster) and a killed node.
	t.Run("a flood-stage watermark and a killed node fire EsIndicesWriteBlocked and EsClusterNodesBelowExpected", func(t *testing.T) {
		undo := floodStage(t, p.primary)
		if err := victim.Kill(); err != nil {
			t.Fatal(err)
		}
		pr.waitFiring(e, "EsIndicesWriteBlocked", map[string]string{"job": "elasticsearch"}, alertBound)
		pr.waitFiring(e, "EsClusterNodesBelowExpected", map[string]string{"cluster": cluster, "job": "elasticsearch"}, alertBound)
		// The watermarks go first: past them the restarted node would get no shard copy
		// back, and the cluster would never be green again.
		undo()
		restartCluster(t, p.primary)
	})
}
