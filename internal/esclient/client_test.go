package esclient

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/esdr/esdr/internal/health"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve starts an in-process server answering every path from routes (exact path match,
// query ignored); unknown paths get 404.
func serve(t *testing.T, routes map[string]http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := routes[r.URL.Path]; ok {
			h(w, r)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func body(status int, s string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(s))
	}
}

func newClient(t *testing.T, nodes []string, opts Options) *Client {
	t.Helper()
	c, err := New(nodes, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// deadPort returns a URL on which nothing listens.
func deadPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

func TestNewValidatesURLs(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"ftp://h:1", `esclient: node "ftp://h:1": scheme must be http or https`},
		{"http://h", `esclient: node "http://h": want host:port`},
		{"http://h:9200/x", `esclient: node "http://h:9200/x": want no path or query`},
		{"http://u:secret@h:9200", `esclient: node "http://u:xxxxx@h:9200": put credentials in the options, not the URL`},
		{"h:9200", `esclient: node "h:9200": scheme must be http or https`},
		{"http://h:99999", `esclient: node "http://h:99999": want a port from 1 to 65535`},
		{"http://h:0", `esclient: node "http://h:0": want a port from 1 to 65535`},
		{"http://h:9200?", `esclient: node "http://h:9200?": want no path or query`},
	} {
		_, err := New([]string{tc.url}, Options{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("New(%q) = %v, want %q", tc.url, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error leaks password: %v", err)
		}
	}
	c, err := New([]string{"http://a:9200/", "https://[::1]:9201"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Nodes(), ","); got != "http://a:9200,https://[::1]:9201" {
		t.Errorf("Nodes() = %s", got)
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New(nil) succeeded")
	}
	if _, err := New([]string{"http://a:1"}, Options{APIKey: "k", Username: "u"}); err == nil {
		t.Error("New with API key and basic auth succeeded")
	}
}

func TestHealthEngines(t *testing.T) {
	for _, tc := range []struct {
		name, body, status string
		nodes              int
		pct                float64
	}{
		{"elasticsearch 7.10", es710Health, "yellow", 3, 90},
		{"opensearch 2 pretty", os2Health, "green", 2, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var query string
			srv := serve(t, map[string]http.HandlerFunc{"/_cluster/health": func(w http.ResponseWriter, r *http.Request) {
				query = r.URL.RawQuery
				body(200, tc.body)(w, r)
			}})
			h, err := newClient(t, []string{srv.URL}, Options{}).Health(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if h.Status != tc.status || h.NumberOfNodes != tc.nodes || h.ActiveShardsPercent != tc.pct || h.Node != srv.URL {
				t.Errorf("got %+v", h)
			}
			if !strings.HasPrefix(query, "master_timeout=") {
				t.Errorf("query %q, want master_timeout bound", query)
			}
		})
	}
}

func TestHealthFallsBackToClusterManagerTimeout(t *testing.T) {
	srv := serve(t, map[string]http.HandlerFunc{"/_cluster/health": func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("master_timeout") {
			body(400, `{"error":{"type":"illegal_argument_exception","reason":"request [/_cluster/health] contains unrecognized parameter: [master_timeout]"},"status":400}`)(w, r)
			return
		}
		body(200, os2Health)(w, r)
	}})
	c := newClient(t, []string{srv.URL}, Options{})
	for range 2 {
		if _, err := c.Health(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHealthFailures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		opts    Options
		want    health.Kind
		text    string
	}{
		{"html", body(502, nginxHTML), Options{}, health.KindBadResponse, "HTTP 502"},
		{"html 200 is a web server, not a cluster", body(200, nginxHTML), Options{}, health.KindBlind, "not Elasticsearch or OpenSearch: answered HTTP 200 with an HTML or XML body"},
		{"truncated json", body(200, es710Health[:40]), Options{}, health.KindBadResponse, "invalid JSON"},
		{"an empty 200 is not a cluster", body(200, ""), Options{}, health.KindBlind, "answered HTTP 200 with an empty body"},
		{"JSON without a cluster name is another service's", body(200, `{"status":"ok"}`), Options{}, health.KindBlind, "(no cluster_name and status)"},
		{"unknown status", body(200, `{"cluster_name":"a","status":"purple"}`), Options{}, health.KindBadResponse, `unknown status "purple"`},
		{"huge", body(200, `{"status":"green","x":"`+strings.Repeat("a", 2048)+`"}`), Options{MaxBody: 1024}, health.KindBadResponse, "over 1024 bytes"},
		{"cut connection", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "1000")
			_, _ = w.Write([]byte(`{"status":"gr`))
			w.(http.Flusher).Flush()
			conn, _, _ := w.(http.Hijacker).Hijack()
			_ = conn.Close()
		}, Options{}, health.KindBadResponse, "unexpected EOF"},
		{"no master", body(503, es710NoMaster), Options{}, health.KindBadResponse, "HTTP 503: master_not_discovered_exception"},
		{"hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			Options{Timeout: 100 * time.Millisecond}, health.KindTimeout, "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, map[string]http.HandlerFunc{"/_cluster/health": tc.handler})
			_, err := newClient(t, []string{srv.URL}, tc.opts).Health(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			if got := Classify(err); got != tc.want {
				t.Errorf("Classify = %s, want %s (%v)", got, tc.want, err)
			}
			prefix := "esclient: node " + srv.URL + ": GET /_cluster/health: "
			if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q, want prefix %q and %q", err, prefix, tc.text)
			}
			if IsNoMaster(err) != (tc.name == "no master") {
				t.Errorf("IsNoMaster = %v", IsNoMaster(err))
			}
		})
	}
}

func TestHealthHangHonoursContextDeadline(t *testing.T) {
	srv := serve(t, map[string]http.HandlerFunc{"/_cluster/health": func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := newClient(t, []string{srv.URL}, Options{Timeout: time.Hour}).Health(ctx)
	if Classify(err) != health.KindTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func TestHealthRefused(t *testing.T) {
	dead := deadPort(t)
	_, err := newClient(t, []string{dead}, Options{}).Health(context.Background())
	if Classify(err) != health.KindUnreachable {
		t.Fatalf("Classify = %s (%v)", Classify(err), err)
	}
	want := "esclient: node " + dead + ": GET /_cluster/health: connection refused"
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	var ne *NodeError
	if !errors.As(err, &ne) || ne.Kind != KindUnreachable || ne.Node != dead {
		t.Errorf("errors.As NodeError: %+v", ne)
	}
}

func TestHealthSecondNodeAnswers(t *testing.T) {
	dead := deadPort(t)
	srv := serve(t, map[string]http.HandlerFunc{"/_cluster/health": body(200, es710Health)})
	h, err := newClient(t, []string{dead, srv.URL}, Options{}).Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if h.Node != srv.URL {
		t.Errorf("answered by %s, want %s", h.Node, srv.URL)
	}
}

func TestHealthAllFailJoinsAndPicksBestKind(t *testing.T) {
	dead := deadPort(t)
	hung := serve(t, map[string]http.HandlerFunc{"/_cluster/health": func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }})
	html := serve(t, map[string]http.HandlerFunc{"/_cluster/health": body(502, nginxHTML)})
	opts := Options{Timeout: 100 * time.Millisecond}
	for _, tc := range []struct {
		nodes []string
		want  health.Kind
	}{
		{[]string{dead, dead}, health.KindUnreachable},
		{[]string{dead, hung.URL}, health.KindTimeout},
		{[]string{hung.URL, html.URL, dead}, health.KindBadResponse},
	} {
		_, err := newClient(t, tc.nodes, opts).Health(context.Background())
		if got := Classify(err); got != tc.want {
			t.Errorf("%v: Classify = %s, want %s", tc.nodes, got, tc.want)
		}
		for _, n := range tc.nodes {
			if !strings.Contains(err.Error(), "node "+n+":") {
				t.Errorf("error does not name %s: %v", n, err)
			}
		}
	}
}
