package etcdkey

import (
	"context"
	"testing"

	"github.com/esdr/esdr/internal/act"
)

func TestPoints(t *testing.T) {
	cli := startEtcd(t)
	tg := newTarget(t, cli)
	ctx := context.Background()
	if c, e, err := tg.Points(ctx); c != "" || e != 0 || err != nil {
		t.Fatalf("absent key: %q %d %v", c, e, err)
	}
	if err := tg.Apply(ctx, act.Switch{Epoch: 2, From: "east", To: "west"}); err != nil {
		t.Fatal(err)
	}
	if c, e, err := tg.Points(ctx); c != "west" || e != 2 || err != nil {
		t.Fatalf("after a switch: %q %d %v, want west at 2", c, e, err)
	}
	if _, err := cli.Put(ctx, key, "not json"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tg.Points(ctx); err == nil {
		t.Fatal("a foreign value read as a pointer")
	}
}
