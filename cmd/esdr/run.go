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
	"slices"
	"strings"
	"syscall"

	"github.com/esdr/esdr/internal/bootstrap"
	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/daemon"
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
	d, err := daemon.New(cfg, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return exitFail
	}
	defer d.Close()
	if code := bootstrapOrExit(ctx, d, *boot, log, stderr); code != exitOK {
		return code
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go d.ReloadOnHUP(ctx, hup, *path, level)
	for _, w := range cfg.Warnings {
		log.Warn("configuration warning", "warning", w)
	}
	where := []any{"state", cfg.State.Path}
	if f := cfg.Fleet; f != nil {
		where = []any{"fleet", f.Name, "vantage", f.Vantage, "etcd", f.Etcd.Endpoints, "prefix", f.Etcd.Prefix}
	}
	log.Info("esdr started", append([]any{"config", *path, "clusters", cfg.Policy().Clusters, "admin", d.AdminAddr()}, where...)...)
	if err := d.Run(ctx); err != nil {
		log.Error("stopped", "err", err)
		return exitFail
	}
	log.Info("esdr stopped")
	return exitOK
}

// checkBootstrapActive validates --bootstrap-active: empty, or a configured cluster.
func checkBootstrapActive(name string, cfg *config.Config) error {
	clusters := cfg.Policy().Clusters
	if name == "" || slices.Contains(clusters, name) {
		return nil
	}
	return fmt.Errorf("--bootstrap-active %q is not a configured cluster, want one of %s", name, strings.Join(clusters, ", "))
}

// bootstrapOrExit runs d.Bootstrap before anything serves, and returns exitOK to go on.
// A refusal is printed as it is, for the operator to read; other failures are logged.
func bootstrapOrExit(ctx context.Context, d *daemon.Daemon, active string, log *slog.Logger, stderr io.Writer) int {
	err := d.Bootstrap(ctx, active)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, bootstrap.ErrRefused):
		fmt.Fprintf(stderr, "esdr run: %v\n", err)
	default:
		log.Error("cannot start", "err", err)
	}
	return exitFail
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
