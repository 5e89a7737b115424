package watch

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"time"

	"github.com/esdr/esdr/internal/esclient"
)

// nodeView is what one node said about itself in one probe, from its own view: whether
// it answered at all, which master it knows, whether it served the read canary.
type nodeView struct {
	URL      string
	Answered bool      // its local view came back and made sense
	Master   string    // the elected master's ID it knows, "" for none
	ID       string    // its own node ID, when known (from an earlier answer)
	Cluster  clusterID // the cluster it says it belongs to, when known (same age as ID)
	Canary   canaryResult
	Err      error         // why the local view failed, when it did
	Latency  time.Duration // how long its local view took to answer (or to fail)
}

type canaryResult int

const (
	canaryNotRun  canaryResult = iota // the node did not answer, or no canary is configured
	canaryOK                          // the search was served
	canaryMissing                     // the canary index does not exist: nothing learned
	canaryFailed                      // the search failed or timed out: reads are not served
	canaryRefused                     // esdr may not read the canary (401/403): nothing learned
)

// viewClient is what the per-node views need from esclient.Client.
type viewClient interface {
	MasterOf(ctx context.Context, node string) (string, error)
	LocalNodeOf(ctx context.Context, node string) (*esclient.LocalNode, error)
	InfoOf(ctx context.Context, node string) (*esclient.Info, error)
	CanaryOf(ctx context.Context, node, index string) error
}

// identityTTL is how long a node's ID and roles are trusted before they are asked again
// (a node whose data directory was replaced comes back with a new ID).
const identityTTL = time.Minute

// identities remembers who answers at each configured URL. Safe for concurrent use.
type identities struct {
	mu    sync.Mutex
	byURL map[string]identity
}

// identity is who answered at a URL: the node, and the cluster it belongs to.
type identity struct {
	node    *esclient.LocalNode
	cluster clusterID
	at      time.Time
}

func (ids *identities) get(u string, now time.Time) (identity, bool) {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	id, ok := ids.byURL[u]
	return id, ok && now.Sub(id.at) < identityTTL
}

func (ids *identities) put(u string, id identity) {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	if ids.byURL == nil {
		ids.byURL = map[string]identity{}
	}
	ids.byURL[u] = id
}

// viewsOf asks every node concurrently, each with the whole probe deadline: a hung node
// must not shorten the others' time, and the quorum needs every node's answer or silence.
func viewsOf(ctx context.Context, c viewClient, nodes []string, canary string, ids *identities) []nodeView {
	out := make([]nodeView, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() { out[i] = viewOf(ctx, c, n, canary, ids) })
	}
	wg.Wait()
	return out
}

func viewOf(ctx context.Context, c viewClient, node, canary string, ids *identities) nodeView {
	v := nodeView{URL: node}
	var canaryErr error
	var wg sync.WaitGroup
	if canary != "" {
		wg.Go(func() { canaryErr = c.CanaryOf(ctx, node, canary) })
	}
	start := time.Now()
	master, err := c.MasterOf(ctx, node)
	v.Latency = time.Since(start)
	if known, fresh := ids.get(node, time.Now()); known.node != nil {
		v.ID, v.Cluster = known.node.ID, known.cluster
		if !fresh && err == nil {
			refreshIdentity(ctx, c, node, ids)
		}
	} else if err == nil {
		if n, ok := refreshIdentity(ctx, c, node, ids); ok {
			v.ID, v.Cluster = n.node.ID, n.cluster
		}
	}
	wg.Wait()
	v.Master, v.Err = master, err
	v.Answered = err == nil
	switch {
	case canary == "" || !v.Answered:
	case canaryErr == nil:
		v.Canary = canaryOK
	case errors.Is(canaryErr, esclient.ErrNoCanary):
		v.Canary = canaryMissing
	case esclient.IsBlind(canaryErr):
		// esdr's own access, not the users' reads: unknown is not down.
		v.Canary = canaryRefused
	default:
		v.Canary = canaryFailed
	}
	return v
}

// refreshIdentity asks node who it is and which cluster it belongs to (two small reads
// answered by the node alone, bounded like every other). A node that says who it is but
// not its cluster keeps its cluster unknown: it then counts as the configured cluster's.
func refreshIdentity(ctx context.Context, c viewClient, node string, ids *identities) (identity, bool) {
	n, err := c.LocalNodeOf(ctx, node)
	if err != nil {
		return identity{}, false
	}
	id := identity{node: n, at: time.Now()}
	if info, err := c.InfoOf(ctx, node); err == nil {
		id.cluster = clusterIDOf(info)
	}
	ids.put(node, id)
	return id, true
}

// nodeProbes is what each node's own view says about the path from esdr to it.
func nodeProbes(views []nodeView) []NodeProbe {
	out := make([]NodeProbe, len(views))
	for i, v := range views {
		out[i] = NodeProbe{Node: hostPort(v.URL), Latency: v.Latency, Answered: v.Answered}
	}
	return out
}

// electedMaster is the master ID most answering nodes know (the lowest ID on a tie, so
// that a split view does not flap), "" when none knows one.
func electedMaster(views []nodeView) string {
	votes := map[string]int{}
	best := ""
	for _, v := range views {
		if v.Answered && v.Master != "" {
			votes[v.Master]++
		}
	}
	for id, n := range votes {
		if best == "" || n > votes[best] || (n == votes[best] && id < best) {
			best = id
		}
	}
	return best
}

// hostPort is a node URL's host:port, to match it with a node's http.publish_address.
func hostPort(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
