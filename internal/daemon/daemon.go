// Package daemon builds and runs `esdr run` from a validated configuration: the watch
// step, the admin API, the proxy, mirror mode and snapshot sync, and — for each term of
// leadership — the control loop and the act step.
//
// There is one assembly. The embedded default is a fleet of one: what differs from a
// fleet member is three inputs (inputs.go) — a leadership (always leading, or an etcd
// election), a store (a local file, or etcd) and an epoch follower (the file's commits,
// or an etcd watch). Everything else is built and run the same way.
package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/epoch"
	"github.com/esdr/esdr/internal/fleet"
	"github.com/esdr/esdr/internal/metrics"
	"github.com/esdr/esdr/internal/route/proxy"
	"github.com/esdr/esdr/internal/route/route53"
	"github.com/esdr/esdr/internal/watch"
)

// Daemon is `esdr run` once built. Create it with New, optionally Bootstrap it, then Run.
type Daemon struct {
	cfg   *config.Config
	log   *slog.Logger
	reg   *prometheus.Registry
	m     *metrics.Metrics
	nodes map[string][]string

	inputs
	actOpts act.Options // the act step's options; each term adds its leadership
	watcher *watch.Watcher
	admin   *admin.Server
	proxy   *proxy.Proxy       // nil without proxy.listen
	tls     *tlsListeners      // the listeners serving TLS, reloaded on SIGHUP and file changes
	mirror  *mirrorSetup       // nil unless mirror mode is on
	snap    *snapshotSetup     // nil unless snapshot sync is on
	pub     *route53.Publisher // CloudWatch health, published by the leading term
	targets []act.Target
	closers []io.Closer
	first   *firstState // --bootstrap-active's state, stored by the first term that finds none

	reloadRefused prometheus.Counter // SIGHUP reloads of the configuration refused

	mu       sync.Mutex
	policy   decide.Policy
	term     *term        // nil while not leading
	termMove epoch.Signal // fired whenever term changes
}

// New creates every component and binds the listeners, so that a taken port, a locked
// state file or an unreachable etcd is reported before anything runs.
func New(cfg *config.Config, log *slog.Logger) (*Daemon, error) {
	d := &Daemon{cfg: cfg, log: log, reg: prometheus.NewRegistry(), policy: cfg.Policy(), nodes: map[string][]string{}}
	d.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d.m = metrics.New(d.reg)
	for _, c := range cfg.Clusters {
		d.nodes[c.Name] = c.Nodes
	}
	var err error
	if cfg.Fleet != nil {
		d.inputs, err = joinFleet(cfg, d.lead, d.reg)
	} else {
		d.inputs, err = alone(cfg, d.lead)
	}
	if err != nil {
		return nil, err
	}
	d.closers = append(d.closers, d.inputs.closers...)
	if err := d.assemble(); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// assemble builds the components every mode has, on the inputs.
func (d *Daemon) assemble() error {
	cfg := d.cfg
	var err error
	if d.watcher, err = newWatcher(cfg, d.m, d.log, d.seen); err != nil {
		return err
	}
	tgs, pub, closers, err := newTargets(cfg, d.log)
	if err != nil {
		return err
	}
	d.targets, d.pub, d.closers = tgs, pub, append(d.closers, closers...)
	if d.actOpts, err = executorOptions(cfg, tgs, d.reg, d.log); err != nil {
		return err
	}
	var epochs epoch.Source = d.epochs
	if cfg.Mirror.On() {
		var peers *fleet.MirrorPeers // the other members' journals, in a fleet
		if d.member != nil {
			peers = d.member.NewMirrorPeers()
		}
		if d.mirror, err = openMirror(cfg, d.epochs, peers, d.reg, d.log); err != nil {
			return err
		}
		d.closers = append(d.closers, d.mirror)
		epochs = d.mirror.m.Gate(d.epochs)
	}
	if cfg.SnapshotSync.On() {
		if d.snap, err = openSnapshot(cfg, d.reg, d.log); err != nil {
			return err
		}
	}
	if d.tls, err = newTLSListeners(d.reg, d.log); err != nil {
		return err
	}
	if d.reloadRefused, err = newReloadRefused(d.reg); err != nil {
		return err
	}
	ac := admin.Config{Listen: cfg.Admin.Listen, Token: cfg.Admin.Token.Reveal(), ReadToken: cfg.Admin.ReadToken.Reveal(), AllowedHosts: cfg.Admin.AllowedHosts,
		NoMetrics: !cfg.Metrics.Enabled}
	if ac.TLS, err = d.tls.add("admin", cfg.Admin.TLS); err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	if d.admin, err = admin.New(ac, controller{d}, d.reg, d.log); err != nil {
		return err
	}
	if err := d.admin.Listen(); err != nil {
		return err
	}
	if cfg.Proxy.Listen != "" {
		var wrap = d.mirror.wrap()
		ptls, err := d.tls.add("proxy", cfg.Proxy.TLS)
		if err != nil {
			return fmt.Errorf("proxy: %w", err)
		}
		if d.proxy, err = newProxy(cfg, d.reg, epochs, d.watcher, d.log, wrap, ptls); err != nil {
			return err
		}
	}
	return nil
}

// Run runs every component until ctx ends or one of them fails; the others are then
// stopped and waited for.
func (d *Daemon) Run(ctx context.Context) error {
	parts := map[string]func(context.Context) error{
		"watch": d.watcher.Run,
		"epoch": d.epochs.Run,
		"admin": d.admin.Run,
		"lead":  d.leadership.Run,
	}
	for name, run := range d.inputs.parts(d) {
		parts[name] = run
	}
	if d.proxy != nil {
		parts["proxy"] = d.proxy.Serve
	}
	if len(d.tls.list) > 0 {
		parts["tls"] = d.tls.run
	}
	if d.mirror != nil {
		parts["mirror"] = d.mirror.run
		parts["mirror-events"] = newMirrorEvents(d.mirror, d.store).run
		if d.mirror.peers != nil {
			parts["mirror-peers"] = d.mirror.peers.Run
			parts["mirror-report"] = func(ctx context.Context) error {
				return mirrorReport(ctx, d.member, d.mirror.m, d.epochs, d.log)
			}
		}
	}
	return runAll(ctx, parts)
}

// Clusters is the cluster list of the policy in force.
func (d *Daemon) Clusters() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.policy.Clusters
}

// SetPolicy applies a reloaded policy now if leading, and to every later term.
func (d *Daemon) SetPolicy(p decide.Policy) {
	d.mu.Lock()
	d.policy = p
	t := d.term
	d.mu.Unlock()
	if t != nil {
		t.loop.SetPolicy(p)
	}
}

// AdminAddr is the admin API's bound address.
func (d *Daemon) AdminAddr() string { return d.admin.Addr() }

// Close releases connections, the journal and the store, after Run has returned.
func (d *Daemon) Close() {
	for _, c := range d.closers {
		c.Close()
	}
	if d.store != nil {
		d.store.Close()
	}
}

// seen is told of every probe that found a cluster answering: the leading term's
// executor applies a deferred fence as soon as it can.
func (d *Daemon) seen(cluster string) {
	if t := d.current(); t != nil {
		t.ex.Seen(cluster)
	}
}
