package watch

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/health"
)

// healthBody is a _cluster/health answer in Elasticsearch 7.10's shape.
func healthBody(status string, nodes, data int) string {
	return fmt.Sprintf(`{"cluster_name":"a","status":%q,"timed_out":false,"number_of_nodes":%d,`+
		`"number_of_data_nodes":%d,"active_primary_shards":5,"active_shards":10,"relocating_shards":0,`+
		`"initializing_shards":0,"unassigned_shards":0,"delayed_unassigned_shards":0,`+
		`"number_of_pending_tasks":0,"number_of_in_flight_fetch":0,"task_max_waiting_in_queue_millis":0,`+
		`"active_shards_percent_as_number":100.0}`, status, nodes, data)
}

const noMaster503 = `{"error":{"root_cause":[{"type":"master_not_discovered_exception","reason":null}],` +
	`"type":"master_not_discovered_exception","reason":null},"status":503}`

func clusterCheck(t *testing.T, nodes []string, spec ClusterSpec) Check {
	t.Helper()
	c, err := esclient.New(nodes, esclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	check, err := NewClusterCheck(c, spec)
	if err != nil {
		t.Fatal(err)
	}
	return check
}

func probeOnce(check Check, timeout time.Duration) Result {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return check(ctx)
}

func TestClusterCheck(t *testing.T) {
	strict := DefaultClusterSpec
	strict.Accept = []string{"green"}
	mins := DefaultClusterSpec
	mins.MinNodes, mins.MinDataNodes = 3, 2
	lax := DefaultClusterSpec
	lax.RequireMaster = false
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		spec    ClusterSpec
		want    health.Kind
		detail  string
	}{
		{"green", esNode(reply(200, healthBody("green", 3, 3))), DefaultClusterSpec, health.KindHealthy, "status green, 3 nodes (3 data)"},
		{"yellow accepted", esNode(reply(200, healthBody("yellow", 3, 3))), DefaultClusterSpec, health.KindDegraded, "status yellow"},
		{"yellow not accepted", esNode(reply(200, healthBody("yellow", 3, 3))), strict, health.KindRed, "status yellow not accepted"},
		{"red", esNode(reply(200, healthBody("red", 3, 3))), DefaultClusterSpec, health.KindRed, "status red not accepted"},
		{"pretty body parses", esNode(reply(200, "{\n  \"cluster_name\" : \"a\",\n  \"status\" : \"green\",\n  \"number_of_nodes\" : 1\n}")), DefaultClusterSpec, health.KindHealthy, "status green"},
		{"no master", reply(503, noMaster503), DefaultClusterSpec, health.KindRed, "no elected master"},
		{"no master tolerated", reply(503, noMaster503), lax, health.KindDegraded, "no elected master"},
		{"min nodes met", esNode(reply(200, healthBody("green", 3, 2))), mins, health.KindHealthy, "3 nodes (2 data)"},
		{"below min nodes", esNode(reply(200, healthBody("green", 2, 2))), mins, health.KindRed, "below minimum of 3 nodes (2 data)"},
		{"below min data nodes", esNode(reply(200, healthBody("green", 3, 1))), mins, health.KindRed, "below minimum"},
		{"html", reply(502, "<html><body>Bad Gateway</body></html>"), DefaultClusterSpec, health.KindBadResponse, "HTTP 502"},
		{"html 200 is a web server, not a cluster", reply(200, "<html><body>It works!</body></html>"), DefaultClusterSpec, health.KindBlind, "answered HTTP 200 with an HTML or XML body"},
		{"truncated json", reply(200, healthBody("green", 3, 3)[:50]), DefaultClusterSpec, health.KindBadResponse, "invalid JSON"},
		{"hang", hang, DefaultClusterSpec, health.KindTimeout, "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, tc.handler)
			r := probeOnce(clusterCheck(t, []string{srv.URL}, tc.spec), 200*time.Millisecond)
			if r.Kind != tc.want || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("got %s %q, want %s containing %q", r.Kind, r.Detail, tc.want, tc.detail)
			}
			if r.Node != srv.URL {
				t.Errorf("node %q, want %q", r.Node, srv.URL)
			}
		})
	}
}

func TestClusterCheckRefused(t *testing.T) {
	dead := deadPort(t)
	r := probeOnce(clusterCheck(t, []string{dead, dead}, DefaultClusterSpec), time.Second)
	if r.Kind != health.KindUnreachable || !strings.Contains(r.Detail, "connection refused") {
		t.Errorf("got %+v", r)
	}
}

func TestClusterCheckOneDeadNodeIsNotADeadCluster(t *testing.T) {
	good := serve(t, esNode(reply(200, healthBody("green", 3, 3))))
	for name, first := range map[string]string{
		"refused":   deadPort(t),
		"hung":      serve(t, hang).URL,
		"no master": serve(t, reply(503, noMaster503)).URL,
	} {
		t.Run(name, func(t *testing.T) {
			// The hung node gets only its share of the deadline, leaving time for the next.
			r := probeOnce(clusterCheck(t, []string{first, good.URL}, DefaultClusterSpec), 400*time.Millisecond)
			if r.Kind != health.KindHealthy || r.Node != good.URL {
				t.Errorf("got %+v", r)
			}
		})
	}
}

func TestClusterCheckNodeLossIsDegraded(t *testing.T) {
	nodes := 3
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		esNode(reply(200, healthBody("green", nodes, nodes)))(w, r)
	})
	spec := DefaultClusterSpec
	spec.MinNodes = 2
	check := clusterCheck(t, []string{srv.URL}, spec)
	for _, step := range []struct {
		nodes int
		want  health.Kind
	}{{3, health.KindHealthy}, {2, health.KindDegraded}, {1, health.KindRed}, {3, health.KindHealthy}} {
		nodes = step.nodes
		if r := probeOnce(check, time.Second); r.Kind != step.want {
			t.Errorf("%d nodes: %s %q, want %s", step.nodes, r.Kind, r.Detail, step.want)
		}
	}
}

func TestClusterSpecValidate(t *testing.T) {
	c, _ := esclient.New([]string{"http://127.0.0.1:9200"}, esclient.Options{})
	if _, err := NewClusterCheck(c, ClusterSpec{Accept: []string{"orange"}}); err == nil ||
		err.Error() != `watch: cluster check accepts status "orange": want green, yellow or red` {
		t.Errorf("err = %v", err)
	}
	if _, err := NewClusterCheck(c, ClusterSpec{MinNodes: -1}); err == nil {
		t.Error("negative minimum accepted")
	}
}
