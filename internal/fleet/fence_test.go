package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/state"
)

// TestDeposedLeaderCannotFence: leader a fails over from east while east has no
// master, so its fence of east is deferred. a's term ends without a noticing (frozen, as
// a process paused past its lease); b is elected, applies the deferred fence itself,
// then lifts it for a resync. a wakes up and retries its deferred fence of the cluster
// b has just unfenced: its intent is refused by etcd, east receives no fence from it,
// and a's Run stops retrying, saying "not leader".
func TestDeposedLeaderCannotFence(t *testing.T) {
	url := etcdCluster(t, 1)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rec := &record{}
	east := newSettingsNode(t, "east", rec)
	east.down.Store(true)

	cliA, cliB := client(t, url), client(t, url)
	a, err := New(cliA, Options{Name: "a", Prefix: prefix, TTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	stopA := run(t, a)
	eventually(t, "a leading", a.IsLeader)
	frozenA := frozenLeader{fixedGuard{a.LeaderKey(), a.LeaderRev()}}
	stA := openStore(t, cliA, frozenA)
	exA := executor(t, stA, frozenA, east)
	s, d := failover(t, stA, "east", "west", 1)
	if err := exA.Act(ctx, s, d); err != nil {
		t.Fatal(err)
	}
	if got := exA.PendingFences(); !slices.Equal(got, []string{"east"}) {
		t.Fatalf("a's deferred fences %v, want [east]", got)
	}

	if err := stopA(); err != nil { // a's term ends; the frozen a does not know
		t.Fatal(err)
	}
	b, err := New(cliB, Options{Name: "b", Prefix: prefix, TTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	run(t, b)
	eventually(t, "b leading", b.IsLeader)
	stB := openStore(t, cliB, b)
	exB := executor(t, stB, b, east)
	if err := exB.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	east.down.Store(false)
	stopB := runExecutor(t, exB)
	eventually(t, "b's deferred fence of east", func() bool { return slices.Contains(rec.list(), "fence east") })
	if err := stopB(); err != nil {
		t.Fatalf("b's Run: %v", err)
	}
	if err := exB.LiftFence(ctx, "east", "a resync"); err != nil {
		t.Fatal(err)
	}

	// a's Run retries its deferred fence of east at its first tick, and must stop there.
	ranA := make(chan error, 1)
	go func() { ranA <- exA.Run(ctx) }()
	var fences int
	eventually(t, "a's Run stopping, or a second fence of east", func() bool {
		fences = 0
		for _, op := range rec.list() {
			if op == "fence east" {
				fences++
			}
		}
		return len(ranA) > 0 || fences > 1
	})
	cancel() // a's Run returns now if it had not
	err = <-ranA
	if got, want := rec.list(), []string{"fence east", "unfence east"}; !slices.Equal(got, want) {
		t.Fatalf("east received %v, want %v (b's fence and lift, nothing from a)", got, want)
	}
	if !errors.Is(err, act.ErrNotLeader) || !errors.Is(err, state.ErrNotLeader) || !strings.Contains(err.Error(), "not leader") {
		t.Fatalf("a's Run returned %v, want a refusal saying not leader", err)
	}
	raw, ok, err := stB.Get(context.Background(), "intents", "east")
	var it struct{ Action string }
	if err != nil || !ok || json.Unmarshal(raw, &it) != nil || it.Action != "lift-fence" {
		t.Fatalf("east's last intent %s (%v, %v), want b's lift-fence", raw, ok, err)
	}
}

// TestNewLeaderWaitsOutPredecessor: leader a's path to etcd starts delivering answers
// two seconds late, then is cut. etcd expires a's lease a TTL after its last renewal; a
// learns of it only when its own keep-alive deadline passes, a TTL after that renewal's
// answer reached it — two seconds later. b is elected at the expiry, and its first
// action, the fence a had deferred, reaches east only after a has stopped acting:
// without the wait it would land in those two seconds.
func TestNewLeaderWaitsOutPredecessor(t *testing.T) {
	url := etcdCluster(t, 1)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const ttl = 4 * time.Second
	rec := &record{}
	east := newSettingsNode(t, "east", rec)
	east.down.Store(true)

	path := newSlowLink(t, strings.TrimPrefix(url, "http://"))
	cliA := client(t, path.URL())
	a, err := New(cliA, Options{Name: "a", Prefix: prefix, TTL: ttl, Timeout: 3 * time.Second, Lead: func(ctx context.Context) error {
		<-ctx.Done()
		rec.add("a stopped acting")
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	run(t, a)
	eventually(t, "a leading", a.IsLeader)
	stA, err := state.OpenEtcd(ctx, cliA, state.EtcdOptions{Prefix: prefix, Guard: a})
	if err != nil {
		t.Fatal(err)
	}
	s, d := failover(t, stA, "east", "west", 1)
	if err := executor(t, stA, a, east).Act(ctx, s, d); err != nil {
		t.Fatal(err)
	}
	east.down.Store(false)

	cliB := client(t, url)
	exB := make(chan *act.Executor, 1)
	b, err := New(cliB, Options{Name: "b", Prefix: prefix, TTL: ttl, Timeout: time.Second, Lead: func(ctx context.Context) error {
		rec.add("b elected")
		ex := <-exB
		if err := ex.Resume(ctx); err != nil {
			return err
		}
		return ex.Run(ctx)
	}})
	if err != nil {
		t.Fatal(err)
	}
	exB <- executor(t, openStore(t, cliB, b), b, east)
	run(t, b)
	path.Slow(2 * time.Second)
	eventually(t, "a keep-alive answer on its way to a, late", func() bool { return path.Late() > 0 })
	path.Cut()
	eventually(t, "b's fence of east", func() bool { return slices.Contains(rec.list(), "fence east") })

	got := rec.list()
	at := func(op string) int { return slices.Index(got, op) }
	if at("a stopped acting") < 0 || at("a stopped acting") > at("fence east") || at("b elected") > at("fence east") {
		t.Fatalf("order %q: b's first fence must follow b's election and a stopping", got)
	}
	t.Logf("order: %q", got)
}
