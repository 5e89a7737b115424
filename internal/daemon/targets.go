package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/route/elb"
	"github.com/esdr/esdr/internal/route/etcdkey"
	"github.com/esdr/esdr/internal/route/haproxy"
	"github.com/esdr/esdr/internal/route/rfc2136"
	"github.com/esdr/esdr/internal/route/route53"
)

// newTargets builds every configured traffic target, in the order plans switch them,
// and the CloudWatch health publisher when configured. The returned closers release
// their connections (etcd clients) when esdr stops.
func newTargets(cfg *config.Config, log *slog.Logger) ([]act.Target, *route53.Publisher, []io.Closer, error) {
	clusters := cfg.Policy().Clusters
	var out []act.Target
	var closers []io.Closer
	var pub *route53.Publisher
	fail := func(err error) ([]act.Target, *route53.Publisher, []io.Closer, error) {
		for _, c := range closers {
			c.Close()
		}
		return nil, nil, nil, err
	}
	if len(cfg.Targets.Route53) > 0 || len(cfg.Targets.ELB) > 0 || cfg.PublishHealth.CloudWatch {
		a := cfg.AWS
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		awsCfg, err := route53.LoadAWS(ctx, route53.AWSConfig{Region: a.Region, Profile: a.Profile})
		cancel()
		if err != nil {
			return fail(fmt.Errorf("aws: %w", err))
		}
		r53, cw := route53.NewClients(awsCfg, route53.AWSConfig{Route53Endpoint: a.Route53Endpoint,
			CloudWatchEndpoint: a.CloudWatchEndpoint, CloudWatchJSON: a.CloudWatchJSON})
		if cfg.PublishHealth.CloudWatch {
			pub = route53.NewPublisher(cw, nil)
		}
		for i, t := range cfg.Targets.Route53 {
			var tg act.Target
			switch t.Mode {
			case "record":
				tg, err = route53.NewRecord(r53, t.Record(), clusters)
			default:
				tg, err = route53.NewFailover(r53, t.Failover(), clusters, func(ds []route53.Drift) {
					for _, d := range ds {
						log.Warn("route53 drift repaired", "target", i, "drift", fmt.Sprint(d))
					}
				})
			}
			if err != nil {
				return fail(fmt.Errorf("targets.route53[%d]: %w", i, err))
			}
			out = append(out, tg)
		}
		for i, t := range cfg.Targets.ELB {
			c := t.Route()
			tg, err := elb.New(elb.NewClient(awsCfg, c.Region(), a.ELBEndpoint), c, clusters)
			if err != nil {
				return fail(fmt.Errorf("targets.elb[%d]: %w", i, err))
			}
			out = append(out, tg)
		}
	}
	for i, t := range cfg.Targets.RFC2136 {
		tg, err := rfc2136.New(t.Route(), clusters)
		if err != nil {
			return fail(fmt.Errorf("targets.rfc2136[%d]: %w", i, err))
		}
		out = append(out, tg)
	}
	for i, t := range cfg.Targets.Etcd {
		tg, cli, err := etcdkey.Open(t.Route(), nil)
		if err != nil {
			return fail(fmt.Errorf("targets.etcd[%d]: %w", i, err))
		}
		closers = append(closers, cli)
		out = append(out, tg)
	}
	for i, t := range cfg.Targets.HAProxy {
		tg, err := haproxy.New(t.Route(), clusters)
		if err != nil {
			return fail(fmt.Errorf("targets.haproxy[%d]: %w", i, err))
		}
		out = append(out, tg)
	}
	return out, pub, closers, nil
}

// snapshotter is where verdicts come from: the watcher, or a fleet leader's combined views.
type snapshotter interface {
	Snapshot() map[string]health.Observation
}

// publishHealth sends the watch step's verdicts to CloudWatch every interval until ctx
// ends. A failed publish is logged, never fatal: the alarm sees missing data and the
// Route 53 health check's insufficient-data rule decides.
func publishHealth(ctx context.Context, pub *route53.Publisher, w snapshotter, every time.Duration, log *slog.Logger) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		healthy := map[string]bool{}
		for name, o := range w.Snapshot() {
			healthy[name] = o.Up()
		}
		pctx, cancel := context.WithTimeout(ctx, every)
		if err := pub.Publish(pctx, healthy); err != nil && ctx.Err() == nil {
			log.Warn("publish health to CloudWatch failed; retrying next interval", "err", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
