package watch

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/health"
)

// redCluster answers a red cluster health, and red for the given indices in
// _cat/indices?health=red (a 500 when red is nil: the second question failed).
func redCluster(red []string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/_cat/indices" && r.URL.Query().Get("health") == "red":
			if red == nil {
				reply(500, `{"error":"boom"}`)(w, r)
				return
			}
			rows := make([]string, len(red))
			for i, n := range red {
				rows[i] = `{"index":"` + n + `"}`
			}
			reply(200, "["+strings.Join(rows, ",")+"]")(w, r)
		case r.URL.Path == "/_cluster/health":
			reply(200, healthBody("red", 3, 3))(w, r)
		default:
			reply(404, `{"error":{"type":"index_not_found_exception"},"status":404}`)(w, r)
		}
	}
}

func TestARedStatusIsJudgedByWhatIsRed(t *testing.T) {
	strict := DefaultClusterSpec
	strict.Accept = []string{"green"}
	for _, tc := range []struct {
		name   string
		red    []string
		spec   ClusterSpec
		want   health.Kind
		detail string
	}{
		{"a red made only of esdr's canary is not the users' data: degraded", []string{DefaultCanary}, DefaultClusterSpec,
			health.KindDegraded, "red only from esdr's canary index .esdr-canary"},
		{"a red users' index is red, and named", []string{"logs-2026.12.06"}, DefaultClusterSpec,
			health.KindRed, "status red not accepted, red indices: logs-2026.12.06"},
		{"the canary beside a users' index is red", []string{DefaultCanary, "orders"}, DefaultClusterSpec,
			health.KindRed, "red indices: .esdr-canary, orders"},
		{"many red indices are counted, a few named", []string{"a", "b", "c", "d", "e", "f", "g"}, DefaultClusterSpec,
			health.KindRed, "red indices: a, b, c, d, e (7 in all)"},
		{"red that no index explains stays red", []string{}, DefaultClusterSpec, health.KindRed, "status red not accepted"},
		{"red whose indices cannot be listed stays red", nil, DefaultClusterSpec, health.KindRed, "status red not accepted"},
		{"an operator who accepts only green is not given the canary's red as yellow", []string{DefaultCanary}, strict,
			health.KindRed, "status red not accepted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, redCluster(tc.red))
			r := probeOnce(clusterCheck(t, []string{srv.URL}, tc.spec), time.Second)
			if r.Kind != tc.want || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("got %s %q, want %s containing %q", r.Kind, r.Detail, tc.want, tc.detail)
			}
		})
	}
}

// TestACanarySearchRefusedToEsdrIsNotAReadFailure: esdr's user losing read on the
// canary says nothing about the users' reads, even on a node whose canary had served.
func TestACanarySearchRefusedToEsdrIsNotAReadFailure(t *testing.T) {
	var refuse atomic.Bool
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/_cluster/health":
			reply(200, healthBody("green", 1, 1))(w, r)
		case "/_cat/master":
			reply(200, `[{"id":"n1"}]`)(w, r)
		case "/_nodes/_local":
			reply(200, `{"nodes":{"n1":{"name":"a","roles":["master","data"],"http":{"publish_address":"127.0.0.1:1"}}}}`)(w, r)
		case "/" + DefaultCanary + "/_search":
			if refuse.Load() {
				reply(403, `{"error":{"type":"security_exception","reason":"action [indices:data/read/search] is unauthorized for user [esdr]"},"status":403}`)(w, r)
				return
			}
			reply(200, `{"_shards":{"total":1,"successful":1},"hits":{"hits":[]}}`)(w, r)
		default:
			reply(200, `{}`)(w, r)
		}
	})
	check := clusterCheck(t, []string{srv.URL}, DefaultClusterSpec)
	if r := probeOnce(check, time.Second); r.Kind != health.KindHealthy {
		t.Fatalf("canary served: %s %q, want healthy", r.Kind, r.Detail)
	}
	refuse.Store(true)
	r := probeOnce(check, time.Second)
	if r.Kind != health.KindHealthy || !strings.Contains(r.Detail, "canary search was refused by 1 node(s)") {
		t.Errorf("canary refused: %s %q, want healthy, saying the canary search was refused", r.Kind, r.Detail)
	}
}
