package watch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/health"
)

// ClusterSpec says what an Elasticsearch-aware check requires of a cluster. Start from
// DefaultClusterSpec: the zero value does not require a master.
type ClusterSpec struct {
	// Accept lists the statuses that pass; default green and yellow, since one unassigned
	// replica must not trigger a whole-cluster failover.
	Accept []string
	// MinNodes and MinDataNodes: fewer is red.
	MinNodes, MinDataNodes int
	// RequireMaster: a cluster without an elected master is red. When false it is only
	// degraded (answering, and the operator chose not to care).
	RequireMaster bool
}

// DefaultClusterSpec accepts green and yellow and requires an elected master.
var DefaultClusterSpec = ClusterSpec{Accept: []string{"green", "yellow"}, RequireMaster: true}

// healthClient is what the cluster check needs from esclient.Client.
type healthClient interface {
	Nodes() []string
	HealthOf(ctx context.Context, node string) (*esclient.Health, error)
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
	return nil
}

// NewClusterCheck returns a check that parses GET /_cluster/health (never a string
// match) and classifies the cluster:
//
//   - healthy: green, every minimum met, and as many nodes as the most seen so far;
//   - degraded: an accepted status other than green, or fewer nodes than the most this
//     check has seen while still at or above the minimums (a node lost, cluster serving),
//     until it has been green at the smaller size for ShrinkAcceptedAfter;
//   - red: a status not accepted, below a minimum, or no elected master (HTTP 503
//     master_not_discovered_exception: the cluster answers but cannot serve);
//   - unreachable, timeout, bad_response: from esclient.Classify over all nodes.
//
// Nodes are asked in order and the first answer wins, so one dead node is not a dead
// cluster. Each node gets an equal share of the time left, so one hung node (a paused
// JVM) cannot use up the whole deadline before the others are asked.
func NewClusterCheck(c healthClient, spec ClusterSpec) (Check, error) {
	if len(spec.Accept) == 0 {
		spec.Accept = DefaultClusterSpec.Accept
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	var size clusterSize
	return func(ctx context.Context) Result {
		start := time.Now()
		h, err := healthOfAny(ctx, c)
		r := classifyHealth(spec, h, err, &size, start)
		r.Latency = time.Since(start)
		return r
	}, nil
}

// healthOfAny asks each node in turn, giving each an equal share of the remaining time.
func healthOfAny(ctx context.Context, c healthClient) (*esclient.Health, error) {
	nodes := c.Nodes()
	var errs []error
	for i, n := range nodes {
		nctx, cancel := ctx, context.CancelFunc(func() {})
		if dl, ok := ctx.Deadline(); ok {
			share := time.Until(dl) / time.Duration(len(nodes)-i)
			nctx, cancel = context.WithTimeout(ctx, share)
		}
		h, err := c.HealthOf(nctx, n)
		cancel()
		if err == nil {
			return h, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// classifyHealth maps one health answer (or the error of all nodes) to a Result.
func classifyHealth(spec ClusterSpec, h *esclient.Health, err error, size *clusterSize, now time.Time) Result {
	if err != nil {
		if esclient.IsNoMaster(err) {
			k := health.KindRed
			if !spec.RequireMaster {
				k = health.KindDegraded
			}
			return Result{Kind: k, Detail: "no elected master: " + err.Error(), Node: nodeOf(err)}
		}
		return Result{Kind: esclient.Classify(err), Detail: err.Error(), Node: nodeOf(err)}
	}
	seen := size.observe(h.NumberOfNodes, h.Status == "green", now)
	detail := fmt.Sprintf("status %s, %d nodes (%d data), %.1f%% shards active via %s",
		h.Status, h.NumberOfNodes, h.NumberOfDataNodes, h.ActiveShardsPercent, h.Node)
	r := Result{Kind: health.KindHealthy, Node: h.Node}
	var why []string
	switch {
	case !slices.Contains(spec.Accept, h.Status):
		r.Kind = health.KindRed
		why = append(why, "status "+h.Status+" not accepted")
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

// nodeOf names the first node mentioned in an esclient error, for the Result.
func nodeOf(err error) string {
	var ne *esclient.NodeError
	if errors.As(err, &ne) {
		return ne.Node
	}
	return ""
}
