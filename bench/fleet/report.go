package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// markdown renders the takeovers and the switchovers, a table each, one row per TTL.
func markdown(o *options, res results) string {
	var s strings.Builder
	fmt.Fprintf(&s, "### Fleet: leader takeover and proxy switch skew\n\n")
	fmt.Fprintf(&s, "%s, primary %d node(s) + standby 1 node. Three `esdr run` members (esdr-a, -b, -c in zones a, b, c;\n", o.engine, o.primaryNodes)
	fmt.Fprintf(&s, "quorum 2; a proxy each; health.interval = timeout = %s, failure_threshold %d) over a three-member etcd\n", o.interval, o.threshold)
	fmt.Fprintf(&s, "(one process per member), everything on this one machine. A fresh fleet per session TTL.\n")
	fmt.Fprintf(&s, "Load average before the run started anything: %s; at its end: %s (2 cores; other work may have been\n", o.loadBefore, o.loadAfter)
	fmt.Fprintf(&s, "running beside the benchmark, which it cannot tell from its own).\n\n")

	fmt.Fprintf(&s, "#### Leader takeover: kill -9 of the leader, %d runs per TTL\n\n", o.runs)
	s.WriteString("**takeover** = SIGKILL → the first survivor whose `GET /v1/status` (each survivor polled every 10 ms) says\n")
	s.WriteString("`leading`; **agreed** = → that, and every other survivor naming it as leader. The dead leader's etcd lease\n")
	s.WriteString("ends one TTL after its last renewal, which the etcd client sends TTL/3 after the previous one was answered\n")
	s.WriteString("(checking every 0.5 s), and etcd looks for expired leases every 0.5 s: so the takeover falls in the **lease\n")
	s.WriteString("window** from TTL − TTL/3 − 0.5 s to TTL + 0.5 s after the kill, plus one campaign round.\n")
	s.WriteString("**proxies**: a client per survivor sending `GET /_cluster/health` through its proxy every 10 ms, from 0.5 s before\n")
	s.WriteString("the kill to 1 s after the takeover; every answer but a 200 counts as failed. The killed member is restarted\n")
	s.WriteString("and the fleet whole again before the next run.\n\n")
	fmt.Fprintf(&s, "The new leader's own status named it leader (read from etcd) up to %s before it said `leading` (its\n", ms(maxNamedFirst(res)))
	s.WriteString("campaign had not returned yet): a script should wait for `leading`, not for `leader` naming the member.\n\n")
	s.WriteString("| session TTL | lease window | takeover min / median / max | median ÷ TTL | takeover each run | agreed, worst | proxy requests | not 200 | slowest request |\n")
	s.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, ttl := range o.ttls {
		ts := res.takeovers[ttl]
		if len(ts) == 0 {
			continue
		}
		var el, ag []time.Duration
		requests, failed := 0, 0
		var slowest time.Duration
		for _, t := range ts {
			el, ag = append(el, t.elapsed), append(ag, t.agreed)
			requests, failed, slowest = requests+t.requests, failed+t.failed, max(slowest, t.slowest)
		}
		window := fmt.Sprintf("%s – %s", (ttl - ttl/3 - renewCheck).Round(100*time.Millisecond), ttl+renewCheck)
		fmt.Fprintf(&s, "| %s | %s | %s | %.2f | %s | %s | %d | %d | %s |\n", ttl, window, spread(el), float64(median(el))/float64(ttl),
			each(el), ms(slices.Max(ag)), requests, failed, ms(slowest))
	}

	fmt.Fprintf(&s, "\n#### Switch skew: `POST /v1/switchover` to the leader, %d round trips per TTL\n\n", o.runs)
	fmt.Fprintf(&s, "One poller per member on `GET /v1/endpoint` (a poll, then %s pause) records when the member first routes to\n", o.poll)
	s.WriteString("the new epoch; times are from the moment the command was sent. **skew** = last member − first member. A\n")
	s.WriteString("member's switch is seen at most one pause plus one poll round trip late (**slowest poll**: the slowest\n")
	s.WriteString("round trip of any poller in those switchovers), which bounds the resolution. Each round trip is a switchover\n")
	s.WriteString("to the standby and one back to the primary, each waited for until the leader's plan (fence, unfence) is done.\n")
	s.WriteString("The proxies follow the epoch the leader commits to etcd, so they switch before the command is answered: the\n")
	s.WriteString("leader answers once it has also run the plan.\n\n")
	s.WriteString("| session TTL | to | switchovers | command answered, median | → first proxy min / median / max | → last proxy min / median / max | skew min / median / max | skew each | slowest poll |\n")
	s.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, ttl := range o.ttls {
		for _, to := range []string{"standby", "primary"} {
			var ack, first, last, skew []time.Duration
			var poll time.Duration
			for _, r := range res.switches[ttl] {
				if r.to == to {
					ack, first, last = append(ack, r.ack), append(first, r.first), append(last, r.last)
					skew, poll = append(skew, r.last-r.first), max(poll, r.poll)
				}
			}
			if len(skew) == 0 {
				continue
			}
			fmt.Fprintf(&s, "| %s | %s | %d | %s | %s | %s | %s | %s | %s |\n", ttl, to, len(skew), ms(median(ack)),
				spread(first), spread(last), spread(skew), each(skew), ms(poll))
		}
	}
	return s.String()
}

// renewCheck is both how often the etcd client looks for a lease to renew and how often
// the etcd server looks for expired leases.
const renewCheck = 500 * time.Millisecond

func maxNamedFirst(res results) time.Duration {
	var m time.Duration
	for _, ts := range res.takeovers {
		for _, t := range ts {
			m = max(m, t.namedFirst)
		}
	}
	return m
}

func median(ds []time.Duration) time.Duration {
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

func spread(ds []time.Duration) string {
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	return fmt.Sprintf("%s / %s / %s", ms(sorted[0]), ms(sorted[len(sorted)/2]), ms(sorted[len(sorted)-1]))
}

func each(ds []time.Duration) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, ms(d))
	}
	return strings.Join(parts, ", ")
}
