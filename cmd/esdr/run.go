package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/control"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/metrics"
	"github.com/esdr/esdr/internal/route/proxy"
	"github.com/esdr/esdr/internal/state"
	"github.com/esdr/esdr/internal/watch"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
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
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *path == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "esdr run: usage: esdr run -c FILE")
		return exitUsage
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintf(stderr, "esdr run: %s: invalid configuration:\n%v\nrun 'esdr check-config -c %s' after fixing it\n", *path, err, *path)
		return exitUsage
	}
	level := new(slog.LevelVar)
	log := newLogger(cfg.Log, level, stderr)
	d, err := build(cfg, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return exitFail
	}
	defer d.close()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go reloadOnHUP(ctx, hup, *path, d, level, log)
	for _, w := range cfg.Warnings {
		log.Warn("configuration warning", "warning", w)
	}
	log.Info("esdr started", "config", *path, "clusters", cfg.Policy().Clusters, "admin", d.admin.Addr(),
		"state", cfg.State.Path)
	if err := d.run(ctx); err != nil {
		log.Error("stopped", "err", err)
		return exitFail
	}
	log.Info("esdr stopped")
	return exitOK
}

// daemon holds the running components of `esdr run`.
type daemon struct {
	store   *state.File
	act     *act.Executor
	watcher *watch.Watcher
	loop    *control.Loop
	admin   *admin.Server
	proxy   *proxy.Proxy                // nil without proxy.listen
	closers []io.Closer                 // target connections
	publish func(context.Context) error // CloudWatch health publishing, when configured
}

// build creates every component and binds the listeners, so that a taken port or a
// locked state file is reported before anything runs.
func build(cfg *config.Config, log *slog.Logger) (*daemon, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
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
	d.closers = closers
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
	loop, err := control.New(d.store, w, m, ex, control.Options{Policy: cfg.Policy(), Nodes: nodes, Log: log})
	if err != nil {
		return err
	}
	adm, err := admin.New(admin.Config{Listen: cfg.Admin.Listen, Token: cfg.Admin.Token.Reveal()}, loop, reg, log)
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
		if d.proxy, err = newProxy(cfg, reg, loop, w, log); err != nil {
			return err
		}
	}
	return nil
}

// run runs every component until ctx ends or one of them fails; the others are then
// stopped and waited for.
func (d *daemon) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 6)
	start := func(name string, f func(context.Context) error) {
		go func() {
			err := f(ctx)
			if err != nil {
				err = fmt.Errorf("%s: %w", name, err)
			}
			errs <- err
		}()
	}
	start("watch", d.watcher.Run)
	start("control", d.loop.Run)
	start("admin", d.admin.Run)
	// An interrupted plan is finished first, in the act step's own goroutine: the proxy
	// and the admin API serve meanwhile (from the stored epoch), and a new transition
	// waits for the executor, which runs one plan at a time.
	start("act", func(ctx context.Context) error {
		if err := d.act.Resume(ctx); err != nil {
			return fmt.Errorf("resume: %w", err)
		}
		return d.act.Run(ctx)
	})
	n := 4
	if d.proxy != nil {
		start("proxy", d.proxy.Serve)
		n++
	}
	if d.publish != nil {
		start("publish", d.publish)
		n++
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil && !errors.Is(err, context.Canceled) {
			first = err
		}
		cancel()
	}
	return first
}

func (d *daemon) close() {
	for _, c := range d.closers {
		c.Close()
	}
	d.store.Close()
}
