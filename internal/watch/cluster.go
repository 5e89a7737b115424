package watch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/health"
)

// ClusterSpec says what an Elasticsearch-aware check requires of a cluster. Start from
// DefaultClusterSpec: the zero value does not require a master and runs no canary.
type ClusterSpec struct {
	// Accept lists the statuses that pass; default green and yellow, since one unassigned
	// replica must not trigger a whole-cluster failover.
	Accept []string
	// MinNodes and MinDataNodes: fewer is red.
	MinNodes, MinDataNodes int
	// RequireMaster: a cluster without an elected master is red. When false it is only
	// degraded (answering, and the operator chose not to care).
	RequireMaster bool
	// Canary is the index each node is asked to search (preferring its own copy), as
	// evidence that reads are served; the check creates it when missing. "" runs none.
	Canary string
	// ElectionGrace is how long a stalled control plane may take to elect a master
	// before decide counts it as down; 0 derives it from the cluster's fault-detection
	// settings, capped at MaxElectionGrace.
	ElectionGrace, MaxElectionGrace time.Duration
	// Name is the configured cluster's name, and Claims the record shared by the checks of
	// every configured cluster: two of them reaching one real cluster are blind. A nil
	// Claims compares with no other cluster.
	Name   string
	Claims *Claims
}

// DefaultClusterSpec accepts green and yellow, requires an elected master and reads a
// canary index.
var DefaultClusterSpec = ClusterSpec{Accept: []string{"green", "yellow"}, RequireMaster: true,
	Canary: DefaultCanary, MaxElectionGrace: DefaultMaxElectionGrace}

// Defaults of the cluster check.
const (
	DefaultCanary           = ".esdr-canary"
	DefaultMaxElectionGrace = time.Minute
)

// healthClient is what the cluster check needs from esclient.Client.
type healthClient interface {
	Nodes() []string
	HealthOf(ctx context.Context, node string) (*esclient.Health, error)
	RedIndicesOf(ctx context.Context, node string, limit int) ([]string, int, error)
	viewClient
	NodesInfo(ctx context.Context) ([]esclient.Node, error)
	EnsureCanary(ctx context.Context, index string) error
	IndexExists(ctx context.Context, index string) bool
	FaultDetectionSettings(ctx context.Context) (esclient.FaultDetection, error)
}

// Validate rejects statuses other than green, yellow and red and negative minimums.
func (s ClusterSpec) Validate() error {
	for _, st := range s.Accept {
		if st != "green" && st != "yellow" && st != "red" {
			return fmt.Errorf("watch: cluster check accepts status %q: want green, yellow or red", st)
		}
	}
	if s.MinNodes < 0 || s.MinDataNodes < 0 {
		return errors.New("watch: cluster check minimum nodes must not be negative")
	}
	if s.ElectionGrace < 0 || s.MaxElectionGrace < 0 {
		return errors.New("watch: cluster check election grace must not be negative")
	}
	return nil
}

// NewClusterCheck returns a check that parses GET /_cluster/health (never a string
// match) and, in the same probe, asks every node for its own view (the master it knows)
// and a read of the canary index, so that it can tell a cluster that heals itself from
// one that is gone:
//
//   - healthy: green, every minimum met, and as many nodes as the most seen so far;
//   - degraded: an accepted status other than green, or fewer nodes than the most this
//     check has seen while still at or above the minimums (a node lost, cluster serving),
//     until it has been green at the smaller size for ShrinkAcceptedAfter;
//   - red: a status not accepted, below a minimum, or reads failing on every node;
//   - when the cluster health does not answer (a hung or missing master): blind, no_quorum,
//     stalled, or the failure's own kind, by judgeControlPlaneDown;
//   - a URL that does not reach the cluster (not Elasticsearch, or a node of another
//     cluster) is left out and named; when every URL is such a stray: blind
//     (cluster_stray.go).
//
// The cluster health is asked of the nodes in order, the first answer winning, each
// node with an equal share of the time left; the per-node views run concurrently, each
// with the whole deadline.
func NewClusterCheck(c healthClient, spec ClusterSpec) (Check, error) {
	if len(spec.Accept) == 0 {
		spec.Accept = DefaultClusterSpec.Accept
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	st := &clusterState{spec: spec}
	return func(ctx context.Context) Result {
		start := time.Now()
		var ha healthAnswer
		var views []nodeView
		var wg sync.WaitGroup
		wg.Go(func() { ha = healthOfAny(ctx, c, st.accepts) })
		wg.Go(func() { views = viewsOf(ctx, c, c.Nodes(), spec.Canary, &st.ids) })
		wg.Wait()
		s := st.straysOf(views, ha, len(c.Nodes()))
		if ha.h != nil && !st.accepts(ha.h) {
			// The first sightings just pinned the cluster, and the answer came from a
			// node of another: ask again, this time passing it by.
			ha = healthOfAny(ctx, c, st.accepts)
			s = st.straysOf(views, ha, len(c.Nodes()))
		}
		var r Result
		err := s.err(ha.errs)
		others := spec.Claims.claim(spec.Name, st.pin.get())
		switch {
		case s.blind() || (ha.h == nil && err == nil):
			r = s.result()
		case len(others) > 0:
			r = sharedResult(st.pin.get(), others)
		case ha.h == nil:
			st.vouch(views)
			r = judgeControlPlaneDown(err, s.ours(views), st.members(), spec.RequireMaster)
		default:
			var red redIndices
			if ha.h.Status == "red" {
				red = redIndicesOf(ctx, c, ha.h.Node)
			}
			st.vouch(views)
			ours := s.ours(views)
			r = dataPlane(classifyHealth(spec, ha.h, red, &st.size, start), ours)
			r = quorumStillThere(r, ours, st.members())
		}
		if !r.Misaimed {
			r.Detail += s.note()
		}
		r.StallGrace = st.grace()
		r.Latency = time.Since(start)
		r.Nodes, r.Master = nodeProbes(views), electedMaster(s.ours(views))
		if ha.h != nil && len(s.byURL) == 0 && len(others) == 0 {
			// Upkeep goes through the first node that answers, which may be a stray.
			st.upkeep(ctx, c, views, start)
		}
		return r
	}, nil
}

// classifyHealth maps one health answer to a Result; red says which indices make a red
// status (unknown when not asked or not answered).
func classifyHealth(spec ClusterSpec, h *esclient.Health, red redIndices, size *clusterSize, now time.Time) Result {
	seen := size.observe(h.NumberOfNodes, h.Status == "green", now)
	detail := fmt.Sprintf("status %s, %d nodes (%d data), %.1f%% shards active via %s",
		h.Status, h.NumberOfNodes, h.NumberOfDataNodes, h.ActiveShardsPercent, h.Node)
	r := Result{Kind: health.KindHealthy, Node: h.Node}
	var why []string
	switch {
	case h.Status == "red" && red.onlyCanary(spec.Canary) && slices.Contains(spec.Accept, "yellow"):
		// esdr's own index lost its only started copy with a node (it was just created,
		// or its replicas were still allocating): no user's data is unavailable, and
		// failing the cluster over for it would be esdr hurting users.
		r.Kind = health.KindDegraded
		why = append(why, "red only from esdr's canary index "+spec.Canary+", no users' index is red")
	case !slices.Contains(spec.Accept, h.Status):
		r.Kind = health.KindRed
		why = append(why, "status "+h.Status+" not accepted")
		if red.known && red.total > 0 {
			why = append(why, red.String())
		}
	case h.NumberOfNodes < spec.MinNodes || h.NumberOfDataNodes < spec.MinDataNodes:
		r.Kind = health.KindRed
		why = append(why, fmt.Sprintf("below minimum of %d nodes (%d data)", spec.MinNodes, spec.MinDataNodes))
	case h.Status != "green":
		r.Kind = health.KindDegraded
	case h.NumberOfNodes < seen:
		r.Kind = health.KindDegraded
		why = append(why, fmt.Sprintf("%d nodes seen before", seen))
	}
	if len(why) > 0 {
		detail += ": " + strings.Join(why, ", ")
	}
	r.Detail = detail
	return r
}

// dataPlane turns a passing health answer red when the canary read failed on every node
// that answered: the control plane is fine but users cannot read.
func dataPlane(r Result, views []nodeView) Result {
	tried, failed, refused := 0, 0, 0
	for _, v := range views {
		switch v.Canary {
		case canaryOK:
			tried++
		case canaryFailed:
			tried++
			failed++
		case canaryRefused:
			refused++
		}
	}
	if r.Kind.Passing() && tried > 0 && failed == tried {
		r.Kind = health.KindRed
		r.Detail += fmt.Sprintf("; reads fail on every node (%d canary searches)", tried)
	}
	if refused > 0 {
		r.Detail += fmt.Sprintf("; esdr's canary search was refused by %d node(s): grant esdr's user read on the canary index", refused)
	}
	return r
}

// nodeOf names the first node mentioned in an esclient error, for the Result.
func nodeOf(err error) string {
	var ne *esclient.NodeError
	if errors.As(err, &ne) {
		return ne.Node
	}
	return ""
}
