package fleet

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestMirrorPeers runs against a real etcd: two members report what their journals owe;
// the gate of one waits for the other's report at the current epoch owing nothing, and
// names it while it does not; a forgotten member is in nobody's way.
func TestMirrorPeers(t *testing.T) {
	cli := client(t, etcdCluster(t, 1)...)
	const prefix = "/esdr/mirror-peers/"
	a, err := New(cli, Options{Name: "a", Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(cli, Options{Name: "b", Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	peers := a.NewMirrorPeers()
	if peers.Synced() {
		t.Fatal("peers say they read etcd before Run")
	}
	done := make(chan error, 1)
	go func() { done <- peers.Run(ctx) }()
	defer func() { cancel(); <-done }()
	wait := func(cluster string, epoch uint64, within time.Duration) error {
		wctx, wcancel := context.WithTimeout(ctx, within)
		defer wcancel()
		return peers.Wait(wctx, cluster, epoch)
	}
	publish := func(m *Member, epoch uint64, owes map[string]uint64) {
		t.Helper()
		if err := m.PublishMirror(ctx, MirrorReport{Epoch: epoch, At: time.Now(), Owes: owes}); err != nil {
			t.Fatal(err)
		}
	}

	publish(a, 3, map[string]uint64{"east": 0, "west": 9})
	publish(b, 3, map[string]uint64{"east": 0, "west": 40})
	eventually(t, "both reports read", func() bool { return len(peers.Reports()) == 2 })
	if !peers.Synced() {
		t.Fatal("peers with the reports read do not say they are synced")
	}

	t.Run("a write to a cluster no other member owes goes at once", func(t *testing.T) {
		if err := wait("east", 3, 5*time.Second); err != nil {
			t.Error(err)
		}
	})
	t.Run("a write to a cluster another member owes waits, naming it", func(t *testing.T) {
		err := wait("west", 3, 200*time.Millisecond)
		if err == nil || !strings.Contains(err.Error(), "esdr member b owes west 40 journaled writes") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("after a failover, a member that has not reported at the new epoch is in the way", func(t *testing.T) {
		err := wait("west", 4, 200*time.Millisecond)
		if err == nil || !strings.Contains(err.Error(), "esdr member b last reported") || !strings.Contains(err.Error(), "at epoch 3, before epoch 4") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("its report at the new epoch owing nothing lets the held write go", func(t *testing.T) {
		got := make(chan error, 1)
		go func() { got <- wait("west", 4, 30*time.Second) }()
		eventually(t, "the write held", func() bool { peers.mu.Lock(); defer peers.mu.Unlock(); return peers.held == 1 })
		publish(b, 4, map[string]uint64{"east": 2, "west": 0})
		if err := <-got; err != nil {
			t.Error(err)
		}
	})
	t.Run("the leader sums what is owed and names who owes it", func(t *testing.T) {
		reports, err := a.MirrorReports(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n, who := Owed(reports, "west", time.Now())
		if n != 9 || !strings.HasPrefix(who, "a owes 9 (reported ") {
			t.Errorf("owed west %d by %q", n, who)
		}
	})
	t.Run("a forgotten member is in nobody's way", func(t *testing.T) {
		publish(b, 4, map[string]uint64{"east": 5})
		eventually(t, "b's report read", func() bool { return wait("east", 4, 10*time.Millisecond) != nil })
		if ok, err := a.ForgetMirror(ctx, "b"); err != nil || !ok {
			t.Fatalf("forget b: %v %v", ok, err)
		}
		if err := wait("east", 4, 30*time.Second); err != nil {
			t.Error(err)
		}
	})
}
