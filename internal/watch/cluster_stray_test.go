package watch

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/health"
)

// fakeNode is a node of cluster name (uuid), with node ID id, answering what a cluster
// check asks: the cluster health, its own view of the master, who it is.
func fakeNode(name, uuid, id string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/_cluster/health":
			reply(200, fmt.Sprintf(`{"cluster_name":%q,"status":"green","number_of_nodes":3,"number_of_data_nodes":3,`+
				`"active_shards_percent_as_number":100.0}`, name))(w, r)
		case "/_cat/master":
			reply(200, `[{"id":"m-`+name+`"}]`)(w, r)
		case "/_nodes/_local/none":
			reply(200, fmt.Sprintf(`{"cluster_name":%q,"nodes":{%q:{"name":%q,"roles":["master","data"]}}}`, name, id, id))(w, r)
		case "/":
			reply(200, fmt.Sprintf(`{"name":%q,"cluster_name":%q,"cluster_uuid":%q,"version":{"number":"7.10.2"}}`, id, name, uuid))(w, r)
		default:
			reply(503, `{"error":{"type":"test_exception","reason":"not served by this fake"},"status":503}`)(w, r)
		}
	}
}

// TestAURLThatDoesNotReachTheClusterIsBlindNotDown: answers that are plainly not
// Elasticsearch, or a node of another cluster, say the URL is wrong, not that the cluster
// is down. With nothing else configured the check is blind and misaimed; beside nodes of
// the cluster, the stray is left out and named.
func TestAURLThatDoesNotReachTheClusterIsBlindNotDown(t *testing.T) {
	notFound := func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }
	nginx404 := reply(404, "<html><head><title>404 Not Found</title></head><body><center>nginx</center></body></html>")
	redirect := func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://"+r.Host+r.URL.String(), http.StatusMovedPermanently)
	}
	otherJSON := reply(200, `{"status":"UP","components":{"db":{"status":"UP"}}}`)
	primary := func() string { return serve(t, fakeNode("prod", "uuid-p", "p1")).URL }
	for _, tc := range []struct {
		name   string
		nodes  func() []string
		want   health.Kind
		detail string
	}{
		{"a URL answering 404 (a path prefix behind a reverse proxy) is blind, not down",
			func() []string { return []string{serve(t, notFound).URL} }, health.KindBlind, "answered HTTP 404 with a text body"},
		{"a web server's 404 page on the port is blind",
			func() []string { return []string{serve(t, nginx404).URL} }, health.KindBlind, "answered HTTP 404 with an HTML or XML body"},
		{"a redirect (http to https) is blind",
			func() []string { return []string{serve(t, redirect).URL} }, health.KindBlind, "answered HTTP 301"},
		{"another service's JSON health is blind",
			func() []string { return []string{serve(t, otherJSON).URL} }, health.KindBlind, "no cluster_name and status"},
		{"every URL answering 404 says what to fix",
			func() []string { return []string{serve(t, notFound).URL, serve(t, nginx404).URL} }, health.KindBlind, "fix clusters[].nodes"},
		{"a 404 beside a node of the cluster is left out and named",
			func() []string { return []string{serve(t, notFound).URL, primary()} }, health.KindHealthy, "not counted:"},
		{"a 404 beside a dead node: the dead node is the evidence",
			func() []string { return []string{serve(t, notFound).URL, deadPort(t)} }, health.KindUnreachable, "connection refused"},
		{"a node list split between two clusters cannot be judged: blind, naming both",
			func() []string { return []string{primary(), serve(t, fakeNode("dr", "uuid-s", "s1")).URL} }, health.KindBlind, "prod (uuid uuid-p) at"},
		{"a standby node in the primary's list is outvoted, left out and named",
			func() []string { return []string{serve(t, fakeNode("dr", "uuid-s", "s1")).URL, primary(), primary()} },
			health.KindHealthy, "answers as cluster dr (uuid uuid-s), not prod (uuid uuid-p)"},
		{"two clusters of one name are told apart by their UUID",
			func() []string { return []string{primary(), serve(t, fakeNode("prod", "uuid-s", "s1")).URL, primary()} },
			health.KindHealthy, "answers as cluster prod (uuid uuid-s), not prod (uuid uuid-p)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := DefaultClusterSpec
			spec.Canary = ""
			r := probeOnce(clusterCheck(t, tc.nodes(), spec), time.Second)
			if r.Kind != tc.want || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("got %s %q, want %s containing %q", r.Kind, r.Detail, tc.want, tc.detail)
			}
			if r.Misaimed != (tc.want == health.KindBlind) {
				t.Errorf("misaimed = %v", r.Misaimed)
			}
		})
	}
}

// TestAURLThatStartsAnsweringAsAnotherClusterIsBlind: the cluster check remembers which
// cluster it saw; when its only URL later reaches another (a DNS name moved to the
// standby), the check is blind at once (the cluster health names the cluster), and
// comes back when the URL reaches the cluster again.
func TestAURLThatStartsAnsweringAsAnotherClusterIsBlind(t *testing.T) {
	prod, dr := fakeNode("prod", "uuid-p", "p1"), fakeNode("dr", "uuid-s", "s1")
	var current atomic.Pointer[http.HandlerFunc]
	current.Store(&prod)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { (*current.Load())(w, r) })
	spec := DefaultClusterSpec
	spec.Canary = ""
	check := clusterCheck(t, []string{srv.URL}, spec)
	for _, step := range []struct {
		name   string
		node   http.HandlerFunc
		want   health.Kind
		detail string
	}{
		{"the cluster at first", prod, health.KindHealthy, "status green"},
		{"the standby behind the URL", dr, health.KindBlind, "every configured node answers as another cluster than prod (uuid uuid-p), seen before at these URLs: dr at"},
		{"the cluster again", prod, health.KindHealthy, "status green"},
	} {
		current.Store(&step.node)
		if r := probeOnce(check, time.Second); r.Kind != step.want || !strings.Contains(r.Detail, step.detail) {
			t.Errorf("%s: got %s %q, want %s containing %q", step.name, r.Kind, r.Detail, step.want, step.detail)
		}
	}
}

// TestTwoConfiguredClustersReachingOneAreBothBlind: the primary's list points at the
// standby's node. Each check alone sees a healthy cluster; the shared claims show both
// reach one cluster UUID, so neither can be judged.
func TestTwoConfiguredClustersReachingOneAreBothBlind(t *testing.T) {
	standby := serve(t, fakeNode("dr", "uuid-s", "s1")).URL
	primary := serve(t, fakeNode("prod", "uuid-p", "p1")).URL
	claims := &Claims{}
	check := func(name, url string) Check {
		spec := DefaultClusterSpec
		spec.Canary, spec.Name, spec.Claims = "", name, claims
		return clusterCheck(t, []string{url}, spec)
	}
	typo, dr := check("primary", standby), check("standby", standby)
	if r := probeOnce(typo, time.Second); r.Kind != health.KindHealthy {
		t.Fatalf("alone, the typo looks healthy: %s %q", r.Kind, r.Detail)
	}
	// In this order: the primary's check sees the shared claim only once the standby's
	// check has made its own (a round later in a running esdr).
	for _, c := range []struct {
		name  string
		check Check
	}{{"standby", dr}, {"primary", typo}} {
		r := probeOnce(c.check, time.Second)
		if r.Kind != health.KindBlind || !r.Misaimed || !strings.Contains(r.Detail, "reach one cluster, dr (uuid uuid-s)") {
			t.Errorf("%s: got %s %q, want blind naming the shared cluster", c.name, r.Kind, r.Detail)
		}
	}
	// Another esdr's checks, or a fixed list, share nothing with these.
	if r := probeOnce(check("elsewhere", primary), time.Second); r.Kind != health.KindHealthy {
		t.Errorf("a cluster of its own: got %s %q", r.Kind, r.Detail)
	}
}
