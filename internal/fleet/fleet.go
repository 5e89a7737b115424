// Package fleet lets several esdr processes run as one: they elect one leader through
// etcd (who alone decides and acts), register themselves as live members, and publish
// what each of them observes of every cluster, so that the leader can weigh several
// vantage points before a failover.
//
// Liveness is an etcd lease (concurrency.Session): a member whose session ends stops
// leading at once, and its registration and observations vanish with the lease. The
// store's writes are fenced by the leader key's create revision (state.Guard), so a
// leader that has not yet noticed the loss of its session cannot write either; and a
// new leader acts on the clusters only once its predecessor must have noticed
// (Member.Acting waits out one session TTL from the election).
package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// DefaultTTL is the session TTL when Options.TTL is zero: how long a dead leader holds
// the leadership before another member takes over.
const DefaultTTL = 10 * time.Second

// DefaultTimeout bounds each request to etcd that is not a campaign.
const DefaultTimeout = 5 * time.Second

// ErrNoLeader is returned (wrapped) by Leader when no member leads.
var ErrNoLeader = errors.New("fleet: no leader")

// Options configures a Member.
type Options struct {
	// Name identifies the member in the fleet; unique, no '/'. Required.
	Name string
	// Vantage is where the member observes from (zone, site); empty means Name.
	Vantage string
	// Admin is the URL of the member's admin API, registered so that the others can
	// tell an operator where the leader takes commands (https:// when it serves TLS);
	// empty when it has none.
	Admin string
	// Proxy is the URL of the member's proxy (https:// when it serves TLS), registered so
	// that operators and clients can list where the fleet serves; empty when it has none.
	Proxy string
	// Prefix is the deployment's key prefix, for example "/esdr/prod/", shared with the
	// state store; it must start and end with '/'.
	Prefix string
	// TTL of the member's session (whole seconds, at least 1s); 0 means DefaultTTL.
	TTL time.Duration
	// Timeout bounds each request to etcd; 0 means DefaultTimeout.
	Timeout time.Duration
	// Lead is run, in its own goroutine, for every term this member leads; its ctx ends
	// the moment leadership is lost (session gone) or Run's ctx ends. When Lead returns
	// while still leading, the member resigns and campaigns again, unless Lead failed
	// with an error other than state.ErrNotLeader: that ends Run. nil means the member
	// only campaigns and reports.
	Lead func(ctx context.Context) error
	// Registerer receives the member's metrics; nil means none.
	Registerer prometheus.Registerer
}

func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Name == "" || strings.Contains(o.Name, "/"):
		return o, fmt.Errorf("fleet: name %q must be non-empty and without '/'", o.Name)
	case !strings.HasPrefix(o.Prefix, "/") || !strings.HasSuffix(o.Prefix, "/"):
		return o, fmt.Errorf("fleet: prefix %q must start and end with '/'", o.Prefix)
	case o.TTL != 0 && o.TTL < time.Second:
		return o, fmt.Errorf("fleet: ttl must be 0 (default %s) or at least 1s, got %s", DefaultTTL, o.TTL)
	case o.Timeout < 0:
		return o, fmt.Errorf("fleet: timeout must be 0 (default %s) or more, got %s", DefaultTimeout, o.Timeout)
	}
	if o.Vantage == "" {
		o.Vantage = o.Name
	}
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	return o, nil
}

// New returns a member of the fleet under opts.Prefix, talking to etcd through cli
// (which it does not own). Nothing happens until Run.
func New(cli *clientv3.Client, opts Options) (*Member, error) {
	if cli == nil {
		return nil, errors.New("fleet: no etcd client")
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	met, err := newMetrics(opts.Registerer, opts.Name)
	if err != nil {
		return nil, err
	}
	return &Member{cli: cli, opts: opts, changes: make(chan struct{}, 1), metrics: met}, nil
}

func (m *Member) key(parts ...string) string { return m.opts.Prefix + strings.Join(parts, "") }
