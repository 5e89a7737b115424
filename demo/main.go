// Command demo shows esdr's main job end to end on this machine: two local OpenSearch
// clusters, esdr with its proxy in front of them, a steady read/write load through the
// proxy, every primary node killed, and a report of what the clients saw. It is what
// `make demo` runs; `--keep` leaves everything running afterwards.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/esdr/esdr/testbed"
)

func main() { os.Exit(run()) }

// options are the demo's flags.
type options struct {
	dir       string
	esdrBin   string
	engine    string
	keep      bool
	interval  time.Duration
	threshold int
	before    time.Duration
	after     time.Duration
}

func run() int {
	root, err := testbed.RepoRoot()
	if err != nil {
		root = "."
	}
	var o options
	flag.StringVar(&o.dir, "dir", filepath.Join(root, ".testbed", "demo"), "folder for the clusters, esdr's config, state and logs (wiped first)")
	flag.StringVar(&o.esdrBin, "esdr", filepath.Join(root, "bin", "esdr"), "the esdr binary (make build)")
	flag.StringVar(&o.engine, "engine", "opensearch2", "test-bed engine: "+testbed.EngineNames())
	flag.BoolVar(&o.keep, "keep", false, "leave the clusters and esdr running after the report")
	flag.DurationVar(&o.interval, "interval", 200*time.Millisecond, "esdr health.interval (and probe timeout)")
	flag.IntVar(&o.threshold, "threshold", 3, "esdr health.failure_threshold")
	flag.DurationVar(&o.before, "before", 3*time.Second, "load before the primary is killed")
	flag.DurationVar(&o.after, "after", 4*time.Second, "load after the failover decision")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "demo: unexpected argument %q (see -h)\n", flag.Arg(0))
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	d := &demo{o: o, start: time.Now()}
	err = d.run(ctx)
	if cerr := d.cleanup(err == nil && o.keep); cerr != nil {
		fmt.Fprintf(os.Stderr, "demo: cleanup: %v\n", cerr)
		if err == nil {
			err = cerr
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "demo: interrupted; everything it started is stopped")
		return 130
	case err != nil:
		fmt.Fprintf(os.Stderr, "\ndemo FAILED: %v\n", err)
		return 1
	}
	return 0
}

// demo is one run: what it started, so that cleanup can undo it.
type demo struct {
	o     options
	start time.Time
	pair  *pair
	esdr  *esdr
}

// step prints one line of progress with the time since the demo started.
func (d *demo) step(format string, args ...any) {
	fmt.Printf("[%6.1fs] %s\n", time.Since(d.start).Seconds(), fmt.Sprintf(format, args...))
}

func (d *demo) run(ctx context.Context) error {
	if _, err := os.Stat(d.o.esdrBin); err != nil {
		return fmt.Errorf("esdr binary: %w (run make build)", err)
	}
	d.step("cleaning %s (clusters or esdr left by an earlier --keep are stopped)", d.o.dir)
	if err := wipe(d.o.dir); err != nil {
		return err
	}
	p, err := d.startClusters(ctx)
	if err != nil {
		return err
	}
	d.pair = p
	e, err := d.startEsdr(ctx)
	if err != nil {
		return err
	}
	d.esdr = e
	res, err := d.drill(ctx)
	if err != nil {
		return err
	}
	d.report(res)
	if bad := res.problems(); len(bad) > 0 {
		return fmt.Errorf("%d check(s) failed: %v", len(bad), bad)
	}
	return nil
}

// cleanup stops esdr and the clusters and deletes their data, unless keep: then esdr is
// restarted detached on the same state and the way to stop everything is printed.
func (d *demo) cleanup(keep bool) error {
	if keep {
		return d.keepRunning()
	}
	var errs []error
	if d.esdr != nil {
		d.esdr.proc.Stop()
	}
	if d.pair != nil {
		errs = append(errs, d.pair.destroy())
	}
	if d.pair != nil || d.esdr != nil {
		errs = append(errs, os.RemoveAll(d.o.dir))
		d.step("cleaned up: clusters killed, esdr stopped, %s deleted (keep them with --keep)", d.o.dir)
	}
	return errors.Join(errs...)
}
