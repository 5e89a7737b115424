package fleet

import (
	"context"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
)

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
