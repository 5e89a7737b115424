package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/drill"
)

// report prints what the drill showed, as the clients saw it.
func (d *demo) report(r *result) {
	s, e, ms := r.sum, d.esdr, time.Millisecond
	row := func(k, format string, args ...any) { fmt.Printf("  %-15s %s\n", k, fmt.Sprintf(format, args...)) }
	fmt.Printf("\n== esdr demo: every primary node killed under load ==\n\n")
	row("failover", "%s → %s, epoch %d (code %s)", r.decision.From, r.decision.To, r.decision.Epoch, r.decision.Code)
	row("time to detect", "%s  kill -9 → esdr's failover decision (its event)", r.detect.Round(ms))
	if s.RTO > 0 {
		row("time to serve", "%s  kill -9 → first answer from %s through the proxy", s.RTO.Round(ms), s.After)
	} else {
		row("time to serve", "never: no answer from another cluster than %q", s.Before)
	}
	row("requests", "%d in %s (%d searches, %d index), p50 %s, p99 %s", s.Requests, r.duration.Round(100*ms),
		s.Reads, s.Writes, s.P50.Round(100*time.Microsecond), s.P99.Round(100*time.Microsecond))
	row("failed reads", "%d%s", s.FailedReads, errorKinds(r.samples, drill.OpSearch))
	row("failed writes", "%d%s", s.FailedWrites, errorKinds(r.samples, drill.OpIndex))
	var acked []string
	for _, c := range sortedKeys(r.acked) {
		acked = append(acked, fmt.Sprintf("%s %d/%d present", c, r.acked[c]-r.missing[c], r.acked[c]))
	}
	row("acked writes", "%d: %s", s.AckedWrites, strings.Join(acked, ", "))
	row("old primary", "restarted; executed %d requests during 1 s of load after (fenced until `esdr switchover --to primary`)", r.oldPrimary)
	fmt.Println()
	row("proxy", "http://%s   (try: curl http://%s/_cluster/health)", e.proxy, e.proxy)
	row("status", "bin/esdr status --addr http://%s", e.admin)
	row("admin API", "http://%s/v1/status, /v1/events", e.admin)
	row("metrics", "http://%s/metrics", e.admin)
	row("config", "%s", e.proc.Config)
	if bad := r.problems(); len(bad) > 0 {
		fmt.Printf("\n  NOT AS EXPECTED: %s\n", strings.Join(bad, "; "))
	} else {
		fmt.Printf("\n  OK: no failed read, every acknowledged write present, old primary fenced.\n")
	}
	fmt.Println()
}

// problems lists what went against esdr's promises.
func (r *result) problems() []string {
	var bad []string
	s := r.sum
	if s.RTO == 0 || s.After != r.decision.To {
		bad = append(bad, fmt.Sprintf("the standby never answered through the proxy (served by %q, then %q)", s.Before, s.After))
	}
	if s.FailedReads > 0 {
		bad = append(bad, fmt.Sprintf("%d reads failed", s.FailedReads))
	}
	for _, x := range r.samples {
		if x.Op == drill.OpIndex && !x.OK() && x.Status == 0 {
			bad = append(bad, "a write failed without an HTTP answer: "+x.Err)
			break
		}
	}
	for c, n := range r.missing {
		if n > 0 {
			bad = append(bad, fmt.Sprintf("%d writes acknowledged by %s are missing there", n, c))
		}
	}
	if r.oldPrimary != 0 {
		bad = append(bad, fmt.Sprintf("the fenced old primary executed %d requests", r.oldPrimary))
	}
	return bad
}

// errorKinds summarizes the errors of failed requests of one kind, most frequent first.
func errorKinds(samples []drill.Sample, op drill.Op) string {
	count := map[string]int{}
	for _, x := range samples {
		if x.Op == op && !x.OK() {
			msg := x.Err
			if len(msg) > 90 {
				msg = msg[:90] + "…"
			}
			count[msg]++
		}
	}
	if len(count) == 0 {
		return ""
	}
	keys := sortedKeys(count)
	sort.SliceStable(keys, func(i, j int) bool { return count[keys[i]] > count[keys[j]] })
	var parts []string
	for _, k := range keys[:min(2, len(keys))] {
		parts = append(parts, fmt.Sprintf("%d× %s", count[k], k))
	}
	return "  (" + strings.Join(parts, "; ") + ")"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
