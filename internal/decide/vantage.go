package decide

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/health"
)

// VantageView is one member's observations, as the leader reads them from the fleet.
type VantageView struct {
	// Member names the esdr process that took the observations; Vantage names where it
	// stands (a zone, a site). Members sharing a Vantage share a network path and count
	// as one vantage point. An empty Vantage falls back to Member.
	Member  string `json:"member"`
	Vantage string `json:"vantage"`
	// At is when the member took them.
	At       time.Time                     `json:"at"`
	Clusters map[string]health.Observation `json:"clusters"`
}

// Quorum says how many distinct fresh vantage points must agree.
type Quorum struct {
	// Size is at least 1; 1 means any single vantage point (the embedded default).
	// A Size below 1 is treated as 1.
	Size int `json:"size"`
	// MaxAge bounds how far At may be from now, in either direction, for a view to
	// count. 0 admits only views taken at now; a negative MaxAge admits none.
	MaxAge time.Duration `json:"max_age"`
}

// Finding is something the leader noticed across vantage points that is not a decision.
// Its Code is in the Catalogue and is never actionable alone.
type Finding struct {
	Code Code `json:"code"`
	// Cluster is the cluster concerned, empty for a finding about the fleet as a whole.
	Cluster string `json:"cluster,omitempty"`
	// Member and Vantage name the vantage point concerned, when there is one.
	Member  string `json:"member,omitempty"`
	Vantage string `json:"vantage,omitempty"`
	Message string `json:"message"`
}

// Combine turns the fleet's views into one observation per cluster, for Decide, and the
// findings an operator needs to see why it decided as it did. It is pure, like Decide.
// The map has exactly one entry per name in clusters (views of other clusters are ignored);
// a cluster no fresh vantage point observed is Unknown.
//
// Freshness. A view counts only when |now - At| <= q.MaxAge: an old view is what a dead
// or cut-off member last believed, and a view from too far in the future comes from a
// clock that cannot be trusted either. Members with the same Vantage share a network path,
// so they are one vantage point, represented by its freshest view (ties go to the member
// name first in order); a second member in the same zone must not double that zone's vote.
//
// Votes. For each cluster, each fresh vantage point votes with its verdict: VerdictUp
// (which includes a degraded cluster within tolerance, exactly as Decide treats it) is an
// up vote, VerdictDown a down vote; VerdictUnknown, any other verdict, or no observation
// of the cluster at all abstains. The combined verdict is
//   - Up when at least q.Size vantage points vote up;
//   - otherwise Down when at least q.Size vote down;
//   - otherwise Blind when at least q.Size are blind (an abstention that says why);
//   - otherwise Unknown, which Decide never fails over from nor to, and never fails back to.
//
// Up wins when both reach the quorum: a quorum that reaches the cluster and finds it fit is
// proof that it serves, while failing to reach it may be a broken path (orchestrator's
// UnreachablePrimary, Route 53 keeping an endpoint healthy while enough checkers see it so).
//
// The combined observation is copied from one agreeing view (the one with the latest At),
// with Since set to the latest Since among the agreeing vantage points, so that a failback
// window starts only when the last of them saw the change, and Detail prefixed with the
// agreement ("2/3 vantage points: connection refused by every node"). An Unknown one says
// how the votes fell instead and carries no consecutive counts, since no one run of results
// stands for it. With a single fresh vantage point and a Size of 1 its observations pass
// through unchanged, so the embedded single-process mode decides exactly as before.
//
// Findings, sorted by code, cluster, vantage and member:
//   - CodePartitionedFromPrimary for each fresh vantage point that sees the active cluster
//     down while at least q.Size others see it up (so it is combined Up): that member is cut
//     off from the primary, and the primary is not dead;
//   - CodeNoQuorum when fewer than q.Size fresh vantage points exist at all, naming the stale
//     members, because then every cluster is Unknown and no automatic failover can happen.
//
// Finding messages depend only on who sees what, not on ages, so a finding that persists
// keeps the same text from one call to the next.
func Combine(views []VantageView, clusters []string, active string, q Quorum, now time.Time) (map[string]health.Observation, []Finding) {
	size := max(q.Size, 1)
	points, stale := freshest(views, q.MaxAge, now)
	var findings []Finding
	if len(points) < size {
		findings = append(findings, noQuorum(points, stale, size, now))
	}
	out := make(map[string]health.Observation, len(clusters))
	for _, c := range clusters {
		if len(points) == 1 && size == 1 {
			if o, ok := points[0].Clusters[c]; ok {
				out[c] = o
				continue
			}
		}
		out[c] = tallyOf(points, c).combined(size)
	}
	if active != "" {
		findings = append(findings, partitioned(points, active, size)...)
	}
	slices.SortFunc(findings, func(a, b Finding) int {
		return cmp.Or(strings.Compare(string(a.Code), string(b.Code)), strings.Compare(a.Cluster, b.Cluster),
			strings.Compare(a.Vantage, b.Vantage), strings.Compare(a.Member, b.Member), strings.Compare(a.Message, b.Message))
	})
	return out, findings
}

// vantageOf is the vantage point a view stands for.
func vantageOf(v VantageView) string {
	if v.Vantage == "" {
		return v.Member
	}
	return v.Vantage
}

// freshest returns one view per fresh vantage point, sorted by vantage, and the stale views.
func freshest(views []VantageView, maxAge time.Duration, now time.Time) (points, stale []VantageView) {
	best := map[string]VantageView{}
	for _, v := range views {
		if age := now.Sub(v.At); age > maxAge || age < -maxAge {
			stale = append(stale, v)
			continue
		}
		k := vantageOf(v)
		if b, ok := best[k]; !ok || v.At.After(b.At) || (v.At.Equal(b.At) && v.Member < b.Member) {
			best[k] = v
		}
	}
	for _, v := range best {
		points = append(points, v)
	}
	slices.SortFunc(points, func(a, b VantageView) int { return strings.Compare(vantageOf(a), vantageOf(b)) })
	return points, stale
}

// noQuorum explains why nothing can be judged: too few fresh vantage points. The message
// names the stale members but not their ages, so that it changes only when the fleet does.
func noQuorum(points, stale []VantageView, size int, now time.Time) Finding {
	msg := fmt.Sprintf("only %d of the required %d vantage points are fresh; no automatic failover", len(points), size)
	if len(stale) > 0 {
		names := make([]string, 0, len(stale))
		for _, v := range stale {
			name := fmt.Sprintf("%s at %s", v.Member, vantageOf(v))
			if v.At.After(now) {
				name += " (clock ahead)"
			}
			names = append(names, name)
		}
		slices.Sort(names)
		msg += "; stale: " + strings.Join(slices.Compact(names), ", ")
	}
	return Finding{Code: CodeNoQuorum, Message: msg}
}

// partitioned finds the vantage points cut off from an active cluster a quorum sees up.
func partitioned(points []VantageView, active string, size int) []Finding {
	t := tallyOf(points, active)
	if len(t.up) < size {
		return nil
	}
	var out []Finding
	for _, v := range t.down {
		o := v.Clusters[active]
		out = append(out, Finding{Code: CodePartitionedFromPrimary, Cluster: active, Member: v.Member, Vantage: vantageOf(v),
			Message: fmt.Sprintf("%s at %s sees active %s down (%s) while %d of %d fresh vantage points see it up; a partition from the primary, not acted on alone",
				v.Member, vantageOf(v), active, describe(o), len(t.up), len(points))})
	}
	return out
}

// describe is an observation's result in a few words.
func describe(o health.Observation) string {
	switch {
	case o.Last != "" && o.Detail != "":
		return string(o.Last) + ": " + o.Detail
	case o.Detail != "":
		return o.Detail
	case o.Last != "":
		return string(o.Last)
	}
	return string(o.Verdict)
}
