package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/esdr/esdr/internal/admin"
)

const readToken = "r3ad-only-token-value"

// TestReadToken: with admin.read_token set, every route but /healthz, /metrics and the
// status page's files needs a token; the read token reads and never commands; the admin
// token does both.
func TestReadToken(t *testing.T) {
	url := serveConfig(t, admin.Config{Listen: "127.0.0.1:0", Token: testToken, ReadToken: readToken}, &mirrorCtl{})
	rd, wr := "Bearer "+readToken, "Bearer "+testToken
	cases := []struct {
		name, method, path, auth string
		status                   int
		code, contains           string
	}{
		{"healthz is open", "GET", "/healthz", "", 200, "", `"ok"`},
		{"metrics are open", "GET", "/metrics", "", 200, "", ""},
		{"the page is open", "GET", "/", "", 200, "", "<title>esdr status</title>"},
		{"its script is open", "GET", "/ui/app.js", "", 200, "", "tick();"},
		{"status without a token", "GET", "/v1/status", "", 401, "unauthorized", "Bearer <read token or admin token>"},
		{"status with a wrong token", "GET", "/v1/status", "Bearer nope", 401, "unauthorized", "wrong bearer token; check the read token or admin token"},
		{"status with the read token", "GET", "/v1/status", rd, 200, "", `"active": "east"`},
		{"status with the admin token", "GET", "/v1/status", wr, 200, "", `"active": "east"`},
		{"endpoint without a token", "GET", "/v1/endpoint", "", 401, "unauthorized", ""},
		{"endpoint with the read token", "GET", "/v1/endpoint", rd, 200, "", `"epoch": 3`},
		{"events without a token", "GET", "/v1/events", "", 401, "unauthorized", ""},
		{"events head without a token", "HEAD", "/v1/events", "", 401, "", ""},
		{"events with the read token", "GET", "/v1/events?after=5&limit=1", rd, 200, "", `"seq": 6`},
		{"counts without a token", "GET", "/v1/mirror/counts?to=west", "", 401, "unauthorized", ""},
		{"counts with the read token", "GET", "/v1/mirror/counts?to=west", rd, 200, "", `"target": "west"`},
		{"pause with the read token", "POST", "/v1/pause", rd, 403, "forbidden", "the read token cannot change what esdr does; send the admin token"},
		{"resync with the read token", "POST", "/v1/mirror/resync", rd, 403, "forbidden", ""},
		{"pause without a token", "POST", "/v1/pause", "", 401, "unauthorized", "Bearer <admin token>"},
		{"pause with the admin token", "POST", "/v1/pause", wr, 200, "", `"code": "pause"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := do(t, c.method, url+c.path, c.auth, "")
			var e struct {
				Error struct{ Code, Message string }
			}
			if c.code != "" {
				if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code != c.code {
					t.Errorf("error code %q (%v), want %q", e.Error.Code, err, c.code)
				}
			}
			if resp.StatusCode != c.status || !strings.Contains(body+e.Error.Message, c.contains) {
				t.Fatalf("HTTP %d %s, want %d with %q", resp.StatusCode, body, c.status, c.contains)
			}
			if c.status == 401 && resp.Header.Get("WWW-Authenticate") != `Bearer realm="esdr"` {
				t.Errorf("401 without WWW-Authenticate")
			}
		})
	}
}

// TestCountsNeedATokenWithoutReadToken: the count comparison fans out to the clusters,
// so it needs a token whenever one is configured, even when reads are open.
func TestCountsNeedATokenWithoutReadToken(t *testing.T) {
	url := serve(t, &mirrorCtl{})
	if resp, _ := do(t, "GET", url+"/v1/status", "", ""); resp.StatusCode != 200 {
		t.Errorf("status without a token: %d, want 200 (no read token configured)", resp.StatusCode)
	}
	if resp, body := do(t, "GET", url+"/v1/mirror/counts?to=west", "", ""); resp.StatusCode != 401 {
		t.Errorf("counts without a token: %d %s, want 401", resp.StatusCode, body)
	}
}

// TestHostChecked: a Host that is not a name of the server is refused with 421 before
// anything else (DNS rebinding), on every route but /healthz; loopback addresses,
// localhost, the listen address and the configured names pass, whatever their port,
// case or trailing dot.
func TestHostChecked(t *testing.T) {
	url := serveConfig(t, admin.Config{Listen: "127.0.0.1:0", Token: testToken, AllowedHosts: []string{"esdr.example.com"}}, &fakeCtl{})
	cases := []struct {
		host, path string
		status     int
	}{
		{"evil.example:9310", "/v1/status", 421},
		{"evil.example", "/", 421},
		{"evil.example", "/ui/app.js", 421},
		{"evil.example", "/metrics", 421},
		{"127.0.0.1.evil.example", "/v1/status", 421},
		{"evil.example", "/healthz", 200},
		{"localhost:9310", "/v1/status", 200},
		{"LOCALHOST.", "/v1/status", 200},
		{"127.0.0.2:80", "/v1/status", 200},
		{"[::1]:9310", "/v1/status", 200},
		{"esdr.example.com:443", "/v1/status", 200},
		{"Esdr.Example.Com.", "/", 200},
	}
	for _, c := range cases {
		t.Run(c.host+c.path, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", url+c.path, nil)
			req.Host = c.host
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var e struct {
				Error struct{ Code, Message string }
			}
			_ = json.NewDecoder(resp.Body).Decode(&e)
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Fatalf("HTTP %d, want %d", resp.StatusCode, c.status)
			}
			if c.status == 421 && (e.Error.Code != "unknown_host" || !strings.Contains(e.Error.Message, "admin.allowed_hosts") ||
				!strings.Contains(e.Error.Message, c.host)) {
				t.Errorf("421 body %+v: want unknown_host naming the host and admin.allowed_hosts", e.Error)
			}
		})
	}
}

// blockingCtl is mirrorCtl whose count comparison waits until released.
type blockingCtl struct {
	mirrorCtl
	in      chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingCtl) CompareCounts(ctx context.Context, to, pattern string) (admin.CountComparison, error) {
	b.once.Do(func() { close(b.in) })
	<-b.release
	return b.mirrorCtl.CompareCounts(ctx, to, pattern)
}

// TestCostlyRouteOneAtATime: while a count comparison runs, another is answered 429 with
// Retry-After instead of fanning out again.
func TestCostlyRouteOneAtATime(t *testing.T) {
	ctl := &blockingCtl{in: make(chan struct{}), release: make(chan struct{})}
	url := serve(t, ctl)
	bearer := "Bearer " + testToken
	first := make(chan int, 1)
	go func() {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", url+"/v1/mirror/counts?to=west", nil)
		req.Header.Set("Authorization", bearer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	<-ctl.in
	resp, body := do(t, "GET", url+"/v1/mirror/counts?to=west", bearer, "")
	close(ctl.release)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "5" || !strings.Contains(body, `"busy"`) ||
		!strings.Contains(body, "another call is running; one runs at a time; retry in 5s") {
		t.Errorf("second call while the first runs: HTTP %d, Retry-After %q, %s; want 429 busy, Retry-After 5",
			resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if got := <-first; got != 200 {
		t.Errorf("first call: HTTP %d, want 200", got)
	}
}

// TestMetricsDisabled: metrics.enabled: false leaves /metrics out, as an unknown route.
func TestMetricsDisabled(t *testing.T) {
	url := serveConfig(t, admin.Config{Listen: "127.0.0.1:0", Token: testToken, NoMetrics: true}, &mirrorCtl{})
	if resp, body := do(t, "GET", url+"/metrics", "", ""); resp.StatusCode != 404 || !strings.Contains(body, "not_found") {
		t.Errorf("/metrics with metrics off: HTTP %d %s, want 404 not_found", resp.StatusCode, body)
	}
	if resp, _ := do(t, "GET", url+"/healthz", "", ""); resp.StatusCode != 200 {
		t.Errorf("/healthz with metrics off: HTTP %d, want 200", resp.StatusCode)
	}
}
