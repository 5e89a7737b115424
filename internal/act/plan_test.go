package act

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/esdr/esdr/internal/decide"
)

func TestNewPlan(t *testing.T) {
	hook := &Hook{Name: "pre", Command: []string{"true"}}
	web := &Webhook{URL: "http://hooks.example:8080/esdr"}
	tr := transition{Epoch: 7, Action: decide.ActFailover, Code: decide.CodeActiveDown, From: "east", To: "west", At: t0}
	sw, fb := tr, tr
	sw.Action, sw.Code = decide.ActSwitchover, decide.CodeSwitchover
	fb.Action, fb.Code = decide.ActFailback, decide.CodeFailback
	fenced := map[string]Cluster{"east": {Settings: &fakeSettings{}}, "west": {Settings: &fakeSettings{}}}
	targets := []Target{&fakeTarget{name: "dns"}, &fakeTarget{name: "etcd"}}
	cases := []struct {
		name     string
		tr       transition
		opts     Options
		approved *approval
		want     []string
	}{
		// A failover unfences the new active before fencing the old one: the old one is
		// judged down, and a hung fence of it must not delay the promotion.
		{"full plan in order", tr, Options{Clusters: fenced, Targets: targets, PreHook: hook, Webhook: web}, nil, []string{
			"pre-hook pre: pending", "unfence west: pending", "fence east: pending",
			"switch dns: pending", "switch etcd: pending", "notify hooks.example:8080: pending"}},
		{"no hooks", tr, Options{Clusters: fenced, Targets: targets}, nil, []string{
			"unfence west: pending", "fence east: pending", "switch dns: pending", "switch etcd: pending"}},
		// A planned switchover leaves a healthy cluster: it is fenced first, so the two are
		// never writable at once.
		{"switchover fences before it unfences", sw, Options{Clusters: fenced, Targets: targets, PreHook: hook, Webhook: web}, nil, []string{
			"pre-hook pre: pending", "fence east: pending", "unfence west: pending",
			"switch dns: pending", "switch etcd: pending", "notify hooks.example:8080: pending"}},
		{"failback fences before it unfences", fb, Options{Clusters: fenced, Targets: targets}, nil, []string{
			"fence east: pending", "unfence west: pending", "switch dns: pending", "switch etcd: pending"}},
		{"fencing opted out on both", tr, Options{Clusters: map[string]Cluster{"east": {NoFence: true}, "west": {NoFence: true}}}, nil,
			[]string{"unfence west: skipped", "fence east: skipped"}},
		{"old active no longer configured", tr, Options{Clusters: map[string]Cluster{"west": {Settings: &fakeSettings{}}}}, nil,
			[]string{"unfence west: pending", "fence east: skipped"}},
		{"hook approved before commit", tr, Options{Clusters: fenced, PreHook: hook},
			&approval{Epoch: 7, Action: "failover", From: "east", To: "west"},
			[]string{"pre-hook pre: done", "unfence west: pending", "fence east: pending"}},
		{"approval of another transition with the same epoch", tr, Options{Clusters: fenced, PreHook: hook},
			&approval{Epoch: 7, Action: "failover", From: "east", To: "south"},
			[]string{"pre-hook pre: pending", "unfence west: pending", "fence east: pending"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPlan(c.tr, &c.opts, c.approved, t0)
			if got := statuses(p); !slices.Equal(got, c.want) {
				t.Errorf("steps\n got %q\nwant %q", got, c.want)
			}
			for _, s := range p.Steps {
				if s.Epoch != 7 {
					t.Errorf("step %s has epoch %d, want the plan's 7", s.Kind, s.Epoch)
				}
			}
			// The plan is data: it survives the journal unchanged.
			raw, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			var back Plan
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(statuses(&back), c.want) || back.Epoch != 7 || !back.At.Equal(t0) || back.Status != StatusRunning {
				t.Errorf("round trip changed the plan: %+v", back)
			}
		})
	}
}
