package main

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"time"
)

// A family is a kind of fault the campaign draws runs from; within a family the seed
// draws the details (which nodes, kill or hang, how long).
var families = []string{
	"primary-minority", // one non-master node of the active cluster: no failover
	"primary-master",   // the elected master only: the cluster re-elects, no failover
	"primary-quorum",   // 2 or 3 nodes: quorum lost, failover due
	"standby",          // 1 to 3 standby nodes: no failover
	"esdr",             // esdr kill -9 and restart, or SIGSTOP and SIGCONT: no failover
	"partition",        // esdr cut off from one cluster whose nodes keep serving
	"mixed",            // two overlapping faults from the above
	"credentials",      // a cluster answers esdr 401 (its credentials refused) while serving: esdr is blind, no failover
	"slow",             // every primary node answers esdr 50–250 ms late: slow is not down, no failover
	"flapping",         // one primary node (the master, or another) hung and resumed again and again: no failover
}

// embeddedFamilies exist only in the embedded topology, whose state is on esdr's disk.
var embeddedFamilies = []string{
	"disk-full", // esdr's state disk full, with the primary's quorum lost during it: no split brain, no loss, plans finish once it has room
}

// fleetFamilies exist only in the fleet topology.
var fleetFamilies = []string{
	"fleet-leader",     // the leading esdr member kill -9 and restart, or SIGSTOP and SIGCONT: no failover
	"etcd",             // one etcd member, its leader or a follower, killed or hung: no failover
	"member-partition", // one esdr member cut off from the primary: the others outvote it, no failover
	"client-partition", // the key-following client cut off from the primary, esdr not: no failover
}

// familiesOf are the families a topology runs.
func familiesOf(topology string) []string {
	if topology == fleet {
		return append(slices.Clone(families), fleetFamilies...)
	}
	return append(slices.Clone(families), embeddedFamilies...)
}

// step is one fault of a schedule: what, on what, when (after the warm-up) and for how
// long. Nodes are chosen when it is applied, by pick, since which node is the elected
// master is known only then.
type step struct {
	kind   string // kill, stop, partition, unauthorized, slow, esdr-kill, esdr-stop, etcd-kill, etcd-stop, flap, disk-full, client-partition
	target string // "primary", "standby", "esdr" or "etcd"
	// pick: for nodes master, minority (a non-master), quorum-master, quorum-followers,
	// all; for esdr and etcd members leader or follower; for a partition member (one
	// esdr member's path only) or "" (every member's).
	pick    string
	at      time.Duration
	dur     time.Duration
	latency time.Duration // of a slow fault
	hang    time.Duration // of each hang of a flap
}

func (s step) String() string {
	what := s.kind + " " + s.target
	if s.pick != "" {
		what += " (" + s.pick + ")"
	}
	if s.latency > 0 {
		what += fmt.Sprintf(" +%s", s.latency)
	}
	if s.hang > 0 {
		what += fmt.Sprintf(" hung %s at a time", s.hang)
	}
	return fmt.Sprintf("%s at +%s for %s", what, s.at, s.dur)
}

// schedule is a run's faults, drawn from its seed alone, so that `-seed` replays it.
type schedule struct {
	seed   int64
	family string
	steps  []step
}

func (s schedule) String() string {
	var parts []string
	for _, st := range s.steps {
		parts = append(parts, st.String())
	}
	return fmt.Sprintf("seed %d %s: %s", s.seed, s.family, strings.Join(parts, "; "))
}

// familyOf is the family of a seed among the allowed ones: consecutive seeds cycle through
// them, so a campaign covers each evenly and a seed alone names its run.
func familyOf(seed int64, allowed []string) string {
	n := int64(len(allowed))
	return allowed[((seed%n)+n)%n]
}

// newSchedule draws the faults of a run. bound is the checker's failover bound: a lost
// quorum is held past it, so that a failover is due.
func newSchedule(seed int64, allowed []string, topology string, bound time.Duration) schedule {
	rng := rand.New(rand.NewSource(seed))
	s := schedule{seed: seed, family: familyOf(seed, allowed)}
	fam := s.family
	if fam == "disk-full" {
		full := step{kind: "disk-full", target: "esdr", dur: between(rng, 15*time.Second, 30*time.Second)}
		quorum := draw(rng, "primary-quorum", bound)
		quorum.at = between(rng, 0, 5*time.Second)
		s.steps = []step{full, quorum}
		return s
	}
	if fam == "mixed" {
		// A primary fault with an esdr or standby fault overlapping it.
		first := []string{"primary-quorum", "primary-master", "primary-minority"}[rng.Intn(3)]
		seconds := []string{"esdr", "standby"}
		if topology == fleet {
			seconds = append(seconds, "fleet-leader", "etcd")
		}
		second := seconds[rng.Intn(len(seconds))]
		a := draw(rng, first, bound)
		b := draw(rng, second, bound)
		b.at = a.at + between(rng, 0, a.dur)
		s.steps = []step{a, b}
		return s
	}
	s.steps = []step{draw(rng, fam, bound)}
	return s
}

// draw is one fault of a family.
func draw(rng *rand.Rand, family string, bound time.Duration) step {
	killOrStop := []string{"kill", "stop"}[rng.Intn(2)]
	st := step{at: 0, kind: killOrStop}
	switch family {
	case "primary-minority":
		st.target, st.pick, st.dur = "primary", "minority", between(rng, 8*time.Second, 15*time.Second)
	case "primary-master":
		// Held well past the cluster's re-election (a few seconds at the test bed's
		// fault-detection settings).
		st.target, st.pick, st.dur = "primary", "master", between(rng, 10*time.Second, 20*time.Second)
	case "primary-quorum":
		st.target, st.dur = "primary", between(rng, bound+5*time.Second, bound+15*time.Second)
		st.pick = []string{"quorum-master", "quorum-followers", "all"}[rng.Intn(3)]
	case "standby":
		st.target, st.dur = "standby", between(rng, 8*time.Second, 20*time.Second)
		st.pick = []string{"minority", "master", "quorum-master", "all"}[rng.Intn(4)]
	case "esdr", "fleet-leader":
		st.target, st.kind, st.dur = "esdr", "esdr-"+killOrStop, between(rng, 2*time.Second, 10*time.Second)
		st.pick = map[bool]string{true: "leader", false: "follower"}[family == "fleet-leader"]
	case "etcd":
		st.target, st.kind, st.dur = "etcd", "etcd-"+killOrStop, between(rng, 3*time.Second, 15*time.Second)
		st.pick = []string{"leader", "follower"}[rng.Intn(2)]
	case "partition":
		st.kind, st.dur = "partition", between(rng, 10*time.Second, bound+10*time.Second)
		st.target = clusterNames[rng.Intn(2)]
	case "credentials":
		st.kind, st.dur = "unauthorized", between(rng, 10*time.Second, bound+10*time.Second)
		st.target = clusterNames[rng.Intn(2)]
	case "slow":
		st.kind, st.target, st.dur = "slow", clusterNames[0], between(rng, 10*time.Second, 20*time.Second)
		st.latency = between(rng, 50*time.Millisecond, 250*time.Millisecond)
	case "flapping":
		// Hangs of up to 4 s: past the cluster's fault detection (2 s timeouts, 2
		// retries at the test bed's settings) a hung master is replaced, so a flapping
		// master makes the cluster re-elect again and again.
		st.kind, st.target, st.dur = "flap", "primary", between(rng, 15*time.Second, 30*time.Second)
		st.pick = []string{"master", "minority"}[rng.Intn(2)]
		st.hang = between(rng, time.Second, 4*time.Second)
	case "client-partition":
		st.kind, st.target, st.dur = "client-partition", clusterNames[0], between(rng, 10*time.Second, bound+10*time.Second)
	case "member-partition":
		st.kind, st.target, st.pick = "partition", clusterNames[0], "member"
		st.dur = between(rng, 10*time.Second, bound+10*time.Second)
	default:
		panic("chaos: unknown family " + family) // families are checked by parseFamilies
	}
	return st
}

// between draws a duration in [lo, hi), rounded to 100 ms for readable schedules.
func between(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return (lo + time.Duration(rng.Int63n(int64(hi-lo)))).Round(100 * time.Millisecond)
}

// parseFamilies checks a comma-separated list of a topology's families ("all" for
// every one).
func parseFamilies(s, topology string) ([]string, error) {
	families := familiesOf(topology)
	if s == "all" || s == "" {
		return families, nil
	}
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		ok := false
		for _, k := range families {
			ok = ok || k == f
		}
		if !ok {
			return nil, fmt.Errorf("chaos: unknown family %q for the %s topology (want all or some of %s)", f, topology, strings.Join(families, ", "))
		}
		out = append(out, f)
	}
	return out, nil
}
