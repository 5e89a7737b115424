package snapshot

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/esclient"
)

// nopDoer answers nothing; for tests that never reach a cluster.
type nopDoer struct{}

func (nopDoer) Do(context.Context, string, string, io.Reader) (int, []byte, error) {
	return 0, nil, errors.New("nop")
}

// TestGarbage runs cycles against a cluster that answers one step with garbage: each
// cycle fails with an error naming the step, and nothing panics.
func TestGarbage(t *testing.T) {
	repoOK := `{"r":{"type":"fs","settings":{"location":"/x"}}}`
	name := "esdr-sync-20260101-000000-000"
	statusOK := `{"snapshots":[{"state":"SUCCESS","shards_stats":{"done":1,"total":1},"indices":{"logs-a":{"shards_stats":{"total":1}}}}]}`
	cases := []struct {
		name   string
		answer map[string]string // "METHOD path-prefix" (or "GET status") → body, "!500" for HTTP 500
		text   string
	}{
		{"html repository", map[string]string{"GET /_snapshot/r": "<html>bad gateway</html>"}, "GET /_snapshot/r: unreadable answer: not JSON"},
		{"repository of another type", map[string]string{"GET /_snapshot/r": `{"r":{"type":"s3","settings":{"location":"/x"}}}`}, `registered with other settings (type "s3", want "fs")`},
		{"truncated status", map[string]string{"GET /_snapshot/r": repoOK, "PUT /_snapshot/r/": `{"accepted":true}`,
			"GET /_snapshot/r/": `{"snapshots":[{"state":"SUCC`}, "unreadable answer"},
		{"unknown state", map[string]string{"GET /_snapshot/r": repoOK, "PUT /_snapshot/r/": `{"accepted":true}`,
			"GET /_snapshot/r/": `{"snapshots":[{"snapshot":"` + name + `","state":"` + strings.Repeat("Z", 500) + `"}]}`}, "unknown state"},
		{"no snapshot", map[string]string{"GET /_snapshot/r": repoOK, "PUT /_snapshot/r/": `{"accepted":true}`,
			"GET /_snapshot/r/": `{"snapshots":[]}`}, "answer does not describe snapshot esdr-sync-20260101-000000-000"},
		{"failed", map[string]string{"GET /_snapshot/r": repoOK, "PUT /_snapshot/r/": `{"accepted":true}`,
			"GET /_snapshot/r/": `{"snapshots":[{"snapshot":"` + name + `","state":"FAILED","failures":[{"index":"logs-a","reason":"IOException[disk]"}]}]}`},
			"snapshot esdr-sync-20260101-000000-000 ended FAILED (1 shard failures: logs-a: IOException[disk])"},
		{"status without shards", map[string]string{"GET /_snapshot/r": repoOK, "PUT /_snapshot/r/": `{"accepted":true}`,
			"GET /_snapshot/r/": `{"snapshots":[{"snapshot":"` + name + `","state":"SUCCESS","indices":["logs-a"]}]}`,
			"GET status":        `{"snapshots":[{"state":"SUCCESS"}]}`}, "no shard count for index logs-a"},
		{"info of another snapshot", map[string]string{"GET /_snapshot/r": repoOK, "PUT /_snapshot/r/": `{"accepted":true}`,
			"GET status": statusOK, "GET /_snapshot/r/esdr": `{"snapshots":[{"snapshot":"other","state":"SUCCESS"}]}`}, "does not describe snapshot"},
		{"info of garbage shape", map[string]string{"GET /_snapshot/r": repoOK, "PUT /_snapshot/r/": `{"accepted":true}`,
			"GET /_snapshot/r/esdr": statusOK}, "unreadable answer: json: cannot unmarshal"},
		{"error body", map[string]string{"GET /_snapshot/r": repoOK, "PUT /_snapshot/r/": `!500{"error":{"type":"repository_exception","reason":"[r] could not read"},"status":500}`},
			"PUT /_snapshot/r/esdr-sync-"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				key, best := r.Method+" "+r.URL.Path, ""
				if _, ok := c.answer["GET status"]; ok && strings.HasSuffix(r.URL.Path, "/_status") {
					key = "GET status"
				}
				for k := range c.answer {
					if strings.HasPrefix(key, k) && len(k) > len(best) {
						best = k
					}
				}
				body, ok := c.answer[best]
				if !ok {
					w.WriteHeader(http.StatusTeapot)
					return
				}
				if strings.HasPrefix(body, "!500") {
					w.WriteHeader(http.StatusInternalServerError)
					body = body[4:]
				}
				_, _ = io.WriteString(w, body)
			}))
			defer srv.Close()
			// The standby only needs to show its read-only registration.
			sb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, `{"r":{"type":"fs","settings":{"location":"/x","readonly":"true"}}}`)
			}))
			defer sb.Close()
			cl, scl := client(t, srv.URL), client(t, sb.URL)
			s, err := New(cl, scl, Options{
				Repository: Repository{Name: "r", Type: "fs", Settings: map[string]any{"location": "/x"}},
				Indices:    []string{"logs-*"}, PollInterval: time.Millisecond, SnapshotTimeout: 2 * time.Second,
				Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Cycle(context.Background(), Forward)
			if err == nil || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("Cycle: %v; want an error containing %q", err, c.text)
			}
			if st := s.Stats(); st.Failures != 1 || st.LastError == nil || !st.LastGood.IsZero() || st.Running {
				t.Errorf("Stats after the failure: %+v", st)
			}
		})
	}
}

func client(t *testing.T, url string) *esclient.Client {
	t.Helper()
	c, err := esclient.New([]string{url}, esclient.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}
