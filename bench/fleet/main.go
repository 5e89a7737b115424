// Command fleet measures esdr running as a fleet: three `esdr run` members over a
// three-member etcd, on real test-bed clusters. It kills the leader (kill -9) several
// times and reports how long the fleet takes to have a new leader, with the surviving
// members' proxies under a paced client meanwhile; then it runs operator switchovers and
// reports how far apart in time the members' proxies move to the new epoch. The result
// goes into docs/benchmarks.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/esdr/esdr/bench/report"
	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/esdrproc"
	"github.com/esdr/esdr/testbed/peers"
)

func main() { os.Exit(run()) }

func run() int {
	var o options
	flag.IntVar(&o.runs, "runs", 5, "leader kills, and switchover round trips, per session TTL")
	ttls := flag.String("ttls", "3s,10s", "fleet.session_ttl values to measure, comma-separated (whole seconds)")
	flag.StringVar(&o.engine, "engine", "opensearch2", "test-bed engine")
	flag.IntVar(&o.primaryNodes, "primary-nodes", 1, "nodes of the primary cluster (the standby has 1)")
	flag.DurationVar(&o.interval, "interval", 200*time.Millisecond, "esdr health.interval (timeout equals it)")
	flag.IntVar(&o.threshold, "threshold", 3, "esdr health.failure_threshold")
	flag.DurationVar(&o.poll, "poll", 2*time.Millisecond, "pause between one member's GET /v1/endpoint polls during a switchover")
	esdrBin := flag.String("esdr", "", "esdr binary ('' builds ./cmd/esdr into a temp dir)")
	out := flag.String("o", "docs/benchmarks.md", "markdown file to write the section into ('' prints only)")
	flag.Parse()
	for _, s := range strings.Split(*ttls, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil || d < time.Second || d%time.Second != 0 {
			fmt.Fprintf(os.Stderr, "fleet: -ttls %q: want whole seconds such as 3s,10s\n", *ttls)
			return 2
		}
		o.ttls = append(o.ttls, d)
	}
	return report.Main("fleet", *out, func(ctx context.Context, logf report.Logf) (string, error) {
		o.loadBefore = report.LoadAverage()
		logf("load average %s before starting anything (this machine may be shared)", o.loadBefore)
		res, err := measureAll(ctx, &o, *esdrBin, logf)
		if err != nil {
			return "", err
		}
		o.loadAfter = report.LoadAverage()
		return markdown(&o, res), nil
	})
}

// options are the benchmark's settings, and the load averages it saw.
type options struct {
	runs, primaryNodes, threshold int
	ttls                          []time.Duration
	engine                        string
	interval, poll                time.Duration
	loadBefore, loadAfter         string
}

// results are every measurement, by session TTL.
type results struct {
	takeovers map[time.Duration][]takeover
	switches  map[time.Duration][]switchResult
}

// measureAll starts the clusters and etcd once, then a fresh fleet per session TTL, and
// runs the leader kills and the switchovers on it.
func measureAll(ctx context.Context, o *options, bin string, logf func(string, ...any)) (results, error) {
	res := results{takeovers: map[time.Duration][]takeover{}, switches: map[time.Duration][]switchResult{}}
	dir, err := os.MkdirTemp("", "esdr-bench-fleet-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		bin = filepath.Join(dir, "esdr")
		logf("building %s...", bin)
		if err := esdrproc.Build(ctx, bin); err != nil {
			return res, err
		}
	}
	logf("starting %s clusters: primary %d node(s), standby 1 node...", o.engine, o.primaryNodes)
	p, err := testbed.Start(ctx, testbed.Spec{Engine: o.engine, Cluster: "bench-primary", Nodes: o.primaryNodes, Dir: dir})
	if err != nil {
		return res, err
	}
	defer p.Destroy()
	s, err := testbed.Start(ctx, testbed.Spec{Engine: o.engine, Cluster: "bench-standby", Nodes: 1, Dir: dir})
	if err != nil {
		return res, err
	}
	defer s.Destroy()
	logf("starting a 3-member etcd...")
	etcd, err := peers.LaunchEtcdProcs(dir, 3)
	if err != nil {
		return res, err
	}
	defer etcd.Stop()
	for _, ttl := range o.ttls {
		spec := fleetSpec{bin: bin, dir: filepath.Join(dir, "ttl-"+ttl.String()), primary: p.URLs(), standby: s.URLs(),
			etcd: etcd.Endpoints(), ttl: ttl, interval: o.interval, threshold: o.threshold}
		logf("session TTL %s: starting 3 esdr members...", ttl)
		f, err := startFleet(ctx, spec)
		if err != nil {
			return res, err
		}
		err = measureFleet(ctx, o, f, &res, logf)
		f.stop()
		if err != nil {
			return res, fmt.Errorf("session TTL %s: %w", ttl, err)
		}
	}
	return res, nil
}

// measureFleet runs the leader kills, then the switchover round trips, on one fleet.
func measureFleet(ctx context.Context, o *options, f *fleetBed, res *results, logf func(string, ...any)) error {
	for i := range o.runs {
		t, err := f.takeover(ctx)
		if err != nil {
			return fmt.Errorf("takeover run %d: %w", i+1, err)
		}
		res.takeovers[f.spec.ttl] = append(res.takeovers[f.spec.ttl], t)
		logf("TTL %s takeover %d/%d: %s killed, %s leading after %s (named by etcd %s before; every survivor agreed after %s); proxies: %d of %d requests not 200, slowest %s",
			f.spec.ttl, i+1, o.runs, t.from, t.to, ms(t.elapsed), ms(t.namedFirst), ms(t.agreed), t.failed, t.requests, ms(t.slowest))
	}
	for i := range o.runs {
		for _, to := range []string{"standby", "primary"} {
			r, err := f.switchTo(ctx, to, o.poll)
			if err != nil {
				return fmt.Errorf("switchover run %d to %s: %w", i+1, to, err)
			}
			res.switches[f.spec.ttl] = append(res.switches[f.spec.ttl], r)
			logf("TTL %s switchover %d/%d to %s (epoch %d): answered after %s, first proxy %s, last %s, skew %s (slowest poll %s)",
				f.spec.ttl, i+1, o.runs, to, r.epoch, ms(r.ack), ms(r.first), ms(r.last), ms(r.last-r.first), ms(r.poll))
		}
	}
	return nil
}

func ms(d time.Duration) string {
	if d >= 100*time.Millisecond {
		return d.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}
