package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/esdr/esdr/bench/anchor"
	"github.com/esdr/esdr/bench/report"
)

// markdown renders every fault's runs as a table per fault.
func markdown(b *bed, engine string, fs []fault, results map[fault][]runResult, cli []cliResult) string {
	var s strings.Builder
	fmt.Fprintf(&s, "### Failover drill: esdr's proxy vs HAProxy as the anchor\n\n")
	fmt.Fprintf(&s, "%s, primary 3 nodes + standby 1 node. Each client is one connection sending a request every 10 ms\n", engine)
	fmt.Fprintf(&s, "(`drill.Load`: `_search` reads; in `reads+writes` every 2nd request is an index with an explicit id),\n")
	fmt.Fprintf(&s, "client timeout 10 s. esdr and HAProxy are measured at the same time on the same fault, each started\n")
	fmt.Fprintf(&s, "fresh per run; the fault hits every primary node %s after the clients start and they run %s from it.\n", b.before, b.window)
	s.WriteString("Just before the fault each run checks that esdr's status has the primary active at epoch 1 and up; a run in\n")
	s.WriteString("which esdr had already moved (and fenced the primary) is **void**: listed with esdr's reason, left out of every figure.\n")
	fmt.Fprintf(&s, "**RTO** = fault → first successful answer from the standby (`X-Esdr-Cluster`); **failed** = requests that\n")
	fmt.Fprintf(&s, "got no 2xx; **missing** = acknowledged writes not found (by `_mget`) on the cluster that acknowledged them.\n")
	fmt.Fprintf(&s, "esdr: `proxy` with its defaults, health.interval = timeout = %s, failure_threshold %d. Load average at the end: %s.\n\n", b.interval, b.threshold, report.LoadAverage())
	for _, f := range fs {
		rs := results[f]
		title := map[fault]string{faultKill: "kill -9 of every primary node (crash)", faultPause: "SIGSTOP of every primary node (hang)"}[f]
		var dec []time.Duration
		for _, r := range rs {
			if r.void == "" {
				dec = append(dec, r.decision)
			}
		}
		fmt.Fprintf(&s, "#### %s, %d runs\n\nesdr's decision (its event) after the fault: %s%s.\n\n", title, len(rs), spread(dec), voided(rs))
		s.WriteString("| client | RTO min / median / max | RTO each run | failed reads (per run) | failed writes (per run) | missing | slowest request |\n|---|---|---|---|---|---|---|\n")
		for _, l := range b.loads() {
			var rto, longest []time.Duration
			var each, fr, fw []string
			missing := 0
			for _, r := range rs {
				o := r.byLoad[l]
				if !r.counted(l) {
					each, fr, fw = append(each, "void"), append(fr, "void"), append(fw, "void")
					continue
				}
				rto, longest = append(rto, o.sum.RTO), append(longest, o.longest)
				each = append(each, fmtRTO(o.sum.RTO))
				fr, fw = append(fr, fmt.Sprint(o.sum.FailedReads)), append(fw, fmt.Sprint(o.sum.FailedWrites))
				missing += o.missing
			}
			writes := "—"
			if l.mix != "reads" {
				writes = tally(fw)
			}
			slowest := "—"
			if len(longest) > 0 {
				slowest = slices.Max(longest).Round(time.Millisecond).String()
			}
			fmt.Fprintf(&s, "| %s, %s | %s | %s | %s | %s | %d | %s |\n", l.endpoint, l.mix, spread(rto), strings.Join(each, ", "), tally(fr), writes, missing, slowest)
		}
		s.WriteString(notes(b, rs))
		s.WriteString("\n")
	}
	s.WriteString(cliMarkdown(results[faultKill], cli))
	s.WriteString(targets(b, results))
	fmt.Fprintf(&s, "\nHAProxy %s configuration (addresses are this run's):\n\n```\n%s```\n", anchor.Version(),
		haproxyConfigFor("127.0.0.1:FRONT", []string{"127.0.0.1:P1", "127.0.0.1:P2", "127.0.0.1:P3"}, "127.0.0.1:S1"))
	return s.String()
}

// targets compares esdr's reads-only client with the goals.
func targets(b *bed, results map[fault][]runResult) string {
	var s strings.Builder
	s.WriteString("Against the targets of issue #4 (esdr, reads-only client, worst of the runs):")
	for _, t := range []struct {
		f    fault
		goal time.Duration
	}{{faultKill, time.Second}, {faultPause, 3 * time.Second}} {
		rs, ok := results[t.f]
		if !ok {
			continue
		}
		var worst, worstHA time.Duration
		failed, failedHA := 0, 0
		valid := 0
		for _, r := range rs {
			if !r.counted(load{}) {
				continue
			}
			e, h := r.byLoad[load{"esdr", "reads"}], r.byLoad[load{"haproxy", "reads"}]
			worst, worstHA = maxRTO(worst, e.sum.RTO), maxRTO(worstHA, h.sum.RTO)
			failed, failedHA, valid = failed+e.sum.FailedReads, failedHA+h.sum.FailedReads, valid+1
		}
		ratio := ""
		if worst > 0 && worstHA > 0 {
			ratio = fmt.Sprintf(", %.2f× HAProxy's", float64(worst)/float64(worstHA))
		}
		fmt.Fprintf(&s, "\n- %s → standby serving ≤ %s: **%s** (HAProxy %s%s); failed reads %d (HAProxy %d) over %d runs",
			t.f, t.goal, fmtRTO(worst), fmtRTO(worstHA), ratio, failed, failedHA, valid)
		if valid < len(rs) {
			fmt.Fprintf(&s, "; **%d void runs left out** (esdr failed over before the fault)", len(rs)-valid)
		}
	}
	return s.String() + "\n"
}

// maxRTO keeps the larger, with "never" (0) larger than anything.
func maxRTO(a, b time.Duration) time.Duration {
	if a < 0 || b == 0 {
		return -1
	}
	return max(a, b)
}

func fmtRTO(d time.Duration) string {
	if d <= 0 {
		return "never"
	}
	return d.Round(time.Millisecond).String()
}

func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "—"
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	return fmt.Sprintf("%s / %s / %s", fmtRTO(sorted[0]), fmtRTO(sorted[len(sorted)/2]), fmtRTO(sorted[len(sorted)-1]))
}

func counts(ns []int) string {
	cells := make([]string, len(ns))
	for i, n := range ns {
		cells[i] = fmt.Sprint(n)
	}
	return tally(cells)
}

// tally sums the per-run counts and lists them; "void" runs are listed, not summed.
func tally(ns []string) string {
	total := 0
	for _, n := range ns {
		var v int
		if _, err := fmt.Sscan(n, &v); err == nil {
			total += v
		}
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(ns, ", "))
}
