package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/control"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/metrics"
	"github.com/esdr/esdr/internal/route/proxy"
	"github.com/esdr/esdr/internal/state"
	"github.com/esdr/esdr/internal/watch"
	"github.com/prometheus/client_golang/prometheus"
)

func init() {
	commands["run"] = command{summary: "watch the clusters, decide and act (the daemon)", run: runRun}
}

// runRun starts the daemon and blocks until SIGINT/SIGTERM. Configuration problems exit
// 2 before anything starts; a component that cannot start (port taken, state file
// locked) exits 1 with the reason.
func runRun(ctx context.Context, args []string, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("c", "", "configuration file (required)")
	boot := fs.String("bootstrap-active", "", "with no stored state, start with this `CLUSTER` active whatever the look before a first start finds (ignored once the state is initialised)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *path == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "esdr run: usage: esdr run -c FILE [--bootstrap-active CLUSTER]")
		return exitUsage
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintf(stderr, "esdr run: %s: invalid configuration:\n%v\nrun 'esdr check-config -c %s' after fixing it\n", *path, err, *path)
		return exitUsage
	}
	if err := checkBootstrapActive(*boot, cfg); err != nil {
		fmt.Fprintf(stderr, "esdr run: %v\n", err)
		return exitUsage
	}
	level := new(slog.LevelVar)
	log := newLogger(cfg.Log, level, stderr)
	var d service
	if cfg.Fleet != nil {
		d, err = buildFleet(cfg, log)
	} else {
		d, err = build(cfg, log)
	}
	if err != nil {
		log.Error("cannot start", "err", err)
		return exitFail
	}
	defer d.close()
	if code := bootstrapOrExit(ctx, d, cfg, *boot, log, stderr); code != exitOK {
		return code
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go reloadOnHUP(ctx, hup, *path, d, level, log)
	for _, w := range cfg.Warnings {
		log.Warn("configuration warning", "warning", w)
	}
	where := []any{"state", cfg.State.Path}
	if f := cfg.Fleet; f != nil {
		where = []any{"fleet", f.Name, "vantage", f.Vantage, "etcd", f.Etcd.Endpoints, "prefix", f.Etcd.Prefix}
	}
	log.Info("esdr started", append([]any{"config", *path, "clusters", cfg.Policy().Clusters, "admin", d.adminAddr()}, where...)...)
	if err := d.run(ctx); err != nil {
		log.Error("stopped", "err", err)
		return exitFail
	}
	log.Info("esdr stopped")
	return exitOK
}

// service is `esdr run` once built: the embedded daemon or a fleet member.
type service interface {
	run(ctx context.Context) error
	// bootstrap runs before run: see lookFirst.
	bootstrap(ctx context.Context, cfg *config.Config, active string, log *slog.Logger) error
	close()
	clusters() []string
	setPolicy(p decide.Policy)
	adminAddr() string
}

// daemon holds the running components of `esdr run` on the embedded default.
type daemon struct {
	store   *state.File
	act     *act.Executor
	watcher *watch.Watcher
	loop    *control.Loop
	admin   *admin.Server
	proxy   *proxy.Proxy                // nil without proxy.listen
	closers []io.Closer                 // target connections
	publish func(context.Context) error // CloudWatch health publishing, when configured
	mirror  *mirrorSetup                // write mirroring, when configured
	snap    *snapshotSetup              // snapshot sync, when configured
	targets []act.Target                // traffic targets, read by bootstrap
}

// build creates every component and binds the listeners, so that a taken port or a
// locked state file is reported before anything runs.
func build(cfg *config.Config, log *slog.Logger) (*daemon, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectorsFor()...)
	m := metrics.New(reg)
	targets, err := watchTargets(cfg)
	if err != nil {
		return nil, err
	}
	st, err := state.OpenFile(cfg.State.Path, state.FileOptions{})
	if err != nil {
		return nil, err
	}
	d := &daemon{store: st}
	if err := d.assemble(cfg, reg, m, targets, log); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// assemble builds the executor, the watcher, the loop and the listeners on an open store.
func (d *daemon) assemble(cfg *config.Config, reg *prometheus.Registry, m *metrics.Metrics, targets []watch.Target, log *slog.Logger) error {
	tgs, pub, closers, err := newTargets(cfg, log)
	if err != nil {
		return err
	}
	d.closers, d.targets = closers, tgs
	ex, err := newExecutor(cfg, d.store, tgs, reg, log)
	if err != nil {
		return err
	}
	w, err := watch.New(targets, watch.Options{OnResult: func(cluster string, r watch.Result, obs health.Observation, _ bool) {
		m.ObserveProbe(cluster, r.Kind, r.Latency)
		m.SetObservation(obs)
		if r.Kind != health.KindUnreachable && r.Kind != health.KindTimeout {
			ex.Seen(cluster) // a deferred fence is applied as soon as the cluster answers
		}
	}})
	if err != nil {
		return err
	}
	nodes := map[string][]string{}
	for _, c := range cfg.Clusters {
		nodes[c.Name] = c.Nodes
	}
	lags := &lagObserver{Watcher: w}
	loop, err := control.New(d.store, lags, m, ex, control.Options{Policy: cfg.Policy(), Nodes: nodes, Log: log})
	if err != nil {
		return err
	}
	ctl := daemonController{Loop: loop, ex: ex}
	if cfg.Mirror.On() {
		if d.mirror, err = openMirror(cfg, loop, reg, log); err != nil {
			return err
		}
		d.closers = append(d.closers, d.mirror)
		d.mirror.fences = ex
		ctl.mirror, lags.s = d.mirror, d.mirror
	}
	if cfg.SnapshotSync.On() {
		if d.snap, err = openSnapshot(cfg, reg, log); err != nil {
			return err
		}
		ctl.snap = d.snap
	}
	adm, err := admin.New(admin.Config{Listen: cfg.Admin.Listen, Token: cfg.Admin.Token.Reveal()}, ctl, reg, log)
	if err == nil {
		err = adm.Listen()
	}
	if err != nil {
		return err
	}
	d.act, d.watcher, d.loop, d.admin = ex, w, loop, adm
	if pub != nil {
		every := cfg.PublishHealth.Interval
		d.publish = func(ctx context.Context) error { return publishHealth(ctx, pub, w, every, log) }
	}
	if cfg.Proxy.Listen != "" {
		var epochs epochSource = loop
		var wrap func(http.Handler) http.Handler
		if d.mirror != nil {
			epochs, wrap = d.mirror.proxyHooks(loop)
		}
		if d.proxy, err = newProxyWrapped(cfg, reg, epochs, w, log, wrap); err != nil {
			return err
		}
	}
	return nil
}

// run runs every component until ctx ends or one of them fails; the others are then
// stopped and waited for.
func (d *daemon) run(ctx context.Context) error {
	parts := map[string]func(context.Context) error{
		"watch":   d.watcher.Run,
		"control": d.loop.Run,
		"admin":   d.admin.Run,
		// An interrupted plan is finished first, in the act step's own goroutine: the
		// proxy and the admin API serve meanwhile (from the stored epoch), and a new
		// transition waits for the executor, which runs one plan at a time.
		"act": func(ctx context.Context) error {
			if err := d.act.Resume(ctx); err != nil {
				return fmt.Errorf("resume: %w", err)
			}
			return d.act.Run(ctx)
		},
	}
	if d.proxy != nil {
		parts["proxy"] = d.proxy.Serve
	}
	if d.publish != nil {
		parts["publish"] = d.publish
	}
	if d.mirror != nil {
		parts["mirror"] = d.mirror.run
		parts["mirror-events"] = newMirrorEvents(d.mirror, d.store).run
	}
	if d.snap != nil {
		parts["snapshot"] = func(ctx context.Context) error { return d.snap.run(ctx, d.loop) }
	}
	return runAll(ctx, parts)
}

func (d *daemon) clusters() []string        { return d.loop.Policy().Clusters }
func (d *daemon) setPolicy(p decide.Policy) { d.loop.SetPolicy(p) }
func (d *daemon) adminAddr() string         { return d.admin.Addr() }

func (d *daemon) close() {
	for _, c := range d.closers {
		c.Close()
	}
	d.store.Close()
}
