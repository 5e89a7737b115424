package main

import (
	"strings"
	"testing"
	"time"
)

// The report must show every run: a void run as void with its cause, a run without a
// failover with esdr's last decision, and never count either among the decisions.
func TestMarkdownListsEveryRun(t *testing.T) {
	c := config{runs: 2, scenarios: []scenario{scenarioKill, scenarioMaster, scenarioQuorum}, engines: []string{"opensearch2"},
		interval: 200 * time.Millisecond, hangInterval: time.Second, threshold: 3, hold: 10 * time.Second}
	results := map[scenario][]sample{
		scenarioKill: {
			{engine: "opensearch2", decision: 585 * time.Millisecond},
			{engine: "opensearch2", void: "esdr failed over before the fault was injected: timeout"},
		},
		scenarioMaster: {
			{engine: "opensearch2", hung: []string{"p-1 (master)"}, reelect: 5 * time.Second, held: 15 * time.Second,
				none: "no failover within 0s; last decision active-healthy: active primary healthy", events: []string{"+5.1s active-degraded"}},
			{engine: "opensearch2", hung: []string{"p-2 (master)"}, reelect: 6 * time.Second, held: 16 * time.Second, decision: 3700 * time.Millisecond},
		},
		scenarioQuorum: {
			{engine: "opensearch2", hung: []string{"p-1 (master)", "p-2"}, decision: 3957 * time.Millisecond},
			{engine: "opensearch2", hung: []string{"p-3 (master)", "p-1"}, decision: 12 * time.Second},
		},
	}
	got := markdown(c, results, "1 2 3", "4 5 6")
	for _, want := range []string{
		"| opensearch2 | 2 | 585ms | 585ms | 585ms | 585ms | 585ms, void |",
		"- opensearch2 run 2: **void** — esdr failed over before the fault was injected",
		"| opensearch2 | 1 | p-1 (master) | 5s | 15s | no | +5.1s active-degraded |",
		"| opensearch2 | 2 | p-2 (master) | 6s | 16s | **yes**, after 3.7s |",
		"esdr failed over in **1 of 2** measured runs (desired: 0)",
		"- opensearch2 run 1: no failover — no failover within 0s; last decision active-healthy",
		"| opensearch2 | 1 | p-1 (master), p-2 | yes | **yes**, after 3.957s |",
		"| opensearch2 | 2 | p-3 (master), p-1 | **no** | **yes**, after 12s |",
		"decision min / median / max / mean: 3.957s / 12s / 12s / 7.979s.",
		"Load average before the run: 1 2 3; at its end: 4 5 6",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
}
