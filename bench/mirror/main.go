// Command mirror measures what write mirroring (docs/mirror.md) costs and how far the
// standby trails: indexing with explicit ids, one document per request and in _bulk,
// against the primary directly, through esdr's proxy with mirroring off and through an
// esdr with mirroring on, in the same run on the same test-bed pair; during the mirror-on
// runs it samples esdr's replication lag and, after the load, checks that the standby
// holds as many documents as the primary. The result goes into docs/benchmarks.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/esdr/esdr/bench/report"
	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/esdrproc"
)

func main() { os.Exit(run()) }

// options are the benchmark's settings, and the load averages it saw.
type options struct {
	workers               []int
	modes                 []mode
	batch                 int
	d, warmup, lagEvery   time.Duration
	jvmWarmup             time.Duration
	engine                string
	loadBefore, loadAfter string
	proxyKeys             string // added to both esdr proxies' blocks
	fleet                 bool   // measure a fleet of three with mirror on too
}

func run() int {
	var o options
	workers := flag.String("workers", "8,32", "concurrent client workers, comma-separated")
	modes := flag.String("modes", "single,bulk", "loads, comma-separated: single (PUT /idx/_doc/<id>), bulk (_bulk with ids)")
	flag.IntVar(&o.batch, "batch", 100, "documents per _bulk")
	flag.StringVar(&o.proxyKeys, "proxy-keys", "", `keys added to both esdr proxies' blocks, e.g. "server: net/http,upstream_client: net/http"`)
	flag.DurationVar(&o.d, "d", 20*time.Second, "measured duration per target and load")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured load before each measurement, into the same index")
	flag.DurationVar(&o.jvmWarmup, "jvm-warmup", 10*time.Second, "unmeasured load per mode through mirror on before the first cell, to warm both JVMs (0: none)")
	flag.DurationVar(&o.lagEvery, "lag-every", 200*time.Millisecond, "interval between scrapes of esdr's lag metrics")
	flag.StringVar(&o.engine, "engine", "opensearch2", "test-bed engine")
	flag.BoolVar(&o.fleet, "fleet", true, "also measure a fleet of three esdr members with mirror on, over a 3-member etcd, the load spread over their proxies")
	esdrBin := flag.String("esdr", "", "esdr binary ('' builds ./cmd/esdr into a temp dir, without -race)")
	out := flag.String("o", "docs/benchmarks.md", "markdown file to write the section into ('' prints only)")
	flag.Parse()
	for _, s := range strings.Split(*workers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1024 {
			fmt.Fprintf(os.Stderr, "mirror: -workers %q: want integers from 1 to 1024\n", *workers)
			return 2
		}
		o.workers = append(o.workers, n)
	}
	for _, s := range strings.Split(*modes, ",") {
		m := mode(strings.TrimSpace(s))
		if m != modeSingle && m != modeBulk {
			fmt.Fprintf(os.Stderr, "mirror: -modes %q: want single and/or bulk\n", *modes)
			return 2
		}
		o.modes = append(o.modes, m)
	}
	if o.batch < 1 || o.batch > 10000 || o.d <= 0 || o.warmup < 0 || o.jvmWarmup < 0 || o.lagEvery <= 0 {
		fmt.Fprintln(os.Stderr, "mirror: want -batch 1 to 10000, -d > 0, -warmup and -jvm-warmup >= 0, -lag-every > 0")
		return 2
	}
	return report.Main("mirror", *out, func(ctx context.Context, logf report.Logf) (string, error) {
		o.loadBefore = report.LoadAverage()
		logf("load average %s before starting anything (this machine may be shared)", o.loadBefore)
		cells, err := measureAll(ctx, &o, *esdrBin, logf)
		if err != nil {
			return "", err
		}
		o.loadAfter = report.LoadAverage()
		return markdown(&o, cells), nil
	})
}

// measureAll builds esdr, starts the pair and three esdr processes (mirroring off, on,
// and on with the standby out of reach), then measures every load against the four
// targets in turn.
func measureAll(ctx context.Context, o *options, bin string, logf func(string, ...any)) ([]cell, error) {
	dir, err := os.MkdirTemp("", "esdr-bench-mirror-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		bin = filepath.Join(dir, "esdr")
		logf("building %s...", bin)
		if err := esdrproc.Build(ctx, bin); err != nil {
			return nil, err
		}
	}
	logf("starting %s clusters: primary 1 node, standby 1 node...", o.engine)
	p, err := testbed.Start(ctx, testbed.Spec{Engine: o.engine, Cluster: "bench-mirror-primary", Nodes: 1, Dir: dir, FullJIT: true})
	if err != nil {
		return nil, err
	}
	defer p.Destroy()
	s, err := testbed.Start(ctx, testbed.Spec{Engine: o.engine, Cluster: "bench-mirror-standby", Nodes: 1, Dir: dir, FullJIT: true})
	if err != nil {
		return nil, err
	}
	defer s.Destroy()
	off, err := startEsdr(ctx, bin, filepath.Join(dir, "esdr-off"), p.URLs(), s.URLs(), "", o.proxyKeys)
	if err != nil {
		return nil, err
	}
	defer off.proc.Stop()
	mdir := filepath.Join(dir, "esdr-mirror")
	on, err := startEsdr(ctx, bin, mdir, p.URLs(), s.URLs(), journalDir(mdir), o.proxyKeys)
	if err != nil {
		return nil, err
	}
	defer on.proc.Stop()
	hdir := filepath.Join(dir, "esdr-held")
	held, err := startHeld(ctx, bin, hdir, p.URLs(), journalDir(hdir), o.proxyKeys)
	if err != nil {
		return nil, err
	}
	defer held.proc.Stop()
	b := &bench{o: o, primary: p.URLs()[0], standby: s.URLs()[0], off: off, on: on, held: held, logf: logf}
	targets := []string{targetDirect, targetOff, targetMirror, targetHeld}
	if o.fleet {
		logf("starting a 3-member etcd and a fleet of three esdr with mirror on...")
		if b.fleet, err = startMirrorFleet(ctx, bin, dir, p.URLs(), s.URLs(), o.proxyKeys); err != nil {
			return nil, err
		}
		defer b.fleet.stop()
		targets = append(targets, targetFleet)
	}
	logf("primary %s, standby %s; esdr proxies: mirroring off %s, on %s (journal %s)",
		b.primary, b.standby, off.proxyURL, on.proxyURL, journalDir(mdir))
	if o.jvmWarmup > 0 {
		if err := b.warmUp(ctx, o.jvmWarmup); err != nil {
			return nil, err
		}
	}
	var cells []cell
	for _, m := range o.modes {
		for _, w := range o.workers {
			for _, t := range targets {
				c, err := b.measure(ctx, t, m, w)
				if err != nil {
					return nil, fmt.Errorf("%s, %s, %d workers: %w", t, m, w, err)
				}
				cells = append(cells, c)
			}
		}
	}
	return cells, nil
}

// client is an HTTP client keeping as many idle connections per host as workers need.
func client(workers int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = workers+8, workers+8
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}
