package watch

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/health"
)

// oneNode answers like a healthy one-node cluster whose master is n1, after delay on the
// node's own view (the per-node probe).
func oneNode(delay time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/_cluster/health":
			reply(200, healthBody("green", 3, 3))(w, r)
		case "/_cat/master":
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
			reply(200, `[{"id":"n1"}]`)(w, r)
		case "/_nodes/_local":
			reply(200, `{"nodes":{"n1":{"name":"a","roles":["master","data"],"http":{"publish_address":"127.0.0.1:1"}}}}`)(w, r)
		default:
			reply(200, `{}`)(w, r)
		}
	}
}

func hostOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// TestClusterCheckTimesEachNode: every configured node gets a NodeProbe, in the
// configured order, named by host:port; one that answers carries its own round trip
// (at least the delay it was given), one that is down or hung is marked unanswered.
func TestClusterCheckTimesEachNode(t *testing.T) {
	const delay = 30 * time.Millisecond
	fast := serve(t, oneNode(0))
	slow := serve(t, oneNode(delay))
	hung := serve(t, hang)
	dead := deadPort(t)
	spec := DefaultClusterSpec
	spec.Canary = ""
	nodes := []string{fast.URL, slow.URL, hung.URL, dead}
	r := probeOnce(clusterCheck(t, nodes, spec), 500*time.Millisecond)
	if r.Kind != health.KindHealthy {
		t.Fatalf("got %s %q, want healthy (two nodes answer)", r.Kind, r.Detail)
	}
	if len(r.Nodes) != len(nodes) {
		t.Fatalf("%d node probes, want %d: %+v", len(r.Nodes), len(nodes), r.Nodes)
	}
	for i, want := range []bool{true, true, false, false} {
		np := r.Nodes[i]
		if np.Node != hostOf(t, nodes[i]) || np.Answered != want {
			t.Errorf("node %d: %+v, want node %s answered %v", i, np, hostOf(t, nodes[i]), want)
		}
		if np.Latency <= 0 {
			t.Errorf("node %d: latency %v, want > 0", i, np.Latency)
		}
	}
	if r.Master != "n1" {
		t.Errorf("master %q, want n1", r.Master)
	}
	if r.Nodes[1].Latency < delay {
		t.Errorf("slow node: latency %v, want at least its delay %v", r.Nodes[1].Latency, delay)
	}
}

// TestCombineKeepsEveryNodeProbe: the node probes of every check of one probe survive
// the combination, whichever check's kind wins.
func TestCombineKeepsEveryNodeProbe(t *testing.T) {
	a := Result{Kind: health.KindHealthy, Nodes: []NodeProbe{{Node: "a:1", Latency: time.Millisecond, Answered: true}}}
	b := Result{Kind: health.KindRed, Nodes: []NodeProbe{{Node: "b:2", Latency: time.Second}}}
	r := combine([]Result{a, b})
	if r.Kind != health.KindRed || len(r.Nodes) != 2 || r.Nodes[0].Node != "a:1" || r.Nodes[1].Node != "b:2" {
		t.Errorf("combined %+v", r)
	}
	if r := combine([]Result{{Kind: health.KindHealthy}}); r.Nodes != nil {
		t.Errorf("no node probes: got %+v", r.Nodes)
	}
}

func TestElectedMaster(t *testing.T) {
	v := func(master string, answered bool) nodeView { return nodeView{Master: master, Answered: answered} }
	for _, tc := range []struct {
		views []nodeView
		want  string
	}{
		{nil, ""},
		{[]nodeView{v("", true), v("b", false)}, ""},
		{[]nodeView{v("b", true), v("a", true), v("b", true)}, "b"},
		{[]nodeView{v("b", true), v("a", true)}, "a"},
	} {
		if got := electedMaster(tc.views); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.views, got, tc.want)
		}
	}
}
