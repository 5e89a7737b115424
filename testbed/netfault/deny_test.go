package netfault

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestUnauthorizedAnswers401WithoutReachingTheNode(t *testing.T) {
	n := startNode(t)
	f := forward(t, n)
	existing := dial(t, f.Addr())
	existing.roundTrip(t, "/before")

	f.Mode(Unauthorized)
	if _, err := existing.receive(5 * time.Second); !isReset(err) {
		t.Fatalf("existing connection after Unauthorized: %v, want a reset", err)
	}
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Post(f.URL()+"/_cluster/health", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var e struct {
		Error struct {
			Type string `json:"type"`
		} `json:"error"`
		Status int `json:"status"`
	}
	if resp.StatusCode != http.StatusUnauthorized || json.Unmarshal(body, &e) != nil || e.Error.Type != "security_exception" || e.Status != 401 {
		t.Fatalf("answer %d %s, want 401 with a security_exception", resp.StatusCode, body)
	}
	if !strings.Contains(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("WWW-Authenticate %q, want a Basic challenge", resp.Header.Get("WWW-Authenticate"))
	}
	if got := n.hits.Load(); got != 1 {
		t.Fatalf("node saw %d requests, want only the one before Unauthorized", got)
	}
	f.Mode(Pass)
	if body, err := get(f.URL() + "/after"); err != nil || body != "hello /after" {
		t.Fatalf("GET after Pass = %q, %v", body, err)
	}
}

func TestLatencyHoldsAnswersBack(t *testing.T) {
	n := startNode(t)
	f := forward(t, n)
	const d = 200 * time.Millisecond
	f.SetLatency(d)
	began := time.Now()
	if body, err := get(f.URL() + "/slow"); err != nil || body != "hello /slow" {
		t.Fatalf("GET /slow = %q, %v", body, err)
	}
	// A lower bound only: the answer cannot come sooner than the hold, however busy the
	// machine.
	if took := time.Since(began); took < d {
		t.Fatalf("answer after %s, want at least the latency %s", took, d)
	}
	f.SetLatency(0)
	if body, err := get(f.URL() + "/fast"); err != nil || body != "hello /fast" {
		t.Fatalf("GET /fast = %q, %v", body, err)
	}
}
