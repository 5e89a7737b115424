package bootstrap

import (
	"errors"
	"strings"
	"testing"
)

func TestJudge(t *testing.T) {
	clean := func(name string, ops map[string]int64) ClusterLook { return ClusterLook{Name: name, Ops: ops} }
	unreachable := errors.New("dial tcp 127.0.0.1:9200: connection refused")
	cases := []struct {
		name  string
		look  Look
		want  []string // substrings, one per finding, in order; none means safe
		epoch uint64
	}{
		{name: "fresh install: nothing fenced, no targets, no data",
			look: Look{Clusters: []ClusterLook{clean("primary", nil), clean("standby", nil)}}, epoch: 1},
		{name: "fresh install: targets unset or at the preferred, equal data",
			look: Look{Clusters: []ClusterLook{clean("primary", map[string]int64{"logs": 10}), clean("standby", map[string]int64{"logs": 10})},
				Targets: []TargetLook{{Name: "etcd:/esdr/active", Cluster: "primary", Epoch: 1}, {Name: "rfc2136:es.example.com."}}}, epoch: 2},
		{name: "preferred ahead in data is normal",
			look: Look{Clusters: []ClusterLook{clean("primary", map[string]int64{"logs": 12, "new": 3}), clean("standby", map[string]int64{"logs": 10})}}, epoch: 1},
		{name: "standby fenced alone is normal after a failback",
			look: Look{Clusters: []ClusterLook{clean("primary", nil), {Name: "standby", Fenced: true}}}, epoch: 1},
		{name: "preferred fenced",
			look:  Look{Clusters: []ClusterLook{{Name: "primary", Fenced: true}, clean("standby", nil)}},
			want:  []string{"preferred cluster primary is read-only (cluster.blocks.read_only"},
			epoch: 1},
		{name: "target points at the standby, with its epoch",
			look: Look{Clusters: []ClusterLook{clean("primary", nil), clean("standby", nil)},
				Targets: []TargetLook{{Name: "etcd:/esdr/active", Cluster: "standby", Epoch: 2}}},
			want: []string{"target etcd:/esdr/active points at standby, not at the preferred cluster primary (epoch 2)"}, epoch: 3},
		{name: "DNS target points at the standby",
			look: Look{Clusters: []ClusterLook{clean("primary", nil), clean("standby", nil)},
				Targets: []TargetLook{{Name: "rfc2136:es.example.com.", Cluster: "standby"}}},
			want: []string{"target rfc2136:es.example.com. points at standby, not at the preferred cluster primary"}, epoch: 1},
		{name: "target at the preferred but a later epoch: epoch 1 would be stale",
			look: Look{Clusters: []ClusterLook{clean("primary", nil), clean("standby", nil)},
				Targets: []TargetLook{{Name: "etcd:/esdr/active", Cluster: "primary", Epoch: 3}}},
			want: []string{"target etcd:/esdr/active holds epoch 3"}, epoch: 4},
		{name: "standby applied more writes, and holds an index the preferred lacks",
			look: Look{Clusters: []ClusterLook{clean("primary", map[string]int64{"logs": 10, "empty": 0}),
				clean("standby", map[string]int64{"logs": 15, "empty": 0, "logs-new": 2})}},
			want: []string{"cluster standby has applied more write operations than primary to index logs (15 > 10), index logs-new (2 > 0)"}, epoch: 1},
		{name: "many indices ahead are summarised",
			look: Look{Clusters: []ClusterLook{clean("primary", nil),
				clean("standby", map[string]int64{"a": 1, "b": 1, "c": 1, "d": 1, "e": 1})}},
			want: []string{"index a (1 > 0), index b (1 > 0), index c (1 > 0), 2 more"}, epoch: 1},
		{name: "standby unreachable cannot be shown safe",
			look:  Look{Clusters: []ClusterLook{clean("primary", nil), {Name: "standby", Err: unreachable}}},
			want:  []string{"cluster standby could not be read (dial tcp 127.0.0.1:9200: connection refused)"},
			epoch: 1},
		{name: "preferred unreachable: no data comparison either",
			look:  Look{Clusters: []ClusterLook{{Name: "primary", Err: unreachable}, clean("standby", map[string]int64{"logs": 5})}},
			want:  []string{"cluster primary could not be read"},
			epoch: 1},
		{name: "target unreadable",
			look: Look{Clusters: []ClusterLook{clean("primary", nil), clean("standby", nil)},
				Targets: []TargetLook{{Name: "haproxy:es", Err: errors.New("connection refused")}}},
			want: []string{"target haproxy:es could not be read (connection refused)"}, epoch: 1},
		{name: "after a failover: every sign at once",
			look: Look{Clusters: []ClusterLook{{Name: "primary", Fenced: true, Ops: map[string]int64{"logs": 10}},
				clean("standby", map[string]int64{"logs": 14})},
				Targets: []TargetLook{{Name: "etcd:/esdr/active", Cluster: "standby", Epoch: 2}}},
			want: []string{"preferred cluster primary is read-only", "target etcd:/esdr/active points at standby",
				"cluster standby has applied more write operations than primary to index logs (14 > 10)"}, epoch: 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.look.Preferred = "primary"
			v := Judge(c.look)
			if len(v.Findings) != len(c.want) {
				t.Fatalf("findings %q, want %d matching %q", v.Findings, len(c.want), c.want)
			}
			for i, w := range c.want {
				if !strings.Contains(v.Findings[i], w) {
					t.Errorf("finding %d = %q, want it to contain %q", i, v.Findings[i], w)
				}
			}
			if v.Safe() != (len(c.want) == 0) {
				t.Errorf("Safe() = %v with findings %q", v.Safe(), v.Findings)
			}
			if v.Epoch != c.epoch {
				t.Errorf("epoch %d, want %d", v.Epoch, c.epoch)
			}
		})
	}
}

func TestRefusalNamesWhatWasSeenAndTheFlag(t *testing.T) {
	v := Verdict{Findings: []string{"preferred cluster primary is read-only"}, Epoch: 1}
	err := v.Refusal("primary", []string{"primary", "standby"})
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("%v does not wrap ErrRefused", err)
	}
	for _, want := range []string{"preferred cluster primary is read-only", "esdr run -c FILE --bootstrap-active CLUSTER (one of primary, standby)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if err := (Verdict{Epoch: 1}).Refusal("primary", nil); err != nil {
		t.Fatalf("a safe verdict refused: %v", err)
	}
}
