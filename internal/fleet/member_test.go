package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/state"
	"github.com/esdr/esdr/testbed/peers"
)

var _ state.Guard = (*Member)(nil)

const prefix = "/esdr/test/"

// fixedGuard is a term that was once held: what a stale leader's store still compares.
type fixedGuard struct {
	key string
	rev int64
}

func (g fixedGuard) LeaderKey() string { return g.key }
func (g fixedGuard) LeaderRev() int64  { return g.rev }

// terms records the leadership contexts a member's Lead was given.
func terms(ch chan context.Context) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		ch <- ctx
		<-ctx.Done()
		return nil
	}
}

func names(infos []Info) []string {
	var out []string
	for _, in := range infos {
		out = append(out, in.Name)
	}
	return out
}

func TestLeaderLosesSessionAnotherTakesOver(t *testing.T) {
	urls := etcdCluster(t, 3)
	ctx := context.Background()
	reg := prometheus.NewPedanticRegistry()
	termsA, termsB := make(chan context.Context, 4), make(chan context.Context, 4)
	a, err := New(client(t, urls[0]), Options{Name: "a", Vantage: "zone-1", Prefix: prefix, TTL: 2 * time.Second, Lead: terms(termsA), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(client(t, urls[1]), Options{Name: "b", Vantage: "zone-2", Prefix: prefix, TTL: 2 * time.Second, Lead: terms(termsB)})
	if err != nil {
		t.Fatal(err)
	}
	stopA := run(t, a)
	leadA := <-termsA
	stopB := run(t, b)
	eventually(t, "both members registered", func() bool {
		ms, err := b.Members(ctx)
		return err == nil && slices.Equal(names(ms), []string{"a", "b"})
	})
	if l, err := b.Leader(ctx); err != nil || l != "a" || !a.IsLeader() || b.IsLeader() {
		t.Fatalf("leader %q %v; a leads %v, b leads %v", l, err, a.IsLeader(), b.IsLeader())
	}
	if got := testutil.ToFloat64(a.metrics.leader); got != 1 {
		t.Errorf("esdr_fleet_leader of a = %v, want 1", got)
	}

	storeA, err := state.OpenEtcd(ctx, client(t, urls[0]), state.EtcdOptions{Prefix: prefix, Guard: a})
	if err != nil {
		t.Fatal(err)
	}
	rec, _, err := storeA.CommitDecision(ctx, 0, decide.State{Active: "east", Epoch: 1}, state.Event{Kind: state.EventDecided})
	if err != nil {
		t.Fatal(err)
	}
	if err := storeA.Put(ctx, "holddown", "east", []byte("a")); err != nil {
		t.Fatal(err)
	}
	staleA := fixedGuard{a.LeaderKey(), a.LeaderRev()}

	// a's lease ends behind its back (as when it is paused past its TTL).
	a.mu.Lock()
	lease := a.lease
	a.mu.Unlock()
	if _, err := a.cli.Revoke(ctx, lease); err != nil {
		t.Fatal(err)
	}
	<-leadA.Done() // a stopped leading: its leadership context was cancelled
	<-termsB       // and b leads
	if l, err := a.Leader(ctx); err != nil || l != "b" || a.IsLeader() {
		t.Fatalf("after a's lease ended: leader %q %v, a leads %v", l, err, a.IsLeader())
	}

	// a's old term cannot write, neither through a (not leading) nor with its old token.
	stale, err := state.OpenEtcd(ctx, client(t, urls[2]), state.EtcdOptions{Prefix: prefix, Guard: staleA})
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*state.Etcd{"a": storeA, "a's old term": stale} {
		if _, err := s.CompareAndSwap(ctx, rec.Revision, decide.State{Active: "west", Epoch: 2}); !errors.Is(err, state.ErrNotLeader) {
			t.Errorf("%s: got %v, want ErrNotLeader", name, err)
		}
	}
	// b inherits the state and the hold-down.
	storeB, err := state.OpenEtcd(ctx, client(t, urls[1]), state.EtcdOptions{Prefix: prefix, Guard: b})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := storeB.Load(ctx); err != nil || got != rec {
		t.Fatalf("b loads %+v %v, want %+v", got, err, rec)
	}
	if v, ok, err := storeB.Get(ctx, "holddown", "east"); err != nil || !ok || string(v) != "a" {
		t.Fatalf("b's hold-down %q %v %v", v, ok, err)
	}
	if _, err := storeB.CompareAndSwap(ctx, rec.Revision, decide.State{Active: "west", Epoch: 2}); err != nil {
		t.Fatal(err)
	}

	// a rejoins with a new session as a follower; b leaving hands the lead back at once.
	eventually(t, "a registered again", func() bool {
		ms, err := b.Members(ctx)
		return err == nil && slices.Equal(names(ms), []string{"a", "b"})
	})
	if err := stopB(); err != nil {
		t.Fatal(err)
	}
	<-termsA
	if err := stopA(); err != nil {
		t.Fatal(err)
	}
	if ms, err := storeB.Load(ctx); err != nil || ms.State.Active != "west" {
		t.Fatalf("state after both left: %+v %v", ms, err)
	}
	if _, err := b.Leader(ctx); !errors.Is(err, ErrNoLeader) {
		t.Fatalf("after both left: %v, want ErrNoLeader", err)
	}
	if got := testutil.ToFloat64(a.metrics.changes); got < 4 {
		t.Errorf("esdr_fleet_leadership_changes_total of a = %v, want at least 4", got)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("metric lint: %v %v", problems, err)
	}
}

func TestObservationsOfLiveMembersOnly(t *testing.T) {
	url := peers.Etcd(t)
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a, err := New(client(t, url), Options{Name: "a", Vantage: "zone-1", Prefix: prefix, TTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	crashing := client(t, url)
	c, err := New(crashing, Options{Name: "c", Vantage: "zone-3", Prefix: prefix, TTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// Published before a session exists: put as soon as one starts.
	if err := a.Publish(ctx, map[string]health.Observation{"east": {Cluster: "east", Verdict: health.VerdictUp}}, at); err != nil {
		t.Fatal(err)
	}
	run(t, a)
	run(t, c)
	eventually(t, "c has a session", func() bool { ms, _ := a.Members(ctx); return len(ms) == 2 })
	if err := c.Publish(ctx, map[string]health.Observation{"east": {Cluster: "east", Verdict: health.VerdictDown}}, at); err != nil {
		t.Fatal(err)
	}
	views, err := a.Observations(ctx)
	if err != nil || len(views) != 2 {
		t.Fatalf("views %+v %v", views, err)
	}
	if v := views[0]; v.Member != "a" || v.Vantage != "zone-1" || !v.At.Equal(at) || !v.Clusters["east"].Up() {
		t.Errorf("a's view %+v", v)
	}
	if v := views[1]; v.Member != "c" || v.Vantage != "zone-3" || !v.Clusters["east"].Down() {
		t.Errorf("c's view %+v", v)
	}

	// c dies without a word (its client goes away, nothing revokes its lease): its view
	// and registration expire with the TTL.
	_ = crashing.Close()
	eventually(t, "c's view to expire", func() bool {
		views, err := a.Observations(ctx)
		return err == nil && len(views) == 1 && views[0].Member == "a"
	})
	if ms, err := a.Members(ctx); err != nil || !slices.Equal(names(ms), []string{"a"}) {
		t.Fatalf("members after c died: %+v %v", ms, err)
	}
}

func TestLeadEndingItsTerm(t *testing.T) {
	url := peers.Etcd(t)
	boom := errors.New("boom")
	calls := make(chan int, 4)
	n := 0
	m, err := New(client(t, url), Options{Name: "a", Prefix: prefix, TTL: 2 * time.Second, Lead: func(ctx context.Context) error {
		n++
		calls <- n
		if n == 1 {
			return fmt.Errorf("loop: %w", state.ErrNotLeader) // the store saw the term end: campaign again
		}
		return boom // anything else ends Run
	}})
	if err != nil {
		t.Fatal(err)
	}
	err = m.Run(context.Background())
	if !errors.Is(err, boom) || len(calls) != 2 || m.IsLeader() {
		t.Fatalf("Run: %v after %d terms (leading %v); want boom after 2", err, len(calls), m.IsLeader())
	}
}
