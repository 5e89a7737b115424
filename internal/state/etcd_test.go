package state

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.uber.org/zap"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/testbed/peers"
)

// electionGuard fences the store by a concurrency.Election, as fleet.Member does.
type electionGuard struct{ e *concurrency.Election }

func (g electionGuard) LeaderKey() string { return g.e.Key() }
func (g electionGuard) LeaderRev() int64  { return g.e.Rev() }

func etcdClient(t *testing.T, url string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{url}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// lead campaigns in a new session under prefix and returns once it leads.
func lead(t *testing.T, cli *clientv3.Client, prefix, name string) (*concurrency.Session, *concurrency.Election) {
	t.Helper()
	sess, err := concurrency.NewSession(cli, concurrency.WithTTL(5))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	el := concurrency.NewElection(sess, prefix+"leader")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := el.Campaign(ctx, name); err != nil {
		t.Fatalf("%s campaign: %v", name, err)
	}
	return sess, el
}

func openEtcd(t *testing.T, cli *clientv3.Client, prefix string, g Guard, maxEvents int) *Etcd {
	t.Helper()
	s, err := OpenEtcd(context.Background(), cli, EtcdOptions{Prefix: prefix, Guard: g, MaxEvents: maxEvents})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestEtcdSameSemanticsAsFile(t *testing.T) {
	url := peers.Etcd(t)
	ctx := context.Background()
	const prefix = "/esdr/test/"
	cli := etcdClient(t, url)
	_, el := lead(t, cli, prefix, "a")
	s := openEtcd(t, cli, prefix, electionGuard{el}, 3)

	if rec, err := s.Load(ctx); err != nil || rec.Revision != 0 {
		t.Fatalf("never written: %+v, %v", rec, err)
	}
	rec, evs, err := s.CommitDecision(ctx, 0, decide.State{Active: "east", Epoch: 1}, Event{Kind: EventDecided, Message: "first"})
	if err != nil || rec.Revision != 1 || len(evs) != 1 || evs[0].Seq != 1 {
		t.Fatalf("first commit: %+v %+v %v", rec, evs, err)
	}
	if _, _, err := s.CommitDecision(ctx, 0, decide.State{Active: "west", Epoch: 2}, Event{Kind: EventDecided}); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale revision: got %v, want ErrConflict", err)
	}
	if rec, err = s.CompareAndSwap(ctx, 1, decide.State{Active: "west", Epoch: 2}); err != nil || rec.Revision != 2 {
		t.Fatalf("cas: %+v %v", rec, err)
	}
	for i := range 4 {
		if _, err := s.Append(ctx, Event{Kind: EventActed, Message: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	// 5 events written, history bounded to 3: seqs 3..5 kept, the conflict stored none.
	got, err := s.Events(ctx, 0, 0)
	if err != nil || len(got) != 3 || got[0].Seq != 3 || got[2].Seq != 5 {
		t.Fatalf("events after trim: %+v %v", got, err)
	}
	if got, err = s.Events(ctx, 4, 0); err != nil || len(got) != 1 || got[0].Seq != 5 {
		t.Fatalf("events after 4: %+v %v", got, err)
	}
	if got, err = s.Latest(ctx, 2); err != nil || len(got) != 2 || got[0].Seq != 4 || got[1].Seq != 5 {
		t.Fatalf("latest 2: %+v %v", got, err)
	}
	if err := s.Put(ctx, "holddown", "east", []byte("until")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "plans", "2", nil); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.Get(ctx, "plans", "2"); err != nil || !ok || v == nil || len(v) != 0 {
		t.Fatalf("empty value: %q %v %v", v, ok, err)
	}
	if err := s.Delete(ctx, "plans", "2"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Get(ctx, "plans", "2"); err != nil || ok {
		t.Fatalf("deleted value still there: %v %v", ok, err)
	}
	if err := s.Delete(ctx, "plans", "2"); err != nil {
		t.Fatalf("deleting what is gone: %v", err)
	}

	// Restart: a new client and store see everything the first one kept.
	s.Close()
	if _, err := s.Load(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
	re := openEtcd(t, etcdClient(t, url), prefix, electionGuard{el}, 3)
	if rec, err := re.Load(ctx); err != nil || rec.Revision != 2 || rec.State.Active != "west" {
		t.Fatalf("reopened: %+v %v", rec, err)
	}
	if v, ok, err := re.Get(ctx, "holddown", "east"); err != nil || !ok || string(v) != "until" {
		t.Fatalf("reopened kv: %q %v %v", v, ok, err)
	}
	if evs, err := re.Append(ctx, Event{Kind: EventActed}); err != nil || evs[0].Seq != 6 {
		t.Fatalf("seq after reopen: %+v %v", evs, err)
	}
}

func TestEtcdStaleLeaderIsRefused(t *testing.T) {
	url := peers.Etcd(t)
	ctx := context.Background()
	const prefix = "/esdr/test/"
	cliA, cliB := etcdClient(t, url), etcdClient(t, url)
	sessA, elA := lead(t, cliA, prefix, "a")
	a := openEtcd(t, cliA, prefix, electionGuard{elA}, 0)
	rec, _, err := a.CommitDecision(ctx, 0, decide.State{Active: "east", Epoch: 1}, Event{Kind: EventDecided, Message: "by a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Put(ctx, "holddown", "east", []byte("by a")); err != nil {
		t.Fatal(err)
	}

	// A's lease ends (as when it is paused past its TTL); B takes over.
	leadB := make(chan *concurrency.Election, 1)
	go func() { _, el := lead(t, cliB, prefix, "b"); leadB <- el }()
	if _, err := cliA.Revoke(ctx, sessA.Lease()); err != nil {
		t.Fatal(err)
	}
	elB := <-leadB
	b := openEtcd(t, cliB, prefix, electionGuard{elB}, 0)

	// A still believes it leads (its election key and revision are unchanged here),
	// but every kind of write it attempts is refused.
	_, _, err = a.CommitDecision(ctx, rec.Revision, decide.State{Active: "west", Epoch: 2}, Event{Kind: EventDecided})
	if !errors.Is(err, ErrNotLeader) {
		t.Fatalf("stale leader's commit: got %v, want ErrNotLeader", err)
	}
	for name, write := range map[string]func() error{
		"append": func() error { _, err := a.Append(ctx, Event{Kind: EventActed}); return err },
		"put":    func() error { return a.Put(ctx, "holddown", "east", []byte("stale")) },
		"delete": func() error { return a.Delete(ctx, "holddown", "east") },
	} {
		if err := write(); !errors.Is(err, ErrNotLeader) {
			t.Errorf("stale leader's %s: got %v, want ErrNotLeader", name, err)
		}
	}

	// B inherits the state, the hold-down and the history, and continues from them.
	if got, err := b.Load(ctx); err != nil || got != rec {
		t.Fatalf("b loads %+v %v, want %+v", got, err, rec)
	}
	if v, ok, err := b.Get(ctx, "holddown", "east"); err != nil || !ok || string(v) != "by a" {
		t.Fatalf("b's hold-down: %q %v %v", v, ok, err)
	}
	if evs, err := b.Latest(ctx, 0); err != nil || len(evs) != 1 || evs[0].Message != "by a" {
		t.Fatalf("b's history: %+v %v", evs, err)
	}
	if _, evs, err := b.CommitDecision(ctx, rec.Revision, decide.State{Active: "west", Epoch: 2}, Event{Kind: EventDecided}); err != nil || evs[0].Seq != 2 {
		t.Fatalf("new leader's commit: %+v %v", evs, err)
	}
}

func TestEtcdNotLeadingWritesNothing(t *testing.T) {
	url := peers.Etcd(t)
	s := openEtcd(t, etcdClient(t, url), "/esdr/test/", notLeading{}, 0)
	if err := s.Put(context.Background(), "b", "k", []byte("v")); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("got %v, want ErrNotLeader", err)
	}
}

type notLeading struct{}

func (notLeading) LeaderKey() string { return "" }
func (notLeading) LeaderRev() int64  { return 0 }

// TestEtcdHasFileMethods keeps the two stores interchangeable for control and act:
// every method of *File exists on *Etcd with the same signature — but Epochs: a file's
// follower needs no staleness bound, etcd's does.
func TestEtcdHasFileMethods(t *testing.T) {
	file, etcd := reflect.TypeFor[*File](), reflect.TypeFor[*Etcd]()
	for i := range file.NumMethod() {
		m := file.Method(i)
		if m.Name == "Epochs" {
			continue
		}
		got, ok := etcd.MethodByName(m.Name)
		if !ok || got.Type.NumIn() != m.Type.NumIn() {
			t.Errorf("*Etcd lacks %s%s", m.Name, m.Type)
			continue
		}
		for j := 1; j < m.Type.NumIn(); j++ { // skip the receiver
			if got.Type.In(j) != m.Type.In(j) {
				t.Errorf("*Etcd.%s argument %d is %s, *File's is %s", m.Name, j, got.Type.In(j), m.Type.In(j))
			}
		}
		if got.Type.NumOut() != m.Type.NumOut() {
			t.Errorf("*Etcd.%s returns %d values, *File's %d", m.Name, got.Type.NumOut(), m.Type.NumOut())
			continue
		}
		for j := range m.Type.NumOut() {
			if got.Type.Out(j) != m.Type.Out(j) {
				t.Errorf("*Etcd.%s result %d is %s, *File's is %s", m.Name, j, got.Type.Out(j), m.Type.Out(j))
			}
		}
	}
}
