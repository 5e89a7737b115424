package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/state"
	"github.com/esdr/esdr/testbed/peers"
)

// putRecord stores a record as the leader's store would (the watch only reads it).
func putRecord(t *testing.T, cliURLs []string, prefix string, active string, epoch uint64) {
	t.Helper()
	raw, err := json.Marshal(state.Record{State: decide.State{Active: active, Epoch: epoch}, Revision: epoch})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := client(t, cliURLs...).Put(ctx, prefix+"record", string(raw)); err != nil {
		t.Fatal(err)
	}
}

// TestEpochWatch: the view follows the stored epoch at once, wakes waiters on a change,
// fails closed once etcd has not confirmed it for the bound, and recovers with etcd.
func TestEpochWatch(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a real etcd; skipped under -short")
	}
	ec := peers.StartEtcdCluster(t, 1)
	urls := ec.Endpoints()
	const prefix = "/esdr/epoch-test/"
	w := NewEpochWatch(client(t, urls...), prefix, 2*time.Second, map[string][]string{"a": {"http://a:9200"}, "b": {"http://b:9200"}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	eventually(t, "an answer that nothing is stored", func() bool {
		_, err := w.Endpoint(ctx)
		return err != nil && !errors.Is(err, ErrStale)
	})
	changed := w.EpochChanged()
	putRecord(t, urls, prefix, "a", 1)
	eventually(t, "epoch 1 on a", func() bool {
		ep, err := w.Endpoint(ctx)
		return err == nil && ep.Cluster == "a" && ep.Epoch == 1 && len(ep.Nodes) == 1
	})
	select {
	case <-changed:
	default:
		t.Fatal("EpochChanged not closed when the epoch moved")
	}
	putRecord(t, urls, prefix, "b", 2)
	eventually(t, "epoch 2 on b", func() bool {
		ep, err := w.Endpoint(ctx)
		return err == nil && ep.Cluster == "b" && ep.Epoch == 2
	})

	ec.Stop(0)
	eventually(t, "failing closed without etcd", func() bool {
		_, err := w.Endpoint(ctx)
		return errors.Is(err, ErrStale)
	})
	if rec, age := w.Record(); rec.State.Active != "b" || age < 2*time.Second {
		t.Errorf("stale view: %s@%d confirmed %s ago, want b kept, older than the bound", rec.State.Active, rec.State.Epoch, age)
	}
	ec.Start(0)
	eventually(t, "serving again once etcd confirms", func() bool {
		ep, err := w.Endpoint(ctx)
		return err == nil && ep.Cluster == "b" && ep.Epoch == 2
	})
}

// TestQuorumObserver: the leader's observer combines the members' published views, and
// a member whose session ends stops counting.
func TestQuorumObserver(t *testing.T) {
	urls := etcdCluster(t, 1)
	cli := client(t, urls...)
	const prefix = "/esdr/quorum-test/"
	var members []*Member
	for _, name := range []string{"m1", "m2", "m3"} {
		m, err := New(cli, Options{Name: name, Vantage: "zone-" + name, Prefix: prefix, TTL: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, m)
	}
	stops := make([]func() error, len(members))
	for i, m := range members {
		stops[i] = run(t, m)
	}
	now := time.Now()
	publish := func(m *Member, primary health.Verdict) {
		t.Helper()
		obs := map[string]health.Observation{"primary": {Cluster: "primary", Verdict: primary},
			"standby": {Cluster: "standby", Verdict: health.VerdictUp}}
		if err := m.Publish(context.Background(), obs, now); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "three members registered", func() bool {
		ms, err := members[0].Members(context.Background())
		return err == nil && len(ms) == 3
	})
	publish(members[0], health.VerdictUp)
	publish(members[1], health.VerdictUp)
	publish(members[2], health.VerdictDown)
	q := members[0].NewQuorumObserver([]string{"primary", "standby"}, decide.Quorum{Size: 2, MaxAge: time.Minute}, func() string { return "primary" })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	defer func() { cancel(); <-done }()

	eventually(t, "primary up by 2 of 3 with a finding on m3", func() bool {
		fs := q.Findings()
		return q.Snapshot()["primary"].Verdict == "up" && len(fs) == 1 && fs[0].Code == decide.CodePartitionedFromPrimary && fs[0].Member == "m3"
	})
	publish(members[1], health.VerdictDown)
	eventually(t, "primary down by 2 of 3", func() bool { return q.Snapshot()["primary"].Verdict == "down" })
	select {
	case <-q.Changes():
	default:
		t.Error("no change signalled")
	}
	if err := stops[1](); err != nil { // m2 leaves: its view goes with its lease
		t.Fatal(err)
	}
	eventually(t, "primary unknown with one down view left", func() bool {
		return q.Snapshot()["primary"].Verdict == "unknown" && len(q.Views()) == 2
	})
}
