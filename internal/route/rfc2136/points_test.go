package rfc2136

import (
	"context"
	"testing"

	"github.com/esdr/esdr/internal/act"
)

// TestPoints reads where the record points on a real named: the zone's own data
// (192.0.2.1, east's) before any switch, west's after one, nothing after a foreign one.
func TestPoints(t *testing.T) {
	server := startNamed(t)
	ctx := context.Background()
	tg, err := New(testConfig(server), clusters)
	if err != nil {
		t.Fatal(err)
	}
	if c, e, err := tg.Points(ctx); c != "east" || e != 0 || err != nil {
		t.Fatalf("before a switch: %q %d %v, want east", c, e, err)
	}
	if err := tg.Apply(ctx, act.Switch{Epoch: 2, From: "east", To: "west"}); err != nil {
		t.Fatal(err)
	}
	if c, _, err := tg.Points(ctx); c != "west" || err != nil {
		t.Fatalf("after a switch to west: %q %v", c, err)
	}
	foreign := testConfig(server)
	foreign.Values = map[string][]string{"east": {"203.0.113.1"}, "west": {"203.0.113.2"}}
	other, err := New(foreign, clusters)
	if err != nil {
		t.Fatal(err)
	}
	if c, _, err := other.Points(ctx); c != "" || err != nil {
		t.Fatalf("data of no configured cluster: %q %v, want \"\"", c, err)
	}
}
