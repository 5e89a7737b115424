package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/drill"
)

// observerEvery is the pace of the benchmark's client, the sampling interval of its RTO.
const observerEvery = 10 * time.Millisecond

// cliMarkdown sets what `esdr drill` reported beside what the benchmark's client measured:
// its own kill -9 runs, and the same client run beside each drill on the drill's fault.
func cliMarkdown(bench []runResult, cli []cliResult) string {
	if len(cli) == 0 {
		return ""
	}
	var s strings.Builder
	fmt.Fprintf(&s, "#### `esdr drill` (the CLI) on the same kill -9, %d runs\n\n", len(cli))
	s.WriteString("The real binary, as an operator runs it, with its load defaults (4 workers, one request each per 10 ms,\n")
	s.WriteString("every 3rd a write, 3 s warmup, 5 s settle after esdr moved traffic), against a fresh esdr with the\n")
	s.WriteString("configuration above on the same pair, restored between runs as above:\n\n")
	s.WriteString("```\nesdr drill --scenario fault --fault-cmd 'kill -9 -PGID1 -PGID2 -PGID3' \\\n")
	s.WriteString("  --recover-cmd 'curl -fsS -m 170 -X POST http://127.0.0.1:HOOK/recover' --accept-finding live-masters-too-few \\\n")
	s.WriteString("  --endpoint http://127.0.0.1:PROXY --addr http://127.0.0.1:ADMIN --index bench-drill-N --wait 3m --json --html drill.html\n```\n\n")
	s.WriteString("The fault command kills every primary node's process group, as the benchmark's own kill does; the recover\n")
	s.WriteString("command (run after the load) asks the benchmark to restart those nodes, so that the drill can verify the\n")
	s.WriteString("writes the primary acknowledged. The drill detects the failover and computes every number itself. Beside\n")
	s.WriteString("it, through the same proxy, runs the benchmark's reads-only client (the `esdr, reads` row above), whose RTO\n")
	s.WriteString("is timed from the drill's own fault mark: an independent observer of the same fault.\n\n")

	s.WriteString("| run | drill RTO | observer RTO | drill − observer | esdr decided (drill's timeline) | fault command ran | drill failed reads / reads | drill failed writes / writes | acked writes lost | proxy retries | drill exit | observer failed reads |\n")
	s.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	var drillRTO, obsRTO, benchRTO, drillDec, benchDec []time.Duration
	var drillFailed, obsFailed, benchFailed []int
	consistent := 0
	for i, r := range cli {
		d, o := time.Duration(r.phase.RTOSeconds*float64(time.Second)), r.observer.RTO
		drillRTO, obsRTO = append(drillRTO, d), append(obsRTO, o)
		drillFailed, obsFailed = append(drillFailed, r.phase.FailedReads), append(obsFailed, r.observer.FailedReads)
		if d > 0 && o > 0 && d <= o+observerEvery {
			consistent++
		}
		retries := 0.0
		for _, v := range r.report.Retries {
			retries += v
		}
		dec := decided(r)
		drillDec = append(drillDec, dec)
		fmt.Fprintf(&s, "| %d | %s | %s | %s | %s | %s | %d / %d | %d / %d | %d | %.0f | %d | %d |\n", i+1, fmtRTO(d), fmtRTO(o),
			diff(d, o), fmtRTO(dec), faultCmdTook(r.report.Timeline), r.phase.FailedReads, r.phase.Reads, r.phase.FailedWrites, r.phase.Writes, r.report.LostWrites, retries, r.exit, r.observer.FailedReads)
	}
	for _, r := range bench {
		if !r.counted(load{"esdr", "reads"}) {
			continue // esdr had moved before the fault: nothing of esdr's was measured
		}
		o := r.byLoad[load{"esdr", "reads"}]
		benchRTO, benchFailed = append(benchRTO, o.sum.RTO), append(benchFailed, o.sum.FailedReads)
		benchDec = append(benchDec, r.decision)
	}
	s.WriteString("\n| kill -9, esdr's proxy | RTO min / median / max | failed reads (per run) |\n|---|---|---|\n")
	fmt.Fprintf(&s, "| benchmark's client (`esdr, reads`), its own %d runs | %s | %s |\n", len(bench), spread(benchRTO), counts(benchFailed))
	fmt.Fprintf(&s, "| `esdr drill`, as it reported (`phases[0].numbers`) | %s | %s |\n", spread(drillRTO), counts(drillFailed))
	fmt.Fprintf(&s, "| benchmark's client beside each drill, from the drill's fault | %s | %s |\n\n", spread(obsRTO), counts(obsFailed))

	fmt.Fprintf(&s, "Median RTO, drill / benchmark: **%s** (its own runs), **%s** (the observer of the same faults). ",
		ratio(median(drillRTO), median(benchRTO)), ratio(median(drillRTO), median(obsRTO)))
	fmt.Fprintf(&s, "In %d of %d runs the drill's RTO lies within 0 < drill ≤ observer + %s, the observer's sampling interval.\n", consistent, len(cli), observerEvery)
	s.WriteString(verdict(consistent, len(cli), drillFailed, obsFailed, benchFailed))
	s.WriteString(spreadNote(drillRTO, benchRTO, drillDec, benchDec))
	s.WriteString("\nWhat differs between the two clients (both compute RTO with the same `drill.Summarize`: fault → completion of\n")
	s.WriteString("the first 2xx answer from another cluster than the one that answered last before the fault): the drill's fault\n")
	s.WriteString("instant is its mark just before it starts `sh -c` on the fault command, the benchmark's just before it signals\n")
	s.WriteString("in-process, so the drill's includes the shell's start (bounded by the \"fault command ran\" column); the drill\n")
	s.WriteString("runs 4 workers each on its own 10 ms ticker, sampling the recovery about 4× as densely as the benchmark's single\n")
	s.WriteString("one, so it tends to see the first standby answer up to ~10 ms earlier; every 3rd of its requests is a write\n")
	s.WriteString("(reads-only for the benchmark's client);\n")
	s.WriteString("its requests time out after 5 s (10 s) and share `http.DefaultTransport`'s 2 idle connections (64); its\n")
	s.WriteString("failed requests are counted over the whole drill (warmup, fault, settle; the benchmark: 2 s + 20 s).\n")
	s.WriteString("The drill's own RTO runs measure different faults from the benchmark's runs; the observer row measures the same ones.\n\n")
	if len(cli) > 0 {
		fmt.Fprintf(&s, "Each drill's JSON, HTML report and progress log were kept (not committed) in `%s/drill-N/`.\n\n", strings.TrimSuffix(dirOf(cli[0].artifact), "/"))
	}
	return s.String()
}

// verdict says whether the drill and the benchmark agree, from the per-run check and the
// failed reads.
func verdict(consistent, runs int, drillFailed, obsFailed, benchFailed []int) string {
	sum := func(ns []int) int {
		t := 0
		for _, n := range ns {
			t += n
		}
		return t
	}
	df, of, bf := sum(drillFailed), sum(obsFailed), sum(benchFailed)
	failed := fmt.Sprintf("failed reads: drill %d, observer %d, benchmark %d", df, of, bf)
	if consistent == runs && (df == 0) == (of == 0) && (of == 0) == (bf == 0) {
		return fmt.Sprintf("**They agree**: every drill RTO is consistent with what the independent client saw of the same fault, and both see the same absence or presence of failed reads (%s).\n", failed)
	}
	return fmt.Sprintf("**They do not fully agree**: %d of %d runs consistent; %s. See the runs above.\n", consistent, runs, failed)
}

// faultCmdTook is how long the drill's fault command ran, from its timeline's marks.
func faultCmdTook(tl []drill.Mark) string {
	var start time.Time
	for _, m := range tl {
		switch {
		case strings.HasPrefix(m.What, "fault command started"):
			start = m.At
		case strings.HasPrefix(m.What, "fault command done") && !start.IsZero():
			return m.At.Sub(start).Round(time.Millisecond).String()
		}
	}
	return "—"
}

// spreadNote places the drill's median among the benchmark's own runs, which hit other
// faults: their RTO varies with where in esdr's health interval each fault lands.
func spreadNote(drillRTO, benchRTO, drillDec, benchDec []time.Duration) string {
	if len(benchRTO) == 0 || len(drillRTO) == 0 {
		return ""
	}
	m, lo, hi := median(drillRTO), slices.Min(benchRTO), slices.Max(benchRTO)
	where := "within"
	if m < lo || m > hi {
		where = "outside"
	}
	return fmt.Sprintf("The drill's median is %s the spread of the benchmark's own runs (%s–%s), which hit other faults. In both, "+
		"the RTO is esdr's decision plus a few ms (median RTO − decision: drill %s, benchmark %s), and the decision varies run to run "+
		"with where in esdr's health interval the fault lands (min / median / max: drill runs %s, benchmark runs %s); so the "+
		"paired ratio to the observer is the like-for-like one.\n", where, fmtRTO(lo), fmtRTO(hi),
		medianOf(sub(drillRTO, drillDec)), medianOf(sub(benchRTO, benchDec)), spread(drillDec), spread(benchDec))
}

// decided is when esdr decided the failover after the drill's fault, from esdr's own event
// in the drill's timeline; 0 when the drill did not record it.
func decided(r cliResult) time.Duration {
	for _, m := range r.report.Timeline {
		if strings.Contains(m.What, "decided active-down") && m.At.After(r.report.Phases[0].At) {
			return m.At.Sub(r.report.Phases[0].At)
		}
	}
	return 0
}

// sub is a[i] − b[i] for the runs where both are known.
func sub(a, b []time.Duration) []time.Duration {
	var out []time.Duration
	for i := range min(len(a), len(b)) {
		if a[i] > 0 && b[i] > 0 {
			out = append(out, a[i]-b[i])
		}
	}
	return out
}

func medianOf(ds []time.Duration) string {
	if len(ds) == 0 {
		return "—"
	}
	return median(ds).Round(time.Millisecond).String()
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

func ratio(a, b time.Duration) string {
	if a <= 0 || b <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", float64(a)/float64(b))
}

func diff(a, b time.Duration) string {
	if a <= 0 || b <= 0 {
		return "—"
	}
	return fmt.Sprintf("%+dms", (a - b).Milliseconds())
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		return p[:i]
	}
	return p
}
