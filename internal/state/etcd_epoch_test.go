package state

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/testbed/peers"
)

// putRecord stores a record as the leader's store would (the follower only reads it).
func putRecord(t *testing.T, e *Etcd, active string, ep uint64) {
	t.Helper()
	raw, err := json.Marshal(Record{State: decide.State{Active: active, Epoch: ep}, Revision: ep})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := e.cli.Put(ctx, e.key("record"), string(raw)); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond for up to 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for %s", what)
		}
	}
}

// TestEtcdEpochsFollowAndFailClosed: the view follows the stored epoch at once, wakes
// waiters on a change, fails closed once etcd has not confirmed it for the bound, and
// recovers with etcd.
func TestEtcdEpochsFollowAndFailClosed(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a real etcd; skipped under -short")
	}
	ec := peers.StartEtcdCluster(t, 1)
	e := openEtcd(t, etcdClient(t, ec.Endpoints()[0]), "/esdr/epoch-test/", notLeading{}, 0)
	w := e.Epochs(2*time.Second, map[string][]string{"a": {"http://a:9200"}, "b": {"http://b:9200"}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	waitFor(t, "an answer that nothing is stored", func() bool {
		_, err := w.Endpoint(ctx)
		return errors.Is(err, ErrNoActive)
	})
	changed := w.EpochChanged()
	putRecord(t, e, "a", 1)
	waitFor(t, "epoch 1 on a", func() bool {
		ep, err := w.Endpoint(ctx)
		return err == nil && ep.Cluster == "a" && ep.Epoch == 1 && len(ep.Nodes) == 1
	})
	select {
	case <-changed:
	default:
		t.Fatal("EpochChanged not closed when the epoch moved")
	}
	putRecord(t, e, "b", 2)
	waitFor(t, "epoch 2 on b", func() bool {
		ep, err := w.Endpoint(ctx)
		return err == nil && ep.Cluster == "b" && ep.Epoch == 2
	})

	ec.Stop(0)
	waitFor(t, "failing closed without etcd", func() bool {
		_, err := w.Endpoint(ctx)
		return errors.Is(err, ErrStale)
	})
	if rec, age := w.Record(); rec.State.Active != "b" || age < 2*time.Second {
		t.Errorf("stale view: %s@%d confirmed %s ago, want b kept, older than the bound", rec.State.Active, rec.State.Epoch, age)
	}
	ec.Start(0)
	waitFor(t, "serving again once etcd confirms", func() bool {
		ep, err := w.Endpoint(ctx)
		return err == nil && ep.Cluster == "b" && ep.Epoch == 2
	})
}
