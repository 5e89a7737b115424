package daemon

import (
	"context"
	"log/slog"
	"os"
	"reflect"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/esdr/esdr/internal/config"
)

// newReloadRefused counts SIGHUP reloads of the configuration that were refused. The
// listeners' certificate pairs are counted apart (esdr_tls_reload_refused_total): each
// part of a reload is applied or refused on its own, and an alert must tell which.
func newReloadRefused(reg prometheus.Registerer) (prometheus.Counter, error) {
	c := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "esdr_config_reload_refused_total",
		Help: "SIGHUP reloads of the configuration refused (invalid file, or a changed cluster list that needs a restart); the previous policy stays in force.",
	})
	if err := reg.Register(c); err != nil {
		return nil, err
	}
	return c, nil
}

// ReloadOnHUP handles each SIGHUP with reload until ctx ends.
func (d *Daemon) ReloadOnHUP(ctx context.Context, hup <-chan os.Signal, path string, level *slog.LevelVar) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		d.reload(path, level)
	}
}

// reload reads the listeners' certificate pairs again and re-reads the configuration at
// path. The two are independent: a pair caught mid-rotation is refused without touching
// the policy, and an invalid file is refused without touching the pairs.
func (d *Daemon) reload(path string, level *slog.LevelVar) {
	d.tls.reload()
	d.reloadConfig(path, level)
}

// reloadConfig applies the configuration's safe parts: the failover policy and the log
// level. Clusters, probes, listeners (their addresses and TLS file paths) and the state
// path need a restart; a change to the cluster list is reported and refused. The file is
// loaded without reading the certificate files it names (config.LoadForReload): none of
// them is applied here.
func (d *Daemon) reloadConfig(path string, level *slog.LevelVar) {
	log := d.log
	cfg, err := config.LoadForReload(path)
	if err != nil {
		d.reloadRefused.Inc()
		log.Error("reload refused: invalid configuration; still running the previous one", "config", path, "err", err)
		return
	}
	if got := cfg.Policy().Clusters; !slices.Equal(got, d.Clusters()) {
		d.reloadRefused.Inc()
		log.Warn("reload: the cluster list changed; restart esdr to apply it", "clusters", got, "running", d.Clusters())
		return
	}
	// Only the policy and the log level are reloaded; say so of what an operator fixing
	// a stuck plan is likely to have changed (docs/operations.md, "Stuck plan").
	for what, changed := range map[string]bool{
		"targets": !reflect.DeepEqual(cfg.Targets, d.cfg.Targets), "aws": !reflect.DeepEqual(cfg.AWS, d.cfg.AWS),
		"hooks": !reflect.DeepEqual(cfg.Hooks, d.cfg.Hooks), "act": !reflect.DeepEqual(cfg.Act, d.cfg.Act),
	} {
		if changed {
			log.Warn("reload: the "+what+" block changed; it is not reloaded, restart esdr to apply it", "config", path)
		}
	}
	if !reflect.DeepEqual(cfg.Admin.TLS, d.cfg.Admin.TLS) || !reflect.DeepEqual(cfg.Proxy.TLS, d.cfg.Proxy.TLS) {
		log.Warn("reload: admin.tls or proxy.tls changed; the certificate files named at start were read again, restart esdr to apply the new settings")
	}
	d.SetPolicy(cfg.Policy())
	var l slog.Level
	_ = l.UnmarshalText([]byte(cfg.Log.Level))
	level.Set(l)
	log.Info("reloaded", "config", path, "failover", cfg.Failover.Auto, "failback", cfg.Failover.Failback,
		"hold_down", cfg.Failover.HoldDown, "log_level", cfg.Log.Level)
}

// RegisterOwnMetrics registers, on reg, the metric families the daemon itself exports
// (configuration reloads, listener certificates) as a running daemon does: for checks
// that every series deploy/ uses exists.
func RegisterOwnMetrics(reg prometheus.Registerer) error {
	if _, err := newTLSListeners(reg, slog.New(slog.DiscardHandler)); err != nil {
		return err
	}
	_, err := newReloadRefused(reg)
	return err
}
