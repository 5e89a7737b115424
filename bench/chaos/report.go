package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// markdown is the campaign's section of docs/reliability.md: per family the runs and the
// violations of each invariant, the failover times, the writes, and every violation and
// runner failure with its seed.
func (c *campaignResult) markdown() string {
	var b strings.Builder
	faulted := 0
	for _, r := range c.runs {
		if len(r.sched.steps) > 0 {
			faulted++
		}
	}
	mode := c.topology
	if c.cfg.mirror {
		mode += ", mirror mode"
	}
	fmt.Fprintf(&b, "### %s, %s: %d runs checked, %d violation(s)\n\n", c.engine, mode, len(c.runs), c.violations())
	fmt.Fprintf(&b, "Seeds %d–%d; %d faulted runs checked, %d runner failure(s), in %s. Load average %s before, %s after "+
		"(the machine is shared: other sessions' JVMs ran too).\n\n",
		c.first, c.last, faulted, len(c.errors), c.took.Round(time.Second), c.loadBefore, c.loadAfter)
	fmt.Fprintf(&b, "esdr: probes every %s (timeout %s), thresholds 3, hold-down %s, failback manual. Checker: failover bound %s, "+
		"grace %s. %s.\n\n", c.cfg.interval, c.cfg.interval, c.cfg.holdDown, c.cfg.bound, c.cfg.grace, c.clients())

	b.WriteString("| family | runs |")
	for _, inv := range Invariants {
		b.WriteString(" " + inv + " |")
	}
	b.WriteString(" failovers | writes acked | lost | unverified |\n|---|---|")
	b.WriteString(strings.Repeat("---|", len(Invariants)+4) + "\n")
	var acked, lost, unverified int
	for _, fam := range familiesOf(c.topology) {
		var runs []runResult
		for _, r := range c.runs {
			if r.sched.family == fam {
				runs = append(runs, r)
			}
		}
		if len(runs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d |", fam, len(runs))
		var a, l, u, moved int
		for _, inv := range Invariants {
			n := 0
			for _, r := range runs {
				n += r.res.Count(inv)
			}
			fmt.Fprintf(&b, " %s |", bold(n))
		}
		for _, r := range runs {
			a, l, u, moved = a+r.res.Acked, l+r.res.Lost, u+r.res.Unverified, moved+len(r.res.Transitions)
		}
		fmt.Fprintf(&b, " %d | %d | %s | %d |\n", moved, a, bold(l), u)
		acked, lost, unverified = acked+a, lost+l, unverified+u
	}
	fmt.Fprintf(&b, "\nWrites acknowledged (through the proxy, and straight to a node by the following clients): %d; lost: %d; unverified: %d.\n\n", acked, lost, unverified)

	var rto, client []time.Duration
	for _, r := range c.runs {
		rto, client = append(rto, r.res.RTO...), append(client, r.res.ClientRTO...)
	}
	fmt.Fprintf(&b, "Failover after a lost quorum of the active cluster, from the fault to esdr's transition event: %s. "+
		"To the first write acknowledged by the other cluster: %s.\n", distribution(rto), distribution(client))

	if c.violations() > 0 {
		b.WriteString("\n#### Violations (known issues; replay with `make chaos SEED=<seed> ENGINE=" + c.engine + " TOPOLOGY=" + c.topology + "`)\n\n")
		for _, r := range c.runs {
			for _, v := range r.res.Violations {
				fmt.Fprintf(&b, "- seed %d (%s: %s): **%s** — %s\n", r.sched.seed, r.sched.family, stepsOf(r.sched), v.Invariant, oneLine(v.Evidence))
			}
		}
	}
	if len(c.errors) > 0 {
		b.WriteString("\n#### Runs the runner could not finish (not checked)\n\n")
		for _, e := range c.errors {
			b.WriteString("- " + e + "\n")
		}
	}
	return b.String()
}

// clients says who wrote and read, by which path.
func (c *campaignResult) clients() string {
	if c.topology == fleet {
		return fmt.Sprintf("Three esdr members (quorum 2, session TTL %s, stale_after %s) over a 3-member etcd; %d writers and 1 reader "+
			"spread over the members' proxies (each moving to the next member when one refuses or answers 503), and 2 writers that "+
			"read esdr's etcd key, or its DNS record on BIND, before each write and write straight to a node of the cluster it names", fleetTTL, fleetStaleAfter, c.cfg.writers)
	}
	if c.cfg.mirror {
		return fmt.Sprintf("One esdr (state file) in mirror mode (a 16 MiB journal); %d writers and 1 reader through its proxy, "+
			"1 writer following its DNS record on BIND; every acknowledged write must also be on the final active cluster", c.cfg.writers)
	}
	return fmt.Sprintf("One esdr (state file); %d writers and 1 reader through its proxy, 1 writer that reads its DNS record on BIND "+
		"before each write and writes straight to a node of the cluster it names", c.cfg.writers)
}

func stepsOf(s schedule) string {
	var parts []string
	for _, st := range s.steps {
		parts = append(parts, st.String())
	}
	return strings.Join(parts, "; ")
}

// bold marks a nonzero count, so that a violation stands out in the table.
func bold(n int) string {
	if n == 0 {
		return "0"
	}
	return fmt.Sprintf("**%d**", n)
}

// distribution is "n runs: min / p50 / p90 / max".
func distribution(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none measured"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[int(p*float64(len(s)-1)+0.5)] }
	r := func(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
	return fmt.Sprintf("%d failovers, min %s / p50 %s / p90 %s / max %s", len(s), r(s[0]), r(q(0.5)), r(q(0.9)), r(s[len(s)-1]))
}
