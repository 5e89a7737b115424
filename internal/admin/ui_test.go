package admin_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
)

func TestStatusPageRoutes(t *testing.T) {
	h := start(t, testToken)
	cases := []struct {
		name, method, path string
		status             int
		ctype, contains    string
	}{
		{"page", "GET", "/", 200, "text/html; charset=utf-8", `<script src="/ui/app.js" defer></script>`},
		{"page head", "HEAD", "/", 200, "text/html; charset=utf-8", ""},
		{"page by name", "GET", "/ui/index.html", 200, "text/html; charset=utf-8", "<title>esdr status</title>"},
		{"script", "GET", "/ui/app.js", 200, "text/javascript; charset=utf-8", `getJSON("/v1/status")`},
		{"style", "GET", "/ui/style.css", 200, "text/css; charset=utf-8", "prefers-color-scheme"},
		{"unknown asset", "GET", "/ui/secrets.txt", 404, "application/json", "not_found"},
		{"directory", "GET", "/ui/", 404, "application/json", "not_found"},
		{"no traversal", "GET", "/ui/../ui.go", 404, "application/json", ""},
		{"post to the page", "POST", "/", 405, "application/json", "method_not_allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := do(t, c.method, h.url+c.path, "", "")
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			if got := resp.Header.Get("Content-Type"); got != c.ctype {
				t.Errorf("Content-Type %q, want %q", got, c.ctype)
			}
			if !strings.Contains(body, c.contains) {
				t.Errorf("body lacks %q", c.contains)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", resp.Header.Get("X-Content-Type-Options"))
			}
			if c.status == 200 {
				csp := resp.Header.Get("Content-Security-Policy")
				for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"} {
					if !strings.Contains(csp, want) {
						t.Errorf("CSP %q lacks %q", csp, want)
					}
				}
				if strings.Contains(csp, "unsafe-") {
					t.Errorf("CSP %q allows unsafe sources", csp)
				}
			}
		})
	}

	t.Run("revalidation answers 304", func(t *testing.T) {
		resp, _ := do(t, "GET", h.url+"/ui/app.js", "", "")
		etag := resp.Header.Get("ETag")
		req, _ := http.NewRequestWithContext(t.Context(), "GET", h.url+"/ui/app.js", nil)
		req.Header.Set("If-None-Match", etag)
		r2, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r2.Body.Close()
		if etag == "" || r2.StatusCode != http.StatusNotModified {
			t.Fatalf("ETag %q, revalidation status %d, want 304", etag, r2.StatusCode)
		}
	})
}

// TestStatusPageIsReadOnlyAndSelfContained reads the page's own files: it loads nothing
// from another origin, it never calls a mutating route (it holds at most the read token,
// and only in the tab's sessionStorage: never localStorage or a cookie).
func TestStatusPageIsReadOnlyAndSelfContained(t *testing.T) {
	h := start(t, testToken)
	var all strings.Builder
	for _, p := range []string{"/", "/ui/app.js", "/ui/style.css"} {
		_, body := do(t, "GET", h.url+p, "", "")
		all.WriteString(body)
	}
	src := all.String()
	if m := regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).FindString(src); m != "" {
		t.Errorf("page loads from another origin: %s", m)
	}
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "method:", "localStorage", "cookie", "/v1/switchover", "/v1/pause", "/v1/resume", "/v1/ack"} {
		if strings.Contains(src, bad) {
			t.Errorf("page contains %q: it must stay read-only and write API data as text", bad)
		}
	}
	_, js := do(t, "GET", h.url+"/ui/app.js", "", "")
	if n := strings.Count(js, "\n"); n > 400 {
		t.Errorf("app.js has %d lines; keep it small enough to read (< 400)", n)
	}
}

// TestStatusPageRendersInChromium loads the page in headless Chromium against the fake
// controller and reads the DOM after its scripts ran: the strict CSP lets the page work.
// The live-update proof on the test bed is e2e/statuspage_test.go.
func TestStatusPageRendersInChromium(t *testing.T) {
	h := start(t, testToken)
	dom := renderedDOM(t, h.url+"/")
	for _, want := range []string{
		`data-testid="active">east</strong>`,
		`<strong id="epoch">3</strong>`,
		`data-cluster="west"`,
		"connection refused by every node",
		"esdr takes the preferred cluster east",
		`aria-label="east: last 0 probes, none yet"`,
		`id="conn" class="conn" role="status" aria-live="polite">live</p>`,
		`<section id="fleet" aria-labelledby="h-fleet" hidden="">`, // the embedded mode has no fleet
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}
}

// TestStatusPageReadTokenInChromium: with a read token configured, the page opened
// without one asks for it and shows nothing; opened at #token=<read token>, it shows the
// status and drops the token from the address.
func TestStatusPageReadTokenInChromium(t *testing.T) {
	url := serveConfig(t, admin.Config{Listen: "127.0.0.1:0", Token: testToken, ReadToken: readToken}, &fakeCtl{})
	asked := renderedDOM(t, url+"/")
	for _, want := range []string{
		`<section id="auth" aria-labelledby="h-auth">`,
		"This esdr shows its status only to holders of its read token (admin.read_token)",
		`role="status" aria-live="polite">waiting for the read token</p>`,
		`data-testid="active">…</strong>`,
	} {
		if !strings.Contains(asked, want) {
			t.Errorf("page without a token lacks %s", want)
		}
	}
	shown := renderedDOM(t, url+"/#token="+readToken)
	for _, want := range []string{
		`<section id="auth" aria-labelledby="h-auth" hidden="">`,
		`data-testid="active">east</strong>`,
		`role="status" aria-live="polite">live</p>`,
		`<button id="token-forget" type="button">Forget the read token</button>`,
	} {
		if !strings.Contains(shown, want) {
			t.Errorf("page opened with the token lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("DOM without a token:\n%s\nDOM with it:\n%s", asked, shown)
	}
}

// fleetCtl answers like fakeCtl, with the fleet section a leader gives when one member
// cannot reach the primary.
type fleetCtl struct {
	*fakeCtl
	fleet *admin.FleetStatus
}

func (f fleetCtl) Status(ctx context.Context) (admin.Status, error) {
	st, err := f.fakeCtl.Status(ctx)
	st.Fleet = f.fleet
	return st, err
}

// TestStatusPageFleetInChromium renders the fleet section: the leader, the members ×
// clusters table from the views with their ages, and a finding naming the cut-off member;
// and, from a follower, where to find the views instead.
func TestStatusPageFleetInChromium(t *testing.T) {
	now := time.Now().UTC()
	view := func(member, vantage string, ago time.Duration, east health.Verdict) admin.FleetView {
		return admin.FleetView{Member: member, Vantage: vantage, At: now.Add(-ago),
			Verdicts: map[string]health.Verdict{"east": east, "west": health.VerdictDown}}
	}
	members := []admin.FleetMember{
		{Name: "esdr-a", Vantage: "zone-a", Admin: "http://10.0.0.1:9310"},
		{Name: "esdr-b", Vantage: "zone-b", Admin: "http://10.0.0.2:9310"},
		{Name: "esdr-c", Vantage: "zone-c"},
	}
	leader := &admin.FleetStatus{Member: "esdr-a", Vantage: "zone-a", Leading: true, Leader: "esdr-a", EpochAge: "412ms",
		Members: members,
		Views: []admin.FleetView{view("esdr-a", "zone-a", time.Second, health.VerdictUp),
			view("esdr-b", "zone-b", 2*time.Second, health.VerdictDown), view("esdr-c", "zone-c", 75*time.Second, health.VerdictUp)},
		Findings: []decide.Finding{{Code: decide.CodePartitionedFromPrimary, Cluster: "east", Member: "esdr-b", Vantage: "zone-b",
			Message: "esdr-b at zone-b sees active east down (unreachable) while 2 of 3 fresh vantage points see it up"}},
	}
	follower := &admin.FleetStatus{Member: "esdr-b", Vantage: "zone-b", Leader: "esdr-a", EpochAge: "-1", Members: members}
	cases := []struct {
		name  string
		fleet *admin.FleetStatus
		want  []string
	}{
		{"leader", leader, []string{
			`<section id="fleet" aria-labelledby="h-fleet">`,
			`Leader: <strong data-testid="fleet-leader">esdr-a</strong>. This page is served by <strong>esdr-a</strong> (vantage zone-a), the leader.`,
			`<th scope="col">east<span class="muted"> (active)</span></th><th scope="col">west</th><th scope="col">view taken</th>`,
			`<tr data-member="esdr-b" class="has-finding"><th scope="row">esdr-b<div class="muted"><a href="http://10.0.0.2:9310/">its status page</a></div></th>`,
			`<td data-cluster="east"><span class="v-down">down</span></td>`,
			`s ago)</td>`, // virtual time runs ahead in the browser: ages are not exact
			`(1m `,
			`<li data-code="partitioned-from-primary" data-member="esdr-b"><code>partitioned-from-primary</code> esdr-b at zone-b sees active east down`,
			"etcd confirmed this member's epoch 412ms ago",
		}},
		{"follower", follower, []string{
			"(vantage zone-b), a follower.",
			`<a href="http://10.0.0.1:9310/">open the leader's page</a>`,
			`<tr data-member="esdr-c" class=""><th scope="row">esdr-c</th><td>zone-c</td><td data-cluster="east">–</td>`,
			`<li class="muted">Reported by the leader only.</li>`,
			"etcd has not confirmed this member's epoch yet",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url := serve(t, fleetCtl{fakeCtl: &fakeCtl{}, fleet: c.fleet})
			dom := renderedDOM(t, url+"/")
			for _, want := range c.want {
				if !strings.Contains(dom, want) {
					t.Errorf("rendered page lacks %s", want)
				}
			}
			if t.Failed() {
				t.Logf("DOM:\n%s", dom)
			}
		})
	}
}

// serve runs an admin server with ctl on a free port until the test ends.
func serve(t *testing.T, ctl admin.Controller) string {
	t.Helper()
	return serveConfig(t, admin.Config{Listen: "127.0.0.1:0", Token: testToken}, ctl)
}

// serveConfig is serve with a configuration of its own.
func serveConfig(t *testing.T, cfg admin.Config, ctl admin.Controller) string {
	t.Helper()
	srv, err := admin.New(cfg, ctl, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return "http://" + srv.Addr()
}

// renderedDOM loads url in headless Chromium and returns the DOM after its scripts ran.
func renderedDOM(t *testing.T, url string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs chromium")
	}
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is missing: run scripts/install.sh (it installs Debian chromium)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=5000", "--dump-dom", url)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return string(out)
}
