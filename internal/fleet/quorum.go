package fleet

import (
	"context"
	"reflect"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
)

// QuorumObserver is the leader's watch step: instead of its own probes, it reads every
// live member's published view and combines them with decide.Combine, so a failover
// needs a quorum of fresh vantage points to agree. It has the Snapshot/Changes shape the
// control loop consumes, and is rebuilt for every term.
type QuorumObserver struct {
	m        *Member
	clusters []string
	quorum   decide.Quorum
	active   func() string
	now      func() time.Time
	changes  chan struct{}

	mu       sync.Mutex
	obs      map[string]health.Observation
	findings []decide.Finding
	views    []View
}

// NewQuorumObserver combines the fleet's views of clusters. active names the active
// cluster of the current epoch (partition findings are about it).
func (m *Member) NewQuorumObserver(clusters []string, q decide.Quorum, active func() string) *QuorumObserver {
	return &QuorumObserver{m: m, clusters: clusters, quorum: q, active: active, now: time.Now,
		changes: make(chan struct{}, 1), obs: map[string]health.Observation{}}
}

// Run recombines on every change of a published view and every recheck period (views
// go stale with time alone), until ctx ends. etcd errors are not fatal: the last
// combination stands and ages, and the views in it expire by MaxAge.
func (q *QuorumObserver) Run(ctx context.Context) error {
	every := min(max(q.quorum.MaxAge/4, 100*time.Millisecond), time.Second)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for ctx.Err() == nil {
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		wch := q.m.cli.Watch(wctx, q.m.key("observations/"), clientv3.WithPrefix())
		q.refresh(ctx)
	follow:
		for {
			select {
			case <-ctx.Done():
				break follow
			case resp, ok := <-wch:
				if !ok || resp.Err() != nil || resp.Canceled {
					break follow
				}
				q.refresh(ctx)
			case <-tick.C:
				q.refresh(ctx)
			}
		}
		cancel()
		select {
		case <-ctx.Done():
		case <-time.After(every):
		}
	}
	return nil
}

// refresh reads the views and recombines them. A failed read recombines the views
// already held, so that they age out rather than stand forever.
func (q *QuorumObserver) refresh(ctx context.Context) {
	views, err := q.m.Observations(ctx)
	q.mu.Lock()
	if err == nil {
		q.views = views
	} else {
		views = q.views
	}
	q.mu.Unlock()
	obs, findings := decide.Combine(views, q.clusters, q.active(), q.quorum, q.now())
	q.mu.Lock()
	changed := !reflect.DeepEqual(obs, q.obs) || !reflect.DeepEqual(findings, q.findings)
	q.obs, q.findings = obs, findings
	q.mu.Unlock()
	if changed {
		select {
		case q.changes <- struct{}{}:
		default:
		}
	}
}

// Snapshot is the combined observation of every cluster.
func (q *QuorumObserver) Snapshot() map[string]health.Observation {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make(map[string]health.Observation, len(q.obs))
	for k, v := range q.obs {
		out[k] = v
	}
	return out
}

// Changes signals (coalesced) each time the combination changes.
func (q *QuorumObserver) Changes() <-chan struct{} { return q.changes }

// Findings are what the combination noticed that is not a decision (a member
// partitioned from the primary, too few fresh vantage points).
func (q *QuorumObserver) Findings() []decide.Finding {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]decide.Finding(nil), q.findings...)
}

// Views are the members' views the last combination used.
func (q *QuorumObserver) Views() []View {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]View(nil), q.views...)
}
