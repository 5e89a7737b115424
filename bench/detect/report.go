package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// line is a run's progress line.
func (s sample) line() string {
	var parts []string
	switch {
	case s.void != "":
		parts = append(parts, "VOID: "+s.void)
	case s.none != "":
		parts = append(parts, "esdr did not fail over ("+s.none+")")
	default:
		parts = append(parts, "esdr failed over after "+ms(s.decision))
	}
	if len(s.hung) > 0 {
		parts = append(parts, "hung "+strings.Join(s.hung, ", "))
	}
	if s.held > 0 {
		parts = append(parts, fmt.Sprintf("re-elected after %s, held %s", never(s.reelect), ms(s.held)))
	}
	return strings.Join(append(parts, "events: "+strings.Join(s.events, "; ")), "; ")
}

// markdown renders every scenario measured.
func markdown(c config, results map[scenario][]sample, loadBefore, loadAfter string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Primary 3 nodes + standby 1 node per engine (%s); a fresh esdr per run, failure_threshold %d,\n", strings.Join(c.engines, ", "), c.threshold)
	b.WriteString("the probe timeout equal to health.interval. Before each fault the run waits until esdr's status has the\n")
	b.WriteString("primary active at epoch 1 and up; a run in which esdr had moved before the fault is **void** (listed, never counted).\n")
	fmt.Fprintf(&b, "Load average before the run: %s; at its end: %s (2 cores shared: other work may have run beside it).\n", loadBefore, loadAfter)
	for _, k := range c.scenarios {
		rs := results[k]
		switch k {
		case scenarioKill:
			fmt.Fprintf(&b, "\n### Detection: kill -9 of every primary node → esdr's failover decision\n\n")
			fmt.Fprintf(&b, "health.interval = timeout = %s (the floor is (threshold − 1) × interval plus one probe: a refused\nconnection fails at once).\n\n", c.interval)
			b.WriteString("| engine | runs | min | median | max | mean | each |\n|---|---|---|---|---|---|---|\n")
			for _, e := range c.engines {
				ds, each := decisions(rs, e)
				fmt.Fprintf(&b, "| %s | %d | %s | %s |\n", e, len(each), stats(ds), strings.Join(each, ", "))
			}
		case scenarioMaster:
			fmt.Fprintf(&b, "\n### Hang of the elected master only (SIGSTOP), past the re-election, then SIGCONT\n\n")
			fmt.Fprintf(&b, "health.interval = timeout = %s. The master stays hung until every other node names a new master\n", c.hangInterval)
			fmt.Fprintf(&b, "(`_cat/master`, polled every 250 ms) and %s longer. **Desired: no failover** — the cluster re-elected and\n", c.hold)
			b.WriteString("serves. **re-elected** = fault → the other nodes agree on a new master.\n\n")
			perRun(&b, rs, "| engine | run | hung | re-elected after | hung for | esdr failed over | esdr's events from the fault on |\n|---|---|---|---|---|---|---|\n",
				func(s sample) string { return fmt.Sprintf("%s | %s", never(s.reelect), ms(s.held)) })
			fmt.Fprintf(&b, "\nesdr failed over in %s.\n", tallyFailovers(rs))
		case scenarioQuorum, scenarioFollowers:
			bound := time.Duration(c.threshold)*c.hangInterval + c.hangInterval
			which := "the master and one more"
			if k == scenarioFollowers {
				which = "the two nodes that are not the master, which is left alone"
			}
			fmt.Fprintf(&b, "\n### Hang of 2 of the 3 primary nodes (SIGSTOP of %s: quorum lost) → esdr's failover decision\n\n", which)
			fmt.Fprintf(&b, "health.interval = timeout = %s. **Desired**: a decision within failure_threshold × interval + one probe = %s.\n\n", c.hangInterval, bound)
			perRun(&b, rs, "| engine | run | hung | within "+bound.String()+" | esdr failed over | esdr's events from the fault on |\n|---|---|---|---|---|---|\n",
				func(s sample) string { return yes(s.void == "" && s.none == "" && s.decision <= bound) })
			for _, e := range c.engines {
				ds, _ := decisions(rs, e)
				fmt.Fprintf(&b, "\n%s: decision min / median / max / mean: %s.", e, strings.ReplaceAll(stats(ds), " | ", " / "))
			}
			b.WriteString("\n")
		}
		b.WriteString(notes(rs))
	}
	return b.String()
}

// perRun writes a table row per run: engine, run, hung nodes, the scenario's cells, esdr's
// failover and its events.
func perRun(b *strings.Builder, rs []sample, head string, cells func(sample) string) {
	b.WriteString(head)
	n := map[string]int{}
	for _, s := range rs {
		n[s.engine]++
		fo := "no"
		switch {
		case s.void != "":
			fo = "void"
		case s.none == "":
			fo = "**yes**, after " + ms(s.decision)
		}
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s |\n", s.engine, n[s.engine], strings.Join(s.hung, ", "), cells(s), fo, strings.Join(s.events, "; "))
	}
}

// notes names why a run is void or has no failover.
func notes(rs []sample) string {
	var b strings.Builder
	n := map[string]int{}
	for _, s := range rs {
		n[s.engine]++
		if s.void != "" {
			fmt.Fprintf(&b, "- %s run %d: **void** — %s\n", s.engine, n[s.engine], s.void)
		} else if s.none != "" {
			fmt.Fprintf(&b, "- %s run %d: no failover — %s\n", s.engine, n[s.engine], s.none)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return "\n" + b.String()
}

// decisions returns the decisions of engine's measured runs, and a cell per run.
func decisions(rs []sample, engine string) (ds []time.Duration, each []string) {
	for _, s := range rs {
		switch {
		case s.engine != engine:
		case s.void != "":
			each = append(each, "void")
		case s.none != "":
			each = append(each, "never")
		default:
			ds, each = append(ds, s.decision), append(each, ms(s.decision))
		}
	}
	return ds, each
}

// stats is "min | median | max | mean" of ds, or dashes.
func stats(ds []time.Duration) string {
	if len(ds) == 0 {
		return "— | — | — | —"
	}
	sorted := slices.Sorted(slices.Values(ds))
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return fmt.Sprintf("%s | %s | %s | %s", ms(sorted[0]), ms(sorted[len(sorted)/2]), ms(sorted[len(sorted)-1]), ms(sum/time.Duration(len(ds))))
}

func tallyFailovers(rs []sample) string {
	fo, measured := 0, 0
	for _, s := range rs {
		if s.void == "" {
			measured++
			if s.none == "" {
				fo++
			}
		}
	}
	return fmt.Sprintf("**%d of %d** measured runs (desired: 0)", fo, measured)
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }

func never(d time.Duration) string {
	if d <= 0 {
		return "never"
	}
	return ms(d)
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "**no**"
}
