// Package watch is esdr's eyes: it probes each cluster at its interval with one or more
// checks, applies Route 53-style thresholds to the results, and publishes a
// health.Observation per cluster for the decide step. It measures; it never judges
// whether to fail over.
package watch

import (
	"context"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/health"
)

// Result is what one check saw in one probe.
type Result struct {
	Kind    health.Kind
	Detail  string        // human explanation, e.g. "status yellow, 3 nodes (3 data)"
	Latency time.Duration // how long the check took
	Node    string        // the node that gave the deciding answer, if any
	// StallGrace, from a cluster check, is how long this cluster may take to re-elect a
	// master (derived from its fault-detection settings); zero when not known.
	StallGrace time.Duration
	// Nodes, from a cluster check, is each configured node's own answer in this probe.
	Nodes []NodeProbe
	// Master, from a cluster check, is the elected master's node ID most answering nodes
	// know; "" when none knows one.
	Master string
	// Misaimed, with Kind blind, says the check found that its node URLs do not reach the
	// configured cluster (cluster_stray.go). Every other check of the probe asks the same
	// URLs, so what they see is not the cluster either: a misaimed result wins.
	Misaimed bool
}

// NodeProbe is one node's part of a probe: how long the node took to give its own view
// (GET _cat/master?local, answered by that node alone), the round trip from esdr to it.
type NodeProbe struct {
	Node     string // host:port of the configured URL: bounded by the configuration
	Latency  time.Duration
	Answered bool // false when it failed or timed out: Latency is then the time lost
}

// Check probes a cluster once. It must honour ctx's deadline and never panic on what the
// cluster sends: garbage is a Result of kind bad_response. Each check kind lives in its
// own file (http.go, cluster.go) behind this one type, as blackbox_exporter's probers do.
type Check func(ctx context.Context) Result

// severity orders kinds from best to worst: healthy < degraded < stalled < blind < red <
// bad_response < timeout < no_quorum < unreachable. Across the checks of one probe the worst wins (every check must
// pass); across the nodes of one check the best wins (one answering node means the
// cluster is there). Unreachable is worst because it is the strongest sign that the whole
// cluster is gone; a timeout may be a hang or overload; a bad response means something
// answered.
func severity(k health.Kind) int {
	switch k {
	case health.KindHealthy:
		return 0
	case health.KindDegraded:
		return 1
	case health.KindStalled:
		return 2
	case health.KindBlind:
		return 3
	case health.KindRed:
		return 4
	case health.KindBadResponse:
		return 5
	case health.KindTimeout:
		return 6
	case health.KindNoQuorum:
		return 7
	case health.KindUnreachable:
		return 8
	}
	return 5 // an unknown kind is a bug in a check: treat it as a bad response
}

// Worse reports whether kind a is more severe than kind b.
func Worse(a, b health.Kind) bool { return severity(a) > severity(b) }

// combine merges the results of all checks of one probe: the worst kind wins, the
// latency is the longest, and the details are joined so the event log says everything.
func combine(rs []Result) Result {
	if len(rs) == 0 {
		return Result{Kind: health.KindBadResponse, Detail: "no checks"}
	}
	var out Result
	details := make([]string, 0, len(rs))
	misaimed := false
	for i, r := range rs {
		if r.Kind == "" {
			r.Kind = health.KindBadResponse
		}
		if r.Detail != "" {
			details = append(details, r.Detail)
		}
		switch {
		case misaimed:
		case r.Misaimed:
			misaimed = true
			out.Kind, out.Node, out.Misaimed = r.Kind, r.Node, true
		case i == 0 || Worse(r.Kind, out.Kind):
			out.Kind, out.Node = r.Kind, r.Node
		}
		out.Latency = max(out.Latency, r.Latency)
		out.StallGrace = max(out.StallGrace, r.StallGrace)
		out.Nodes = append(out.Nodes, r.Nodes...)
		if out.Master == "" {
			out.Master = r.Master
		}
	}
	out.Detail = strings.Join(details, "; ")
	return out
}
