package admin_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
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
// from another origin, and it never calls a mutating route (it holds no token).
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
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "method:", "Authorization", "/v1/switchover", "/v1/pause", "/v1/resume", "/v1/ack"} {
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
	if testing.Short() {
		t.Skip("needs chromium")
	}
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is missing: run scripts/install.sh (it installs Debian chromium)")
	}
	h := start(t, testToken)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=5000", "--dump-dom", h.url+"/")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	dom := string(out)
	for _, want := range []string{
		`data-testid="active">east</strong>`,
		`<strong id="epoch">3</strong>`,
		`data-cluster="west"`,
		"connection refused by every node",
		"esdr takes the preferred cluster east",
		`aria-label="east: last 0 probes, none yet"`,
		`id="conn" class="conn" role="status" aria-live="polite">live</p>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}
}
