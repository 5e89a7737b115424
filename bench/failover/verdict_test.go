package main

import (
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/drill"
)

// A "never" in the report must always name its cause, and a run in which esdr moved
// before the fault must not count as a measurement.
func TestNotesNameEveryNever(t *testing.T) {
	b := &bed{window: 20 * time.Second}
	measured := func(rto time.Duration, before string) outcome {
		return outcome{sum: drill.Summary{RTO: rto, Before: before}}
	}
	rs := []runResult{
		{void: "esdr failed over 7.669s before the fault: active-down primary → standby", byLoad: map[load]outcome{
			{"esdr", "reads"}: measured(0, "standby"), {"haproxy", "reads"}: measured(14*time.Second, "primary"),
		}},
		{decision: 300 * time.Millisecond, byLoad: map[load]outcome{
			{"esdr", "reads"}: measured(0, "standby"), {"haproxy", "reads"}: measured(0, "primary"),
		}},
		{undecided: "no failover decision within 30s of the fault; esdr's last decision: hold-down", byLoad: map[load]outcome{
			{"esdr", "reads"}: measured(0, "primary"), {"haproxy", "reads"}: measured(15*time.Second, "primary"),
		}},
	}
	got := notes(b, rs)
	for _, want := range []string{
		"run 1: **void** (every client) — esdr failed over 7.669s before the fault",
		"run 2, esdr, reads: RTO **never** — the last answer before the fault already came from standby",
		"run 2, haproxy, reads: RTO **never** — no successful answer from another cluster than the primary within the 20s window",
		"run 3, esdr: **never decided** — no failover decision within 30s",
		"run 3, esdr, reads: RTO **never** — no successful answer",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("notes lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "run 1, ") {
		t.Errorf("a void run's client figures are listed as a never:\n%s", got)
	}
	if v := voided(rs); !strings.Contains(v, "over 2 runs: **1 void**") {
		t.Errorf("voided = %q", v)
	}
	tg := targets(b, map[fault][]runResult{faultPause: rs})
	if !strings.Contains(tg, "(HAProxy 0) over 2 runs") || !strings.Contains(tg, "**1 void runs left out**") {
		t.Errorf("targets count the void run:\n%s", tg)
	}
}
