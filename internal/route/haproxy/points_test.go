package haproxy

import (
	"context"
	"testing"

	"github.com/esdr/esdr/internal/act"
)

// TestPoints: a fresh backend (every server ready) singles out no cluster; after a
// switch, the one whose servers are ready while the others are in maintenance.
func TestPoints(t *testing.T) {
	names := []string{"east1", "west1"}
	p := startHAProxy(t, names, []*node{newNode(t), newNode(t)})
	tg, err := New(Config{Socket: "unix:" + p.Socket, Backend: "es",
		Servers: map[string][]string{"east": {"east1"}, "west": {"west1"}}}, []string{"east", "west"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if c, e, err := tg.Points(ctx); c != "" || e != 0 || err != nil {
		t.Fatalf("fresh backend: %q %d %v, want \"\"", c, e, err)
	}
	if err := tg.Apply(ctx, act.Switch{Epoch: 2, From: "east", To: "west"}); err != nil {
		t.Fatal(err)
	}
	if c, _, err := tg.Points(ctx); c != "west" || err != nil {
		t.Fatalf("after a switch to west: %q %v", c, err)
	}
}
