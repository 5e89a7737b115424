package main

import (
	"fmt"
	"strings"
	"time"
)

// markdown renders the section: throughput and latency per load and target with the
// ratios of the same run, then the lag of each mirror-on run and its count check.
func markdown(o *options, cells []cell) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Write mirroring: indexing direct vs through esdr with mirroring off vs on, and the standby's lag\n\n")
	fmt.Fprintf(&b, "One %s pair from the test bed (primary 1 node, standby 1 node, 384 MiB heap each, indices of\n", o.engine)
	fmt.Fprintf(&b, "1 shard and no replica) and three `esdr run` built from the working tree without -race: one with\n")
	fmt.Fprintf(&b, "`proxy.listen` only (*mirror off*), one with `mirror: {enabled: true}` and its defaults, journal in a\n")
	fmt.Fprintf(&b, "temp dir (*mirror on*), and a third like it whose standby is an address nothing listens on (*mirror on,\n")
	fmt.Fprintf(&b, "replay held*: every write journaled and acknowledged, none replayed, so the write path's own cost shows\n")
	fmt.Fprintf(&b, "without the standby JVM indexing on the same cores); with -fleet (the default) also a fleet of three esdr\n")
	fmt.Fprintf(&b, "members with mirror on over a 3-member etcd, each journaling and replaying what its own proxy took,\n")
	fmt.Fprintf(&b, "the load's workers spread over the three proxies (*%s*; its lag is the members' summed).\n", targetFleet)
	fmt.Fprintf(&b, "A Go client with N workers in a closed loop writes small documents (about\n")
	fmt.Fprintf(&b, "90 bytes) with explicit ids: *single* is `PUT /<index>/_doc/<id>`, *bulk* is `POST /_bulk` of %d index\n", o.batch)
	fmt.Fprintf(&b, "items with ids. Before the first cell, %s per load through mirror on (unmeasured) warms both JVMs.\n", o.jvmWarmup)
	fmt.Fprintf(&b, "Each cell has its own fresh index, %s of unmeasured warm-up into it, then %s measured;\n", o.warmup, o.d)
	fmt.Fprintf(&b, "the targets run one after the other for each load. *docs/s* counts documents the cluster\n")
	fmt.Fprintf(&b, "acknowledged (for single, requests); *errors* are requests without a 2xx answer or with any _bulk item\n")
	fmt.Fprintf(&b, "refused; *esdr / node* is the mean time of a request in esdr's proxy (arrival to answer sent,\n")
	fmt.Fprintf(&b, "journaling included) and of its attempt at the node (to the answer's head), from esdr's metrics,\n")
	fmt.Fprintf(&b, "with mirroring on the mean time of the journal's group-commit fsyncs and their number per request;\n")
	fmt.Fprintf(&b, "*ratio* is against mirror off on the mirror-on rows and mirror off / direct on the\n")
	fmt.Fprintf(&b, "mirror-off row, from the same run. Both JVMs, the esdr processes and the client share this\n")
	fmt.Fprintf(&b, "machine's cores, and other work on it (load average %s before the run started anything, %s\n", o.loadBefore, o.loadAfter)
	fmt.Fprintf(&b, "when it ended), so the absolute numbers are low: with mirroring on, the standby JVM indexing the\n")
	fmt.Fprintf(&b, "replayed writes takes the same two cores the primary needs, a cost that separate hosts do not pay.\n")
	fmt.Fprintf(&b, "Errors are the clusters' own answers, quoted below the tables (a 429 from the 384 MiB heap's\n")
	fmt.Fprintf(&b, "circuit breaker is pushback a client retries; a write refused by the primary is not journaled).\n\n")
	b.WriteString("| load | workers | target | docs/s | req/s | ratio | p50 | p99 | esdr / node (mean) | errors |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for i, c := range cells {
		ratio := "—"
		if prev := base(cells, i); prev != nil && prev.res.perSecond() > 0 {
			ratio = fmt.Sprintf("%.2f×", c.res.perSecond()/prev.res.perSecond())
		}
		name := c.target
		if c.target == targetMirror || c.target == targetHeld || c.target == targetFleet {
			name = "**" + name + "**"
		}
		split := "—"
		if c.split != nil {
			split = ms(c.split.request) + " / " + ms(c.split.node)
			if c.split.fsyncs > 0 {
				split += fmt.Sprintf(" (fsync %s, %.2f per request)", ms(c.split.fsync), c.split.fsyncs)
			}
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %.0f | %.0f | %s | %s | %s | %s | %d |\n", c.mode, c.workers, name,
			c.res.perSecond(), float64(c.res.requests)/c.res.elapsed.Seconds(), ratio, ms(c.res.p50), ms(c.res.p99), split, c.res.errors)
	}
	b.WriteString("\nRatios of the same run:\n\n")
	for i, c := range cells {
		if c.target != targetMirror {
			continue
		}
		off, direct := base(cells, i), base(cells, i-1)
		if off == nil || direct == nil || off.res.perSecond() == 0 || direct.res.perSecond() == 0 {
			continue
		}
		fmt.Fprintf(&b, "- %s, %d workers: mirror on / off **%.2f×** (p50 %s vs %s), off / direct %.2f×, mirror on / direct %.2f×",
			c.mode, c.workers, c.res.perSecond()/off.res.perSecond(), ms(c.res.p50), ms(off.res.p50),
			off.res.perSecond()/direct.res.perSecond(), c.res.perSecond()/direct.res.perSecond())
		for _, h := range cells[i+1:] {
			if base(cells, i+1) != off || h.mode != c.mode || h.workers != c.workers {
				break
			}
			switch h.target {
			case targetHeld:
				fmt.Fprintf(&b, "; replay held / off **%.2f×** (p50 %s)", h.res.perSecond()/off.res.perSecond(), ms(h.res.p50))
			case targetFleet:
				fmt.Fprintf(&b, "; fleet of 3, mirror on / off **%.2f×** (p50 %s)", h.res.perSecond()/off.res.perSecond(), ms(h.res.p50))
			}
		}
		b.WriteString(";\n")
	}
	lagTable(&b, cells)
	for _, c := range cells {
		if c.res.firstErr != "" {
			fmt.Fprintf(&b, "\nFirst error, %s %s %d workers: `%s`\n", c.target, c.mode, c.workers, strings.ReplaceAll(c.res.firstErr, "`", "'"))
		}
	}
	return b.String()
}

// lagTable renders the mirror-on runs' lag, drain and count check.
func lagTable(b *strings.Builder, cells []cell) {
	every := time.Duration(0)
	for _, c := range cells {
		every = c.lagSampleEvery
	}
	fmt.Fprintf(b, "\nReplication lag during the mirror-on runs: `esdr_mirror_lag_ops` (journal records not yet applied\n")
	fmt.Fprintf(b, "to the standby; a _bulk is one record) and `esdr_mirror_lag_seconds` (age of the oldest of them),\n")
	fmt.Fprintf(b, "scraped from esdr's `/metrics` every %s during the measured load (max and p95 over those samples).\n", every)
	fmt.Fprintf(b, "*drain* is the time from the load's last answer to the first sample with no lag (to within one\n")
	fmt.Fprintf(b, "scrape interval); *replay* is records applied per second from the load's start to that sample.\n")
	fmt.Fprintf(b, "*standby = primary*: after the drain each index was refreshed and counted on both clusters, and\n")
	fmt.Fprintf(b, "against the documents acknowledged to the client (warm-up included).\n\n")
	b.WriteString("| load | workers | target | lag max / p95 (records) | lag max / p95 (s) | drain | replay | acknowledged | primary | standby | standby = primary |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range cells {
		l := c.lag
		if l == nil {
			continue
		}
		same := "**yes**"
		if c.standbyDocs != c.primaryDocs {
			same = fmt.Sprintf("**no** (%+d)", c.standbyDocs-c.primaryDocs)
		}
		fmt.Fprintf(b, "| %s | %d | %s | %.0f / %.0f | %.2f / %.2f | %s | %.0f/s | %d | %d | %d | %s |\n", c.mode, c.workers, c.target,
			l.maxOps, l.p95Ops, l.maxSecs, l.p95Secs, ms(l.drain), l.replayRate, c.acked, c.primaryDocs, c.standbyDocs, same)
	}
	for _, c := range cells {
		if c.lag != nil && c.lag.failed > 0 {
			fmt.Fprintf(b, "\n%s %d workers: %d scrapes of /metrics failed (first: %v).\n", c.mode, c.workers, c.lag.failed, c.lagFirstErr)
		}
	}
	var by []string
	for _, c := range cells {
		if c.answeredBy != "" {
			by = append(by, fmt.Sprintf("%s %s %d: %s", c.target, c.mode, c.workers, c.answeredBy))
		}
	}
	fmt.Fprintf(b, "\nAutomatic failover was off in both esdr configurations, so that a health probe slowed by the load\n")
	fmt.Fprintf(b, "could not move the writes; every answer through esdr named the cluster and epoch that took it:\n")
	fmt.Fprintf(b, "%s.\n", strings.Join(by, "; "))
}

// base is the cell a ratio is taken against, for the same load: direct for mirror off,
// mirror off for mirror on and for replay held.
func base(cells []cell, i int) *cell {
	if i <= 0 || i >= len(cells) || cells[i].target == targetDirect {
		return nil
	}
	want := targetOff
	if cells[i].target == targetOff {
		want = targetDirect
	}
	for j := i - 1; j >= 0; j-- {
		p := &cells[j]
		if p.mode != cells[i].mode || p.workers != cells[i].workers {
			return nil
		}
		if p.target == want {
			return p
		}
	}
	return nil
}
