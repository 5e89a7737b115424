package drill

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/audit"
	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/esclient"
)

// drillAuditTimeout bounds each request of the drill's audit to a node, as esdr audit's
// default --timeout does.
const drillAuditTimeout = 10 * time.Second

// AcceptedCodes checks --accept-finding: each must be an audit code of severity error,
// the only ones that stop a drill. Naming a code that does not exist or cannot stop a
// drill is refused, so that a typo never reads as an acceptance.
func AcceptedCodes(names []string) ([]audit.Code, []string) {
	var codes []audit.Code
	var problems []string
	for _, n := range names {
		r, ok := audit.Catalogue[audit.Code(n)]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("--accept-finding %q: no such audit code; esdr audit --list-rules lists them", n))
		case r.Severity != audit.Error:
			problems = append(problems, fmt.Sprintf("--accept-finding %s: a %s, which never stops a drill; only error codes need accepting", n, r.Severity))
		default:
			codes = append(codes, audit.Code(n))
		}
	}
	return codes, problems
}

// Reach is how the drill reaches clusters directly, for its audit and for its
// index: with esdr's configuration (-c) as esdr reaches them (node URLs, credentials,
// TLS); without it, at the node URLs esdr's status reports and without credentials,
// which is enough for a test bed (a secured cluster then shows up in the audit as
// unreachable, and -c is the fix).
type Reach struct {
	Config *config.Config // nil without -c
}

// options returns the node URLs and client options for a cluster esdr reports.
func (c Reach) options(cs admin.ClusterStatus, timeout time.Duration) ([]string, esclient.Options, error) {
	if c.Config == nil {
		return cs.Nodes, esclient.Options{Timeout: timeout}, nil
	}
	i := slices.IndexFunc(c.Config.Clusters, func(cl config.ClusterConfig) bool { return cl.Name == cs.Name })
	if i < 0 {
		return nil, esclient.Options{}, fmt.Errorf("esdr reports cluster %q, which -c does not configure: give -c the configuration esdr runs with", cs.Name)
	}
	cl := c.Config.Clusters[i]
	return cl.Nodes, cl.ClientOptions(timeout), nil
}

// Audit runs esdr audit's rules on the drill's clusters: the active one as the primary
// and the target as the standby (live rules on both, then parity), or the active one
// alone when no standby is up.
func (c Reach) Audit(ctx context.Context, active, target admin.ClusterStatus) (*audit.Report, error) {
	opts := audit.Options{Env: os.LookupEnv, Now: time.Now()}
	t := func(cs admin.ClusterStatus) (*audit.Target, error) {
		nodes, o, err := c.options(cs, drillAuditTimeout)
		if err != nil {
			return nil, err
		}
		return &audit.Target{Name: cs.Name, URLs: nodes, Options: o}, nil
	}
	p, err := t(active)
	if err != nil {
		return nil, err
	}
	if target.Name == "" {
		opts.Cluster = p
		return audit.Run(ctx, opts), nil
	}
	s, err := t(target)
	if err != nil {
		return nil, err
	}
	opts.Primary, opts.Standby = p, s
	return audit.Run(ctx, opts), nil
}

// ES reaches a cluster's nodes, given as esdr's status lists them, to prepare the drill's
// index and verify its writes; with -c, with the credentials of the cluster configured
// with those nodes.
func (c Reach) ES(nodes []string) (*esclient.Client, error) {
	o := esclient.Options{Timeout: 10 * time.Second}
	if c.Config != nil {
		for _, cl := range c.Config.Clusters {
			if slices.Equal(cl.Nodes, nodes) {
				o = cl.ClientOptions(o.Timeout)
			}
		}
	}
	return esclient.New(nodes, o)
}
