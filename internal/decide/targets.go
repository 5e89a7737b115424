package decide

import (
	"fmt"
	"strings"
)

// firstUp returns the first cluster, in order of preference, other than except, whose
// verdict is up. Unknown never qualifies: esdr never fails over to a cluster it has not
// seen healthy.
func firstUp(obs Observations, p Policy, except string) (string, bool) {
	for _, c := range p.Clusters {
		if c != except && obs.of(c).Up() {
			return c, true
		}
	}
	return "", false
}

// allDown reports whether every configured cluster has a down verdict.
func allDown(obs Observations, p Policy) bool {
	for _, c := range p.Clusters {
		if !obs.of(c).Down() {
			return false
		}
	}
	return len(p.Clusters) > 0
}

// others describes the clusters other than except, for reasons in events and logs.
func others(obs Observations, p Policy, except string) string {
	var parts []string
	for _, c := range p.Clusters {
		if c == except {
			continue
		}
		o := obs.of(c)
		s := fmt.Sprintf("%s %s", c, o.Verdict)
		if o.Last != "" {
			s += fmt.Sprintf(" (%s)", o.Last)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// situation is a one-line summary of the active cluster for a paused decision.
func situation(s State, obs Observations) string {
	o := obs.of(s.Active)
	return fmt.Sprintf("active %s is %s", s.Active, o.Verdict)
}
