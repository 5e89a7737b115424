package netfault

import (
	"strings"
	"testing"
)

// A group cuts one esdr's path to every node of a cluster at once, and heals it.
func TestGroupSwitchesEveryNode(t *testing.T) {
	a, b := startNode(t), startNode(t)
	g, err := ForwardAll([]string{a.URL, b.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	urls := g.URLs()
	if len(urls) != 2 || urls[0] != g[0].URL() || g[0].Target() != strings.TrimPrefix(a.URL, "http://") {
		t.Fatalf("URLs = %v, targets %s, %s", urls, g[0].Target(), g[1].Target())
	}
	for _, u := range urls {
		if _, err := get(u + "/up"); err != nil {
			t.Fatalf("GET %s under Pass: %v", u, err)
		}
	}
	g.Mode(Refuse)
	for _, u := range urls {
		if _, err := get(u + "/down"); err == nil {
			t.Fatalf("GET %s under Refuse succeeded", u)
		}
	}
	g.Mode(Pass)
	for _, u := range urls {
		if body, err := get(u + "/again"); err != nil || body != "hello /again" {
			t.Fatalf("GET %s after Pass = %q, %v", u, body, err)
		}
	}
	if a.hits.Load() != 2 || b.hits.Load() != 2 {
		t.Fatalf("nodes saw %d and %d requests, want 2 each", a.hits.Load(), b.hits.Load())
	}
}

func TestForwardAllRejectsANodeWithoutHost(t *testing.T) {
	g, err := ForwardAll([]string{"127.0.0.1:1", "http://"})
	if err == nil || g != nil || !strings.Contains(err.Error(), `node "http://"`) {
		t.Fatalf("ForwardAll = %v, %v; want an error naming the node", g, err)
	}
}
