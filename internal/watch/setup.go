package watch

import (
	"fmt"

	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/esclient"
)

// TargetsFrom turns each cluster's (merged) health configuration into probes: what
// `esdr run` watches.
func TargetsFrom(cfg *config.Config) ([]Target, error) {
	var out []Target
	claims := &Claims{}
	for _, cl := range cfg.Clusters {
		h := cfg.ClusterHealth(cl.Name)
		es, err := esclient.New(cl.Nodes, cl.ClientOptions(h.Timeout))
		if err != nil {
			return nil, fmt.Errorf("cluster %s: %w", cl.Name, err)
		}
		checks, err := ChecksFrom(cl, h, es, claims)
		if err != nil {
			return nil, err
		}
		out = append(out, Target{Cluster: cl.Name, Interval: h.Interval, Timeout: h.Timeout, Checks: checks,
			FailureThreshold: h.FailureThreshold, SuccessThreshold: h.SuccessThreshold})
	}
	return out, nil
}

// ChecksFrom builds one cluster's configured checks; es reaches its nodes (the cluster
// check's client), and claims is shared by the checks of every configured cluster. The
// Lambda builds the same checks with it.
func ChecksFrom(cl config.ClusterConfig, h config.HealthConfig, es *esclient.Client, claims *Claims) ([]Check, error) {
	var out []Check
	for i, ch := range h.Checks {
		var c Check
		var err error
		switch ch.Kind {
		case "cluster":
			spec := clusterSpec(ch)
			spec.Name, spec.Claims = cl.Name, claims
			c, err = NewClusterCheck(es, spec)
		case "http":
			c, err = NewHTTPCheck(cl.Nodes, HTTPSpec{Path: ch.Path, Match: ch.Match})
		default:
			err = fmt.Errorf("unknown check kind %q", ch.Kind)
		}
		if err != nil {
			return nil, fmt.Errorf("cluster %s: health.checks[%d]: %w", cl.Name, i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// clusterSpec maps a cluster check's configuration to its spec.
func clusterSpec(ch config.CheckConfig) ClusterSpec {
	spec := ClusterSpec{Accept: ch.Accept, MinNodes: ch.MinNodes, MinDataNodes: ch.MinDataNodes,
		RequireMaster: ch.RequireMaster, ElectionGrace: ch.ElectionGrace, MaxElectionGrace: ch.MaxElectionGrace}
	if ch.Canary != nil {
		spec.Canary = *ch.Canary
	}
	return spec
}
