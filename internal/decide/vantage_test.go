package decide

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/health"
)

var (
	pair   = []string{"primary", "standby"}
	quorum = Quorum{Size: 2, MaxAge: 10 * time.Second}
)

func view(member, vantage string, at time.Time, list ...health.Observation) VantageView {
	return VantageView{Member: member, Vantage: vantage, At: at, Clusters: obs(list...)}
}

// brief writes a finding as "code cluster member@vantage" for comparison.
func brief(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		s := string(f.Code)
		if f.Cluster != "" {
			s += " " + f.Cluster
		}
		if f.Member != "" || f.Vantage != "" {
			s += " " + f.Member + "@" + f.Vantage
		}
		out = append(out, s)
	}
	return out
}

func TestCombine(t *testing.T) {
	pUp, pDown := up("primary", health.KindHealthy, t0), down("primary", health.KindUnreachable)
	sUp, sDown := up("standby", health.KindHealthy, t0), down("standby", health.KindTimeout)
	old, ahead := t0.Add(-11*time.Second), t0.Add(11*time.Second)
	cases := []struct {
		name     string
		views    []VantageView
		q        Quorum
		wantP    health.Verdict
		wantS    health.Verdict
		findings []string
	}{
		{"one of three cannot reach primary: no failover, finding names member",
			[]VantageView{view("m1", "zone-a", t0, pDown, sUp), view("m2", "zone-b", t0, pUp, sUp), view("m3", "zone-c", t0, pUp, sUp)}, quorum,
			health.VerdictUp, health.VerdictUp, []string{"partitioned-from-primary primary m1@zone-a"}},
		{"two of three see primary down, target up: combined down",
			[]VantageView{view("m1", "zone-a", t0, pDown, sUp), view("m2", "zone-b", t0, pDown, sUp), view("m3", "zone-c", t0, pUp, sUp)}, quorum,
			health.VerdictDown, health.VerdictUp, nil},
		{"three of three see primary down: combined down",
			[]VantageView{view("m1", "zone-a", t0, pDown, sUp), view("m2", "zone-b", t0, pDown, sUp), view("m3", "zone-c", t0, pDown, sUp)}, quorum,
			health.VerdictDown, health.VerdictUp, nil},
		{"target seen up by only one of three: not a failover target",
			[]VantageView{view("m1", "zone-a", t0, pDown, sUp), view("m2", "zone-b", t0, pDown, sDown), view("m3", "zone-c", t0, pDown, unknown("standby"))}, quorum,
			health.VerdictDown, health.VerdictUnknown, nil},
		{"stale views ignored",
			[]VantageView{view("m1", "zone-a", old, pDown, sUp), view("m2", "zone-b", old, pDown, sUp), view("m3", "zone-c", t0, pUp, sUp), view("m4", "zone-d", t0, pUp, sUp)}, quorum,
			health.VerdictUp, health.VerdictUp, nil},
		{"view from the future beyond max age is stale: clocks",
			[]VantageView{view("m1", "zone-a", ahead, pDown, sUp), view("m2", "zone-b", t0, pDown, sUp), view("m3", "zone-c", t0, pUp, sUp)}, quorum,
			health.VerdictUnknown, health.VerdictUp, nil},
		{"views exactly max age old or ahead still count",
			[]VantageView{view("m1", "zone-a", t0.Add(-10*time.Second), pDown, sUp), view("m2", "zone-b", t0.Add(10*time.Second), pDown, sUp)}, quorum,
			health.VerdictDown, health.VerdictUp, nil},
		{"two members same vantage count once",
			[]VantageView{view("m1", "zone-a", t0, pDown, sUp), view("m2", "zone-a", t0, pDown, sUp), view("m3", "zone-b", t0, pUp, sUp)}, quorum,
			health.VerdictUnknown, health.VerdictUp, nil},
		{"within a vantage the freshest view stands for it",
			[]VantageView{view("m1", "zone-a", t0.Add(-5*time.Second), pUp, sUp), view("m2", "zone-a", t0, pDown, sUp), view("m3", "zone-b", t0, pDown, sUp)}, quorum,
			health.VerdictDown, health.VerdictUp, nil},
		{"no quorum of fresh views: unknown and finding",
			[]VantageView{view("m1", "zone-a", t0, pDown, sUp), view("m2", "zone-b", old, pDown, sUp)}, quorum,
			health.VerdictUnknown, health.VerdictUnknown, []string{"no-quorum"}},
		{"no views at all: unknown and finding",
			nil, quorum,
			health.VerdictUnknown, health.VerdictUnknown, []string{"no-quorum"}},
		{"degraded but up counts as up",
			[]VantageView{view("m1", "zone-a", t0, up("primary", health.KindDegraded, t0), sUp), view("m2", "zone-b", t0, up("primary", health.KindDegraded, t0), sUp)}, quorum,
			health.VerdictUp, health.VerdictUp, nil},
		{"unknown verdicts and missing clusters abstain",
			[]VantageView{view("m1", "zone-a", t0, pDown, sUp), view("m2", "zone-b", t0, pDown), view("m3", "zone-c", t0, unknown("primary"), unknown("standby"))}, quorum,
			health.VerdictDown, health.VerdictUnknown, nil},
		{"a verdict decide does not know abstains",
			[]VantageView{view("m1", "zone-a", t0, pDown, sUp), view("m2", "zone-b", t0, health.Observation{Cluster: "primary", Verdict: "maybe"}, sUp)}, quorum,
			health.VerdictUnknown, health.VerdictUp, nil},
		{"a quorum up and a quorum down: up wins, every cut-off vantage gets a finding",
			[]VantageView{view("m4", "zone-d", t0, pDown, sUp), view("m1", "zone-a", t0, pDown, sUp), view("m2", "zone-b", t0, pUp, sUp), view("m3", "zone-c", t0, pUp, sUp)}, quorum,
			health.VerdictUp, health.VerdictUp, []string{"partitioned-from-primary primary m1@zone-a", "partitioned-from-primary primary m4@zone-d"}},
		{"one of three cannot reach the standby: no finding, the standby is not active",
			[]VantageView{view("m1", "zone-a", t0, pUp, sDown), view("m2", "zone-b", t0, pUp, sUp), view("m3", "zone-c", t0, pUp, sUp)}, quorum,
			health.VerdictUp, health.VerdictUp, nil},
		{"split one against one with quorum two: unknown, no partition finding",
			[]VantageView{view("m1", "zone-a", t0, pDown, sUp), view("m2", "zone-b", t0, pUp, sUp)}, quorum,
			health.VerdictUnknown, health.VerdictUp, nil},
		{"size one: any single vantage point that sees it down decides",
			[]VantageView{view("m1", "zone-a", t0, pDown, sUp), view("m2", "zone-b", t0, unknown("primary"), sUp)}, Quorum{Size: 1, MaxAge: time.Second},
			health.VerdictDown, health.VerdictUp, nil},
		{"size one: one cut-off member while another reaches the primary is a finding",
			[]VantageView{view("m1", "zone-a", t0, pDown, sUp), view("m2", "zone-b", t0, pUp, sUp)}, Quorum{Size: 1, MaxAge: time.Second},
			health.VerdictUp, health.VerdictUp, []string{"partitioned-from-primary primary m1@zone-a"}},
		{"size below one is treated as one",
			[]VantageView{view("m1", "zone-a", t0, pDown, sUp)}, Quorum{Size: 0, MaxAge: time.Second},
			health.VerdictDown, health.VerdictUp, nil},
		{"max age zero admits only views taken now",
			[]VantageView{view("m1", "zone-a", t0, pDown, sUp), view("m2", "zone-b", t0.Add(-time.Millisecond), pDown, sUp)}, Quorum{Size: 2},
			health.VerdictUnknown, health.VerdictUnknown, []string{"no-quorum"}},
		{"members without a vantage name are each their own vantage point",
			[]VantageView{view("m1", "", t0, pDown, sUp), view("m2", "", t0, pDown, sUp)}, quorum,
			health.VerdictDown, health.VerdictUp, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, findings := Combine(tc.views, pair, "primary", tc.q, t0)
			if len(got) != len(pair) {
				t.Fatalf("combined %d clusters, want one per configured cluster: %+v", len(got), got)
			}
			if got["primary"].Verdict != tc.wantP || got["standby"].Verdict != tc.wantS {
				t.Fatalf("primary %s (%s), standby %s (%s); want %s, %s", got["primary"].Verdict, got["primary"].Detail,
					got["standby"].Verdict, got["standby"].Detail, tc.wantP, tc.wantS)
			}
			for c, o := range got {
				if o.Cluster != c {
					t.Errorf("observation of %s names cluster %q", c, o.Cluster)
				}
			}
			if b := brief(findings); !reflect.DeepEqual(b, tc.findings) {
				t.Fatalf("findings %q, want %q", b, tc.findings)
			}
			for _, f := range findings {
				if m, ok := Catalogue[f.Code]; !ok || m.Actionable || f.Message == "" {
					t.Errorf("finding %+v: code must be in the catalogue, not actionable, with a message", f)
				}
			}
		})
	}
}

func TestCombineSizeOneSingleViewIsThatView(t *testing.T) {
	p := down("primary", health.KindTimeout)
	p.Since, p.At, p.LatencySeconds, p.Detail = t0.Add(-time.Minute), t0.Add(-time.Second), 2.5, "no answer within 2s"
	s := up("standby", health.KindDegraded, t0.Add(-time.Hour))
	s.Detail = "3 nodes, status yellow"
	v := view("solo", "local", t0, p, s)
	got, findings := Combine([]VantageView{v}, pair, "primary", Quorum{Size: 1, MaxAge: 5 * time.Second}, t0)
	if !reflect.DeepEqual(got, map[string]health.Observation(v.Clusters)) {
		t.Fatalf("combined %+v\nwant exactly %+v", got, v.Clusters)
	}
	if len(findings) != 0 {
		t.Fatalf("findings %+v, want none", findings)
	}
}

func TestCombineAgreementDetailAndSince(t *testing.T) {
	refused := func(since, at time.Time) health.Observation {
		o := down("primary", health.KindUnreachable)
		o.Detail, o.Since, o.At = "connection refused by every node", since, at
		return o
	}
	views := []VantageView{
		view("m1", "zone-a", t0, refused(t0.Add(-9*time.Second), t0.Add(-time.Second))),
		view("m2", "zone-b", t0, refused(t0.Add(-4*time.Second), t0.Add(-2*time.Second))),
		view("m3", "zone-c", t0, up("primary", health.KindHealthy, t0.Add(-time.Hour))),
	}
	got, _ := Combine(views, []string{"primary"}, "primary", quorum, t0)
	p := got["primary"]
	if p.Detail != "2/3 vantage points: connection refused by every node" {
		t.Errorf("detail %q", p.Detail)
	}
	if !p.Since.Equal(t0.Add(-4 * time.Second)) {
		t.Errorf("since %v, want the latest Since among the agreeing vantage points", p.Since)
	}
	if !p.At.Equal(t0.Add(-time.Second)) || p.Last != health.KindUnreachable || p.ConsecutiveFailures != 3 {
		t.Errorf("observation %+v, want the freshest agreeing result", p)
	}
}

func TestCombineFindingMessages(t *testing.T) {
	pUp, pDown := up("primary", health.KindHealthy, t0), down("primary", health.KindUnreachable)
	_, fs := Combine([]VantageView{view("m1", "zone-a", t0, pDown), view("m2", "zone-b", t0, pUp), view("m3", "zone-c", t0, pUp)},
		pair, "primary", quorum, t0)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "m1 at zone-a sees active primary down") || !strings.Contains(fs[0].Message, "2 of 3") {
		t.Fatalf("partition finding %+v", fs)
	}
	_, fs = Combine([]VantageView{view("m1", "zone-a", t0, pDown), view("m2", "zone-b", t0.Add(-time.Minute), pUp), view("m3", "zone-c", t0.Add(time.Minute), pUp)},
		pair, "primary", Quorum{Size: 3, MaxAge: 10 * time.Second}, t0)
	want := "only 1 of the required 3 vantage points are fresh; no automatic failover; stale: m2 at zone-b, m3 at zone-c (clock ahead)"
	if len(fs) != 1 || fs[0].Message != want {
		t.Fatalf("no-quorum finding %+v\nwant message %q", fs, want)
	}
}

func TestCombineIsDeterministicAndPure(t *testing.T) {
	pUp, pDown := up("primary", health.KindHealthy, t0), down("primary", health.KindUnreachable)
	views := []VantageView{
		view("m1", "zone-a", t0, pDown), view("m5", "zone-e", t0, pDown), view("m2", "zone-b", t0, pUp),
		view("m3", "zone-c", t0, pUp), view("m4", "zone-d", t0, pUp), view("m6", "zone-a", t0, pDown),
	}
	before := make([]VantageView, len(views))
	copy(before, views)
	a, fa := Combine(views, pair, "primary", quorum, t0)
	reversed := make([]VantageView, len(views))
	for i, v := range views {
		reversed[len(views)-1-i] = v
	}
	b, fb := Combine(reversed, pair, "primary", quorum, t0)
	if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(fa, fb) {
		t.Fatalf("order of views changed the result:\n%+v %+v\n%+v %+v", a, fa, b, fb)
	}
	if !reflect.DeepEqual(views, before) {
		t.Fatal("Combine reordered or changed its input")
	}
	if got := brief(fa); !reflect.DeepEqual(got, []string{"partitioned-from-primary primary m1@zone-a", "partitioned-from-primary primary m5@zone-e"}) {
		t.Fatalf("findings %q: same-vantage tie must go to the first member name", got)
	}
}
