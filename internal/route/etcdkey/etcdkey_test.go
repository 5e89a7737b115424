package etcdkey

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/act"
	clientv3 "go.etcd.io/etcd/client/v3"
)

const key = "/esdr/active"

func newTarget(t *testing.T, cli *clientv3.Client) *Target {
	t.Helper()
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	tg, err := New(cli, key, now)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func stored(t *testing.T, cli *clientv3.Client) (Value, int64) {
	t.Helper()
	resp, err := cli.Get(context.Background(), key)
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("get %s: %v, %d kvs", key, err, len(resp.Kvs))
	}
	var v Value
	if err := json.Unmarshal(resp.Kvs[0].Value, &v); err != nil {
		t.Fatal(err)
	}
	return v, resp.Kvs[0].ModRevision
}

func TestApplyStoresNewEpochAndRefusesOlder(t *testing.T) {
	cli := startEtcd(t)
	tg := newTarget(t, cli)
	ctx := context.Background()

	sw := act.Switch{Epoch: 4, From: "east", To: "west", ToNodes: []string{"http://w1:9200"}, Reason: "east down"}
	if err := tg.Apply(ctx, sw); err != nil {
		t.Fatal(err)
	}
	sw5 := act.Switch{Epoch: 5, From: "west", To: "east", ToNodes: []string{"http://e1:9200"}, Reason: "switchover"}
	if err := tg.Apply(ctx, sw5); err != nil {
		t.Fatal(err)
	}
	v, _ := stored(t, cli)
	if v.Epoch != 5 || v.Cluster != "east" || v.Nodes[0] != "http://e1:9200" || v.Reason != "switchover" || v.UpdatedAt.IsZero() {
		t.Fatalf("stored %+v, want epoch 5 for east", v)
	}

	err := tg.Apply(ctx, sw)
	if !errors.Is(err, ErrStale) || err.Error() != "etcdkey: stored epoch 5 is newer than 4; not overwriting" {
		t.Fatalf("older epoch: err = %v, want the stale refusal", err)
	}
	err = tg.Apply(ctx, act.Switch{Epoch: 5, To: "west"})
	if !errors.Is(err, ErrStale) {
		t.Fatalf("same epoch, other cluster: err = %v, want ErrStale", err)
	}
	if v, _ := stored(t, cli); v.Epoch != 5 || v.Cluster != "east" {
		t.Fatalf("after refused writes the key holds %+v", v)
	}
}

func TestWatchSeesOneChangePerFailover(t *testing.T) {
	cli := startEtcd(t)
	tg := newTarget(t, cli)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	start, err := cli.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	wch := cli.Watch(ctx, key, clientv3.WithRev(start.Header.Revision+1))
	for _, sw := range []act.Switch{
		{Epoch: 1, To: "east"}, {Epoch: 1, To: "east"}, // applied twice: one change
		{Epoch: 2, From: "east", To: "west"}, {Epoch: 2, From: "east", To: "west"},
	} {
		if err := tg.Apply(ctx, sw); err != nil {
			t.Fatal(err)
		}
	}
	_, lastRev := stored(t, cli)

	var epochs []uint64
	for len(epochs) < 2 {
		wr := <-wch
		if err := wr.Err(); err != nil {
			t.Fatal(err)
		}
		for _, ev := range wr.Events {
			var v Value
			if err := json.Unmarshal(ev.Kv.Value, &v); err != nil {
				t.Fatal(err)
			}
			epochs = append(epochs, v.Epoch)
		}
	}
	if len(epochs) != 2 || epochs[0] != 1 || epochs[1] != 2 {
		t.Fatalf("watch saw epochs %v, want [1 2]", epochs)
	}
	if now, err := cli.Get(ctx, key); err != nil || now.Header.Revision != lastRev {
		t.Fatalf("store revision moved past the last write (%d): %v", lastRev, err)
	}
}

func TestApplyRefusesForeignValue(t *testing.T) {
	cli := startEtcd(t)
	tg := newTarget(t, cli)
	if _, err := cli.Put(context.Background(), key, "not json"); err != nil {
		t.Fatal(err)
	}
	if err := tg.Apply(context.Background(), act.Switch{Epoch: 1, To: "east"}); err == nil {
		t.Fatal("overwrote a value that is not esdr's")
	}
}

func TestCheck(t *testing.T) {
	ps := Config{Endpoints: []string{"127.0.0.1:2379"}, Key: "esdr", Username: "u"}.Check()
	if len(ps) != 3 {
		t.Fatalf("problems %q, want 3 (endpoint scheme, key, username without password)", ps)
	}
	if ps := (Config{Endpoints: []string{"http://127.0.0.1:2379"}, Key: "/esdr/active"}).Check(); len(ps) != 0 {
		t.Fatalf("valid config: %q", ps)
	}
}
