package watch

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/health"
)

const (
	compactGreen = `{"cluster_name":"a","status":"green","timed_out":false,"number_of_nodes":3,"number_of_data_nodes":3}`
	prettyGreen  = "{\n  \"cluster_name\" : \"a\",\n  \"status\" : \"green\",\n  \"timed_out\" : false\n}\n"
	compactRed   = `{"cluster_name":"a","status":"red","timed_out":false,"number_of_nodes":3,"number_of_data_nodes":3}`
	seedMatch    = `"status":"green"`
)

func runHTTP(t *testing.T, nodes []string, spec HTTPSpec, timeout time.Duration) Result {
	t.Helper()
	check, err := NewHTTPCheck(nodes, spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return check(ctx)
}

func TestHTTPCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		match   string
		want    health.Kind
		detail  string
	}{
		{"200 no match", reply(200, "ok"), "", health.KindHealthy, "HTTP 200"},
		{"301 passes, not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/", http.StatusMovedPermanently)
		}, "", health.KindHealthy, "HTTP 301"},
		{"500 fails", reply(500, compactGreen), "", health.KindRed, "HTTP 500"},
		{"seed match compact green", reply(200, compactGreen), seedMatch, health.KindHealthy, "found"},
		// Faithful to Route 53: the seed's match string misses ?pretty output and red
		// clusters answer 200, which is why the cluster check parses JSON instead.
		{"seed match misses pretty", reply(200, prettyGreen), seedMatch, health.KindRed, "not in the first 5120 bytes"},
		{"seed match red answers 200", reply(200, compactRed), seedMatch, health.KindRed, "not in the first"},
		{"match is case-sensitive", reply(200, compactGreen), `"STATUS":"green"`, health.KindRed, "not in the first"},
		{"match within 5120 bytes", reply(200, strings.Repeat(" ", MatchWindow-len(seedMatch))+seedMatch), seedMatch, health.KindHealthy, "found"},
		{"match straddling 5120 bytes fails", reply(200, strings.Repeat(" ", MatchWindow-len(seedMatch)+1)+seedMatch), seedMatch, health.KindRed, "not in the first"},
		{"match beyond 5120 bytes fails", reply(200, strings.Repeat(" ", 10000)+seedMatch), seedMatch, health.KindRed, "not in the first"},
		{"html", reply(502, "<html><body>Bad Gateway</body></html>"), seedMatch, health.KindRed, "HTTP 502"},
		{"hang", hang, "", health.KindTimeout, "timeout"},
		{"hang mid body", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			_, _ = w.Write([]byte("{"))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, seedMatch, health.KindTimeout, "reading body: timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, tc.handler)
			r := runHTTP(t, []string{srv.URL}, HTTPSpec{Path: "/_cluster/health", Match: tc.match}, 200*time.Millisecond)
			if r.Kind != tc.want || !strings.Contains(r.Detail, tc.detail) || r.Node != srv.URL {
				t.Errorf("got %s %q (node %s), want %s containing %q", r.Kind, r.Detail, r.Node, tc.want, tc.detail)
			}
		})
	}
}

func TestHTTPCheckNodes(t *testing.T) {
	dead := deadPort(t)
	var host string
	good := serve(t, func(w http.ResponseWriter, r *http.Request) {
		host = r.Host
		reply(200, compactGreen)(w, r)
	})
	red := serve(t, reply(503, "{}"))
	spec := HTTPSpec{Path: "/_cluster/health", Match: seedMatch, Host: "search.example.com"}

	r := runHTTP(t, []string{dead, good.URL}, spec, time.Second)
	if r.Kind != health.KindHealthy || r.Node != good.URL || host != "search.example.com" {
		t.Errorf("dead then good: %+v host %q", r, host)
	}
	r = runHTTP(t, []string{dead}, spec, time.Second)
	if r.Kind != health.KindUnreachable || !strings.Contains(r.Detail, "connection refused") {
		t.Errorf("refused: %+v", r)
	}
	// No node passes: the least severe kind any node gave, with every node's story.
	r = runHTTP(t, []string{dead, red.URL}, spec, time.Second)
	if r.Kind != health.KindRed || !strings.Contains(r.Detail, dead) || !strings.Contains(r.Detail, "HTTP 503") {
		t.Errorf("dead and red: %+v", r)
	}
}

func TestHTTPSpecValidate(t *testing.T) {
	for _, tc := range []struct {
		spec HTTPSpec
		want string
	}{
		{HTTPSpec{Path: "health"}, `watch: http check path "health" must start with /`},
		{HTTPSpec{Path: "/", Match: strings.Repeat("x", 256)}, "watch: http check match string is 256 bytes, at most 255 allowed"},
	} {
		if _, err := NewHTTPCheck([]string{"http://127.0.0.1:9200"}, tc.spec); err == nil || err.Error() != tc.want {
			t.Errorf("%+v: %v, want %q", tc.spec, err, tc.want)
		}
	}
	if _, err := NewHTTPCheck(nil, HTTPSpec{Path: "/"}); err == nil {
		t.Error("no nodes accepted")
	}
}
