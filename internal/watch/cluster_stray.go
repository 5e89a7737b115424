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

// A stray is a configured node URL that does not reach the configured cluster: it answers
// as something that is not Elasticsearch or OpenSearch (a 404 from a web server or from a
// reverse proxy routing by path, a redirect, another service's JSON), or as a node of
// another cluster (a typo pointing the primary's list at a standby node). What a stray
// says is about something else, so it counts neither way: the cluster is judged by its
// other nodes, and when every configured URL is a stray, esdr is not looking at the
// cluster at all, which is blind.

// healthAnswer is what asking the nodes for the cluster health gave.
type healthAnswer struct {
	h        *esclient.Health   // the accepted answer, nil when none
	rejected []*esclient.Health // answers from nodes of another cluster
	errs     []error            // each failed node's error, in order
}

// strays is the probe's strays, by URL, with what each answered instead.
type strays struct {
	ident identityJudgement
	byURL map[string]string
	total int // configured URLs
}

// straysOf finds the strays among this probe's answers and settles the pinned identity.
func (s *clusterState) straysOf(views []nodeView, ha healthAnswer, configured int) strays {
	out := strays{byURL: map[string]string{}, total: configured}
	out.ident = judgeIdentity(s.pin.get(), sightingsOf(views, ha), configured)
	s.pin.set(out.ident.Pin)
	for u, id := range out.ident.Foreign {
		out.byURL[u] = fmt.Sprintf("%s answers as cluster %s, not %s", u, id, out.ident.Pin)
	}
	for _, err := range ha.errs {
		if esclient.IsNotCluster(err) {
			out.byURL[nodeOf(err)] = err.Error()
		}
	}
	for _, v := range views {
		if _, seen := out.byURL[v.URL]; !seen && v.Err != nil && esclient.IsNotCluster(v.Err) {
			out.byURL[v.URL] = v.Err.Error()
		}
	}
	return out
}

// sightingsOf is which cluster each URL answered as: its identity (asked once per
// identityTTL), unless a cluster health answer from it names another cluster, which is
// fresher.
func sightingsOf(views []nodeView, ha healthAnswer) []sighting {
	byURL := map[string]clusterID{}
	for _, v := range views {
		if v.Cluster.known() {
			byURL[v.URL] = v.Cluster
		}
	}
	for _, h := range append(slices.Clone(ha.rejected), ha.h) {
		if h != nil && h.ClusterName != "" && byURL[h.Node].Name != h.ClusterName {
			byURL[h.Node] = clusterID{Name: h.ClusterName}
		}
	}
	var out []sighting
	for _, v := range views {
		if id, ok := byURL[v.URL]; ok {
			out = append(out, sighting{URL: v.URL, ID: id})
		}
	}
	return out
}

// accepts says whether a cluster health answer may count: it names the pinned cluster and
// comes from a URL not known to reach another.
func (s *clusterState) accepts(h *esclient.Health) bool {
	pin := s.pin.get()
	if !pin.known() {
		return true
	}
	known, _ := s.ids.get(h.Node, time.Now())
	return h.ClusterName == pin.Name && (!known.cluster.known() || known.cluster.same(pin))
}

// blind reports whether no configured URL is left to judge the cluster by.
func (st strays) blind() bool {
	return st.ident.Blind != "" || (st.total > 0 && len(st.byURL) >= st.total)
}

// result is the blind result of a probe that reached no node of the cluster. It is
// Misaimed: the other checks on these URLs measure something else too.
func (st strays) result() Result {
	detail := st.ident.Blind
	if detail == "" {
		detail = "no configured node reaches the cluster: " + st.list() +
			"; esdr asks /_cluster/health at the root of each URL (no path prefix); fix clusters[].nodes"
	}
	var node string
	for u := range st.byURL {
		if node == "" || u < node {
			node = u
		}
	}
	return Result{Kind: health.KindBlind, Detail: detail, Node: node, Misaimed: true}
}

// note is what a result's detail says about the strays of a probe judged without them.
func (st strays) note() string {
	if len(st.byURL) == 0 {
		return ""
	}
	return "; not counted: " + st.list() + "; fix clusters[].nodes"
}

func (st strays) list() string {
	var parts []string
	for _, why := range st.byURL {
		parts = append(parts, why)
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

// ours drops the strays' views.
func (st strays) ours(views []nodeView) []nodeView {
	return slices.DeleteFunc(slices.Clone(views), func(v nodeView) bool { _, stray := st.byURL[v.URL]; return stray })
}

// err joins the failures of the nodes that are not strays.
func (st strays) err(errs []error) error {
	var keep []error
	for _, e := range errs {
		if _, stray := st.byURL[nodeOf(e)]; !stray {
			keep = append(keep, e)
		}
	}
	return errors.Join(keep...)
}

// healthOfAny asks each node in turn, giving each an equal share of the remaining time,
// until one gives an answer accept takes.
func healthOfAny(ctx context.Context, c healthClient, accept func(*esclient.Health) bool) healthAnswer {
	nodes := c.Nodes()
	var out healthAnswer
	for i, n := range nodes {
		nctx, cancel := ctx, context.CancelFunc(func() {})
		if dl, ok := ctx.Deadline(); ok {
			share := time.Until(dl) / time.Duration(len(nodes)-i)
			nctx, cancel = context.WithTimeout(ctx, share)
		}
		h, err := c.HealthOf(nctx, n)
		cancel()
		switch {
		case err == nil && accept(h):
			out.h = h
			return out
		case err == nil:
			out.rejected = append(out.rejected, h)
		default:
			out.errs = append(out.errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return out
}
