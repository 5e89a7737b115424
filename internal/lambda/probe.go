package lambda

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/watch"
)

// prober runs each cluster's configured checks once, from wherever the function runs
// (inside the VPC, with the credentials Route 53's checkers cannot send).
type prober struct {
	checks  map[string][]watch.Check
	timeout map[string]time.Duration
}

// newProber builds the same checks `esdr run` builds from the health configuration.
// clients are the clusters' esclient clients, shared with fencing.
func newProber(cfg *config.Config, clients map[string]*esclient.Client) (*prober, error) {
	p := &prober{checks: map[string][]watch.Check{}, timeout: map[string]time.Duration{}}
	claims := &watch.Claims{}
	for _, cl := range cfg.Clusters {
		h := cfg.ClusterHealth(cl.Name)
		p.timeout[cl.Name] = h.Timeout
		checks, err := watch.ChecksFrom(cl, h, clients[cl.Name], claims)
		if err != nil {
			return nil, fmt.Errorf("lambda: %w", err)
		}
		p.checks[cl.Name] = checks
	}
	return p, nil
}

// probeAll probes every cluster once, in parallel, each within its configured timeout.
// The alarm already applied Route 53's thresholds, so one probe is a confirmation, not a
// verdict of its own: a failing probe is Down, a passing one Up, a blind one Blind.
func (p *prober) probeAll(ctx context.Context, now time.Time) map[string]health.Observation {
	out := map[string]health.Observation{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, checks := range p.checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, p.timeout[name])
			defer cancel()
			r := watch.Result{Kind: health.KindHealthy, Detail: "no checks configured"}
			for _, c := range checks {
				if r = c(ctx); !r.Kind.Passing() {
					break
				}
			}
			ob := health.Observation{Cluster: name, Verdict: health.VerdictUp, Last: r.Kind, Detail: r.Detail, At: now,
				LatencySeconds: r.Latency.Seconds(), ConsecutiveSuccesses: 1}
			switch {
			case r.Kind.Blind():
				// esdr cannot see the cluster from here: neither up nor down.
				ob.Verdict, ob.ConsecutiveSuccesses = health.VerdictBlind, 0
			case !r.Kind.Passing():
				ob.Verdict, ob.ConsecutiveSuccesses, ob.ConsecutiveFailures = health.VerdictDown, 0, 1
			}
			mu.Lock()
			out[name] = ob
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}
