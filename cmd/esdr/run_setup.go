package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/control"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/route/proxy"
	"github.com/esdr/esdr/internal/watch"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

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

// newLogger builds the process logger. Level is a LevelVar so SIGHUP can change it.
func newLogger(c config.LogConfig, level *slog.LevelVar, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(c.Level))
	level.Set(l)
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// reloadOnHUP re-reads the configuration on SIGHUP and applies its safe parts: the
// failover policy and the log level. Clusters, probes, listeners and the state path need
// a restart; a change to them is reported, not applied.
func reloadOnHUP(ctx context.Context, hup <-chan os.Signal, path string, d service, level *slog.LevelVar, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		cfg, err := config.Load(path)
		if err != nil {
			log.Error("reload refused: invalid configuration; still running the previous one", "config", path, "err", err)
			continue
		}
		if got := cfg.Policy().Clusters; !sameClusters(got, d.clusters()) {
			log.Warn("reload: the cluster list changed; restart esdr to apply it", "clusters", got, "running", d.clusters())
			continue
		}
		d.setPolicy(cfg.Policy())
		var l slog.Level
		_ = l.UnmarshalText([]byte(cfg.Log.Level))
		level.Set(l)
		log.Info("reloaded", "config", path, "failover", cfg.Failover.Auto, "failback", cfg.Failover.Failback,
			"hold_down", cfg.Failover.HoldDown, "log_level", cfg.Log.Level)
	}
}

func sameClusters(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// epochSource tells the proxy the active cluster of the current epoch: the control loop
// on the embedded default, the fleet's epoch watch for a fleet member.
type epochSource interface {
	Endpoint(ctx context.Context) (control.Endpoint, error)
	EpochChanged() <-chan struct{}
}

// newProxy builds the proxy from the configuration and binds its listener.
func newProxy(cfg *config.Config, reg prometheus.Registerer, epochs epochSource, w *watch.Watcher, log *slog.Logger) (*proxy.Proxy, error) {
	return newProxyWrapped(cfg, reg, epochs, w, log, nil)
}

// newProxyWrapped is newProxy with wrap (mirror mode's write path) around its handler.
func newProxyWrapped(cfg *config.Config, reg prometheus.Registerer, epochs epochSource, w *watch.Watcher, log *slog.Logger,
	wrap func(http.Handler) http.Handler) (*proxy.Proxy, error) {
	x := cfg.Proxy
	pc := proxy.Config{Listen: x.Listen, FailoverWait: x.FailoverWait, MaxRetryBody: int64(x.MaxRetryBody),
		ReadHeaderTimeout: x.ReadHeaderTimeout, IdleTimeout: x.IdleTimeout, MaxHeaderBytes: x.MaxHeaderBytes,
		UpstreamTimeout: x.UpstreamTimeout, DialTimeout: x.DialTimeout, ShutdownTimeout: x.ShutdownTimeout,
		MaxIdlePerNode: x.MaxIdlePerNode, Clusters: map[string]proxy.Upstream{}, Wrap: wrap}
	for _, cl := range cfg.Clusters {
		up := proxy.Upstream{CAFile: cl.TLS.CAFile, InsecureSkipVerify: cl.TLS.InsecureSkipVerify}
		if x.ForwardCredentials {
			up.Auth = proxy.Credentials{Username: cl.Auth.Username, Password: cl.Auth.Password.Reveal(), APIKey: cl.Auth.APIKey.Reveal()}
		}
		pc.Clusters[cl.Name] = up
	}
	m, err := proxy.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	p, err := proxy.New(pc, epochs, w, m, log)
	if err != nil {
		return nil, err
	}
	if err := p.Listen(); err != nil {
		return nil, err
	}
	return p, nil
}

// collectorsFor are the runtime collectors every esdr exports.
func collectorsFor() []prometheus.Collector {
	return []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})}
}
