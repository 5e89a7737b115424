// Command failover is the failover drill benchmark: the same paced client (a request every
// 10 ms) through esdr's proxy and through HAProxy configured as the anchor, while every
// primary node is killed (kill -9) or hung (SIGSTOP), several runs each. It reports the
// time from the fault to the first answer from the standby and the failed requests. Then it
// runs `esdr drill` (the binary, as an operator would) on the same kill -9 as many times,
// with its own client beside it, to show that the drill's numbers agree with its own. It
// writes the result into docs/benchmarks.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/esdr/esdr/bench/report"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/testbed"
)

func main() { os.Exit(run()) }

func run() int {
	var b bed
	runs := flag.Int("runs", 5, "runs per fault")
	faults := flag.String("faults", "kill,pause", "faults to drill, comma-separated: kill (kill -9), pause (SIGSTOP)")
	engine := flag.String("engine", "opensearch2", "test-bed engine")
	flag.StringVar(&b.esdrBin, "esdr", "bin/esdr", "esdr binary")
	flag.DurationVar(&b.interval, "interval", 200*time.Millisecond, "esdr health.interval (timeout equals it)")
	flag.IntVar(&b.threshold, "threshold", 3, "esdr health.failure_threshold")
	flag.DurationVar(&b.before, "before", 2*time.Second, "load before the fault")
	flag.DurationVar(&b.window, "window", 20*time.Second, "load from the fault on")
	flag.BoolVar(&b.writes, "writes", true, "also run a client with 1 write in 2 requests beside the reads-only one")
	flag.BoolVar(&b.cli, "cli", true, "with kill in -faults, also run `esdr drill --scenario fault` (the binary) as many times on kill -9")
	out := flag.String("o", "docs/benchmarks.md", "markdown file to write the section into ('' prints only)")
	flag.Parse()
	var fs []fault
	for _, s := range strings.Split(*faults, ",") {
		if f := fault(strings.TrimSpace(s)); f == faultKill || f == faultPause {
			fs = append(fs, f)
		} else {
			fmt.Fprintf(os.Stderr, "failover: -faults %q: want kill and/or pause\n", *faults)
			return 2
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	b.logf = func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "[%5.0fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	results, cli, err := drillAll(ctx, &b, *engine, fs, *runs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "failover:", err)
		return 1
	}
	body := markdown(&b, *engine, fs, results, cli)
	fmt.Println(body)
	if *out != "" {
		if err := report.Section(*out, "failover", strings.TrimSpace("go run ./bench/failover "+strings.Join(os.Args[1:], " ")), body); err != nil {
			fmt.Fprintln(os.Stderr, "failover:", err)
			return 1
		}
	}
	return 0
}

// drillAll starts the clusters once and runs every fault runs times, then (with b.cli and
// kill among the faults) `esdr drill` on kill -9 runs times.
func drillAll(ctx context.Context, b *bed, engine string, fs []fault, runs int) (map[fault][]runResult, []cliResult, error) {
	dir, err := os.MkdirTemp("", "esdr-bench-failover-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	b.dir = dir
	b.logf("starting %s clusters: primary 3 nodes, standby 1 node...", engine)
	if b.primary, err = testbed.Start(ctx, testbed.Spec{Engine: engine, Cluster: "bench-primary", Nodes: 3, Dir: dir}); err != nil {
		return nil, nil, err
	}
	defer b.primary.Destroy()
	if b.standby, err = testbed.Start(ctx, testbed.Spec{Engine: engine, Cluster: "bench-standby", Nodes: 1, Dir: dir}); err != nil {
		return nil, nil, err
	}
	defer b.standby.Destroy()
	if b.esP, err = esclient.New(b.primary.URLs(), esclient.Options{Timeout: 70 * time.Second}); err != nil {
		return nil, nil, err
	}
	if b.esS, err = esclient.New(b.standby.URLs(), esclient.Options{Timeout: 70 * time.Second}); err != nil {
		return nil, nil, err
	}
	results := map[fault][]runResult{}
	for _, f := range fs {
		for i := range runs {
			r, err := b.run(ctx, f, i+1)
			if err != nil {
				return nil, nil, fmt.Errorf("%s run %d: %w", f, i+1, err)
			}
			results[f] = append(results[f], r)
			var parts []string
			for _, l := range b.loads() {
				o := r.byLoad[l]
				parts = append(parts, fmt.Sprintf("%s/%s RTO %s failed %d+%d", l.endpoint, l.mix,
					o.sum.RTO.Round(time.Millisecond), o.sum.FailedReads, o.sum.FailedWrites))
			}
			dec := "esdr decided after " + r.decision.Round(time.Millisecond).String()
			if why := r.void + r.undecided; why != "" {
				dec = "esdr: " + why
			}
			b.logf("%s run %d/%d: %s; %s", f, i+1, runs, dec, strings.Join(parts, "; "))
		}
	}
	if !b.cli || !slices.Contains(fs, faultKill) {
		return results, nil, nil
	}
	artifacts, err := os.MkdirTemp("", "esdr-bench-failover-drill-")
	if err != nil {
		return nil, nil, err
	}
	var cli []cliResult
	for i := range runs {
		r, err := b.cliDrill(ctx, i+1, artifacts)
		if err != nil {
			return nil, nil, fmt.Errorf("esdr drill run %d: %w", i+1, err)
		}
		cli = append(cli, r)
		b.logf("esdr drill run %d/%d: exit %d, drill RTO %.3fs failed reads %d/%d; observer RTO %s failed reads %d; %s",
			i+1, runs, r.exit, r.phase.RTOSeconds, r.phase.FailedReads, r.phase.Reads,
			r.observer.RTO.Round(time.Millisecond), r.observer.FailedReads, r.artifact)
	}
	return results, cli, nil
}
