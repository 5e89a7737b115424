package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/state"
	"github.com/prometheus/client_golang/prometheus"
)

// actStore is the part of a state store the act step journals in; *state.File and
// *state.Etcd have it.
type actStore interface {
	Load(ctx context.Context) (state.Record, error)
	Get(ctx context.Context, bucket, key string) ([]byte, bool, error)
	Put(ctx context.Context, bucket, key string, val []byte) error
	Delete(ctx context.Context, bucket, key string) error
	Append(ctx context.Context, events ...state.Event) ([]state.Event, error)
}

// newExecutor builds the act step: how each cluster is fenced, which traffic targets
// are switched, the hooks, and the retry bounds.
func newExecutor(cfg *config.Config, st actStore, targets []act.Target, reg prometheus.Registerer, log *slog.Logger) (*act.Executor, error) {
	opts, err := executorOptions(cfg, targets, reg, log)
	if err != nil {
		return nil, err
	}
	return act.New(st, opts)
}

// executorOptions is the act step's configuration; a fleet member adds its leadership.
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
		opts.PreHook = &act.Hook{Command: h.Command, Timeout: h.Timeout}
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
