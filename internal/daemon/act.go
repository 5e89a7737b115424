package daemon

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/prometheus/client_golang/prometheus"
)

// executorOptions is the act step's configuration; each term adds its leadership.
func executorOptions(cfg *config.Config, targets []act.Target, reg prometheus.Registerer, log *slog.Logger) (act.Options, error) {
	opts := act.Options{
		Targets:       targets,
		Clusters:      map[string]act.Cluster{},
		RetryInterval: cfg.Act.RetryInterval,
		FenceTimeout:  cfg.Act.FenceTimeout,
		Retry: act.Retry{Attempts: cfg.Act.StepAttempts, Backoff: cfg.Act.BackoffInitial, MaxBackoff: cfg.Act.BackoffMax,
			MaxElapsed: cfg.Act.StepMaxDuration, AttemptTimeout: cfg.Act.StepTimeout},
		Registerer: reg,
		Log:        log.With("component", "act"),
	}
	if opts.RetryInterval == 0 {
		opts.RetryInterval = cfg.Health.Interval
	}
	for _, cl := range cfg.Clusters {
		c := act.Cluster{Nodes: cl.Nodes, NoFence: !cl.FenceEnabled()}
		if cl.FenceEnabled() {
			es, err := esclient.New(cl.Nodes, cl.ClientOptions(0))
			if err != nil {
				return act.Options{}, fmt.Errorf("cluster %s: %w", cl.Name, err)
			}
			c.Settings = es
		}
		opts.Clusters[cl.Name] = c
	}
	if h := cfg.Hooks.Pre; h != nil {
		opts.PreHook = &act.Hook{Command: h.Command, Timeout: h.Timeout, Env: h.Env, Redact: cfg.SecretValues()}
		opts.VetoHold = h.VetoHold
	}
	if w := cfg.Hooks.Webhook; w != nil {
		opts.Webhook = &act.Webhook{URL: w.URL.Reveal(), Timeout: w.Timeout, Header: http.Header{}}
		if w.Authorization.IsSet() {
			opts.Webhook.Header.Set("Authorization", w.Authorization.Reveal())
		}
	}
	return opts, nil
}
