package daemon

import (
	"fmt"

	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/metrics"
	"github.com/esdr/esdr/internal/watch"
)

// newWatcher builds the watch step from each cluster's (merged) health configuration.
// Every result is exported as metrics; seen is told of each cluster found answering.
func newWatcher(cfg *config.Config, m *metrics.Metrics, seen func(cluster string)) (*watch.Watcher, error) {
	targets, err := watchTargets(cfg)
	if err != nil {
		return nil, err
	}
	return watch.New(targets, watch.Options{OnResult: func(cluster string, r watch.Result, obs health.Observation, _ bool) {
		m.ObserveProbe(cluster, r.Kind, r.Latency)
		m.SetObservation(obs)
		if r.Kind != health.KindUnreachable && r.Kind != health.KindTimeout {
			seen(cluster)
		}
	}})
}

// watchTargets turns each cluster's (merged) health configuration into probes.
func watchTargets(cfg *config.Config) ([]watch.Target, error) {
	var out []watch.Target
	for _, cl := range cfg.Clusters {
		h := cfg.ClusterHealth(cl.Name)
		es, err := esclient.New(cl.Nodes, cl.ClientOptions(h.Timeout))
		if err != nil {
			return nil, fmt.Errorf("cluster %s: %w", cl.Name, err)
		}
		t := watch.Target{Cluster: cl.Name, Interval: h.Interval, Timeout: h.Timeout,
			FailureThreshold: h.FailureThreshold, SuccessThreshold: h.SuccessThreshold}
		for i, ch := range h.Checks {
			var c watch.Check
			switch ch.Kind {
			case "cluster":
				c, err = watch.NewClusterCheck(es, clusterSpec(ch))
			case "http":
				c, err = watch.NewHTTPCheck(cl.Nodes, watch.HTTPSpec{Path: ch.Path, Match: ch.Match})
			default:
				err = fmt.Errorf("unknown check kind %q", ch.Kind)
			}
			if err != nil {
				return nil, fmt.Errorf("cluster %s: health.checks[%d]: %w", cl.Name, i, err)
			}
			t.Checks = append(t.Checks, c)
		}
		out = append(out, t)
	}
	return out, nil
}

// clusterSpec maps a cluster check's configuration to the watch step's spec.
func clusterSpec(ch config.CheckConfig) watch.ClusterSpec {
	spec := watch.ClusterSpec{Accept: ch.Accept, MinNodes: ch.MinNodes, MinDataNodes: ch.MinDataNodes,
		RequireMaster: ch.RequireMaster, ElectionGrace: ch.ElectionGrace, MaxElectionGrace: ch.MaxElectionGrace}
	if ch.Canary != nil {
		spec.Canary = *ch.Canary
	}
	return spec
}
