package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/fleet"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/metrics"
	"github.com/esdr/esdr/internal/route/etcdkey"
	"github.com/esdr/esdr/internal/route/proxy"
	"github.com/esdr/esdr/internal/route/route53"
	"github.com/esdr/esdr/internal/state"
	"github.com/esdr/esdr/internal/watch"
)

// fleetDaemon is `esdr run` as one member of a fleet. Every member probes the clusters
// and publishes what it sees, follows the shared epoch and serves the proxy from it;
// the member that wins the election also decides and acts, on the combined views of
// every member, for as long as its etcd session lasts.
type fleetDaemon struct {
	cfg     *config.Config
	log     *slog.Logger
	reg     *prometheus.Registry
	m       *metrics.Metrics
	cli     *clientv3.Client
	store   *state.Etcd
	member  *fleet.Member
	watcher *watch.Watcher
	epoch   *fleet.EpochWatch
	admin   *admin.Server
	proxy   *proxy.Proxy
	report  *fleet.Reporter
	pub     *route53.Publisher // CloudWatch health, published by the leader only
	targets []act.Target
	closers []io.Closer
	nodes   map[string][]string
	first   *firstState // --bootstrap-active's state, stored by the first term that finds none

	mu     sync.Mutex
	policy decide.Policy
	term   *term // nil while not leading
}

// buildFleet creates every component of a fleet member, connects to etcd and binds the
// listeners, so that an unreachable etcd or a taken port is reported before anything runs.
func buildFleet(cfg *config.Config, log *slog.Logger) (*fleetDaemon, error) {
	f := cfg.Fleet
	d := &fleetDaemon{cfg: cfg, log: log, reg: prometheus.NewRegistry(), policy: cfg.Policy(), nodes: map[string][]string{}}
	d.reg.MustRegister(collectorsFor()...)
	d.m = metrics.New(d.reg)
	for _, c := range cfg.Clusters {
		d.nodes[c.Name] = c.Nodes
	}
	// The same dialer as the etcd target; Key names the record the store reads first.
	cli, err := etcdkey.Dial(etcdkey.Config{Endpoints: f.Etcd.Endpoints, Key: f.Etcd.Prefix + "record", Username: f.Etcd.Username,
		Password: f.Etcd.Password.Reveal(), CAFile: f.Etcd.CAFile, DialTimeout: f.Etcd.DialTimeout})
	if err != nil {
		return nil, fmt.Errorf("fleet: etcd: %w", err)
	}
	d.cli = cli
	if err := d.assemble(cfg, log); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

func (d *fleetDaemon) assemble(cfg *config.Config, log *slog.Logger) error {
	f := cfg.Fleet
	member, err := fleet.New(d.cli, fleet.Options{Name: f.Name, Vantage: f.Vantage, Prefix: f.Etcd.Prefix, TTL: f.SessionTTL,
		Admin: adminURL(cfg.Admin.Listen), Lead: d.lead, Registerer: d.reg})
	if err != nil {
		return err
	}
	d.member = member
	if d.report, err = fleet.NewReporter(d.reg); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.Etcd.DialTimeout+5*time.Second)
	defer cancel()
	if d.store, err = state.OpenEtcd(ctx, d.cli, state.EtcdOptions{Prefix: f.Etcd.Prefix, Guard: member}); err != nil {
		return fmt.Errorf("fleet: %w (is etcd at %v up?)", err, f.Etcd.Endpoints)
	}
	targets, err := watchTargets(cfg)
	if err != nil {
		return err
	}
	tgs, pub, closers, err := newTargets(cfg, log)
	if err != nil {
		return err
	}
	d.targets, d.closers, d.pub = tgs, closers, pub
	d.watcher, err = watch.New(targets, watch.Options{OnResult: func(cluster string, r watch.Result, obs health.Observation, _ bool) {
		d.m.ObserveProbe(cluster, r.Kind, r.Latency)
		d.m.SetObservation(obs)
		if t := d.current(); t != nil && r.Kind != health.KindUnreachable && r.Kind != health.KindTimeout {
			t.ex.Seen(cluster) // a deferred fence is applied as soon as the leader sees the cluster answer
		}
	}})
	if err != nil {
		return err
	}
	d.epoch = fleet.NewEpochWatch(d.cli, f.Etcd.Prefix, f.StaleAfter, d.nodes)
	if d.admin, err = admin.New(admin.Config{Listen: cfg.Admin.Listen, Token: cfg.Admin.Token.Reveal()}, fleetController{d}, d.reg, log); err != nil {
		return err
	}
	if err := d.admin.Listen(); err != nil {
		return err
	}
	if cfg.Proxy.Listen != "" {
		if d.proxy, err = newProxy(cfg, d.reg, d.epoch, d.watcher, log); err != nil {
			return err
		}
	}
	return nil
}

// run runs every component until ctx ends or one of them fails.
func (d *fleetDaemon) run(ctx context.Context) error {
	parts := map[string]func(context.Context) error{
		"watch":  d.watcher.Run,
		"epoch":  d.epoch.Run,
		"admin":  d.admin.Run,
		"member": d.member.Run,
		"report": func(ctx context.Context) error {
			return d.report.Run(ctx, d.member, d.epoch, func() []decide.Finding {
				if t := d.current(); t != nil {
					return t.quorum.Findings()
				}
				return nil
			})
		},
		"publish": func(ctx context.Context) error {
			d.member.PublishEach(ctx, d.watcher, time.Now)
			return nil
		},
	}
	if d.proxy != nil {
		parts["proxy"] = d.proxy.Serve
	}
	return runAll(ctx, parts)
}

// activeCluster is the active cluster of the epoch this member follows.
func (d *fleetDaemon) activeCluster() string {
	rec, _ := d.epoch.Record()
	return rec.State.Active
}

func (d *fleetDaemon) clusters() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.policy.Clusters
}

// setPolicy applies a reloaded policy now if leading, and to every later term.
func (d *fleetDaemon) setPolicy(p decide.Policy) {
	d.mu.Lock()
	d.policy = p
	t := d.term
	d.mu.Unlock()
	if t != nil {
		t.loop.SetPolicy(p)
	}
}

func (d *fleetDaemon) adminAddr() string { return d.admin.Addr() }

func (d *fleetDaemon) close() {
	for _, c := range d.closers {
		c.Close()
	}
	if d.store != nil {
		d.store.Close()
	}
	d.cli.Close()
}
