package daemon

import (
	"context"
	"log/slog"
	"os"
	"reflect"
	"slices"

	"github.com/esdr/esdr/internal/config"
)

// ReloadOnHUP re-reads the configuration on SIGHUP and applies its safe parts: the
// failover policy and the log level; first, whatever the configuration holds, it reads
// the listeners' certificate and key files again. Clusters, probes, listeners (their
// addresses and TLS file paths) and the state path need a restart; a change to the
// cluster list is reported, not applied.
func (d *Daemon) ReloadOnHUP(ctx context.Context, hup <-chan os.Signal, path string, level *slog.LevelVar) {
	log := d.log
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		d.tls.reload()
		cfg, err := config.Load(path)
		if err != nil {
			log.Error("reload refused: invalid configuration; still running the previous one", "config", path, "err", err)
			continue
		}
		if got := cfg.Policy().Clusters; !slices.Equal(got, d.Clusters()) {
			log.Warn("reload: the cluster list changed; restart esdr to apply it", "clusters", got, "running", d.Clusters())
			continue
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
}
