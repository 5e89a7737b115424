package watch

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/esdr/esdr/internal/health"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve starts an in-process server with one handler for every path.
func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func reply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// esNode answers /_cluster/health with h and every other path as a node would that
// cannot serve it (an Elasticsearch error, HTTP 503): a fake that answered every path with
// a health document would be, rightly, not a cluster at all.
func esNode(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_cluster/health" {
			h(w, r)
			return
		}
		reply(503, `{"error":{"type":"test_exception","reason":"not served by this fake"},"status":503}`)(w, r)
	}
}

// hang never answers until the client gives up.
func hang(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// deadPort returns a URL on which nothing listens.
func deadPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}

func TestCombineWorstWins(t *testing.T) {
	for _, tc := range []struct {
		name  string
		kinds []health.Kind
		want  health.Kind
	}{
		{"all healthy", []health.Kind{health.KindHealthy, health.KindHealthy}, health.KindHealthy},
		{"degraded beats healthy", []health.Kind{health.KindHealthy, health.KindDegraded}, health.KindDegraded},
		{"red beats degraded", []health.Kind{health.KindDegraded, health.KindRed}, health.KindRed},
		{"bad response beats red", []health.Kind{health.KindBadResponse, health.KindRed}, health.KindBadResponse},
		{"timeout beats bad response", []health.Kind{health.KindBadResponse, health.KindTimeout}, health.KindTimeout},
		{"unreachable worst", []health.Kind{health.KindUnreachable, health.KindTimeout, health.KindHealthy}, health.KindUnreachable},
		{"empty kind is a bad response", []health.Kind{health.KindHealthy, ""}, health.KindBadResponse},
		{"no checks", nil, health.KindBadResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rs []Result
			for _, k := range tc.kinds {
				rs = append(rs, Result{Kind: k, Detail: string(k)})
			}
			if got := combine(rs).Kind; got != tc.want {
				t.Errorf("combine = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestAMisaimedResultWins: when the cluster check finds that the URLs do not reach the
// cluster, a Route 53-style check on the same URLs failing (its 404 is a failure, as on
// Route 53) is no evidence about the cluster: the probe is blind.
func TestAMisaimedResultWins(t *testing.T) {
	misaimed := Result{Kind: health.KindBlind, Detail: "no configured node reaches the cluster", Misaimed: true}
	red := Result{Kind: health.KindRed, Detail: "http /_cluster/health: HTTP 404"}
	for _, rs := range [][]Result{{misaimed, red}, {red, misaimed}} {
		r := combine(rs)
		if r.Kind != health.KindBlind || !r.Misaimed || !strings.Contains(r.Detail, "HTTP 404") {
			t.Errorf("combine(%v) = %+v, want blind, misaimed, with every detail", rs, r)
		}
	}
	credentials := Result{Kind: health.KindBlind, Detail: "credentials were refused"}
	if r := combine([]Result{credentials, red}); r.Kind != health.KindRed {
		t.Errorf("a blind that is not misaimed must not hide a failure: %+v", r)
	}
}
