// Command detect measures how long esdr takes from the moment every primary node is
// killed to its failover decision, over several runs on real test-bed clusters, and
// writes the result into docs/benchmarks.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/esdr/esdr/bench/report"
	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/esdrproc"
)

func main() { os.Exit(run()) }

func run() int {
	runs := flag.Int("runs", 5, "number of kill → decision measurements")
	engine := flag.String("engine", "opensearch2", "test-bed engine")
	interval := flag.Duration("interval", 200*time.Millisecond, "esdr health.interval (timeout equals it)")
	threshold := flag.Int("threshold", 3, "esdr health.failure_threshold")
	esdrBin := flag.String("esdr", "bin/esdr", "esdr binary")
	out := flag.String("o", "docs/benchmarks.md", "markdown file to write the section into ('' prints only)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.MkdirTemp("", "esdr-bench-detect-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "detect:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(os.Stderr, "starting %s clusters (primary 3 nodes, standby 1)...\n", *engine)
	p, err := testbed.Start(ctx, testbed.Spec{Engine: *engine, Cluster: "bench-primary", Nodes: 3, Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "detect:", err)
		return 1
	}
	defer p.Destroy()
	s, err := testbed.Start(ctx, testbed.Spec{Engine: *engine, Cluster: "bench-standby", Nodes: 1, Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "detect:", err)
		return 1
	}
	defer s.Destroy()
	var results []time.Duration
	for i := range *runs {
		d, err := measure(ctx, *esdrBin, dir, i, p, s, *interval, *threshold)
		if err != nil {
			fmt.Fprintf(os.Stderr, "detect: run %d: %v\n", i+1, err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "run %d/%d: kill → failover decision %s\n", i+1, *runs, d.Round(time.Millisecond))
		results = append(results, d)
		if err = p.Start(); err == nil {
			wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
			err = p.WaitFormed(wctx, len(p.Nodes))
			cancel()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "detect: restart primary:", err)
			return 1
		}
	}
	body := summarize(results, *interval, *threshold, *engine)
	fmt.Println(body)
	if *out != "" {
		cmd := "go run ./bench/detect " + strings.Join(os.Args[1:], " ")
		if err := report.Section(*out, "detect", cmd, body); err != nil {
			fmt.Fprintln(os.Stderr, "detect:", err)
			return 1
		}
	}
	return 0
}

func summarize(rs []time.Duration, interval time.Duration, threshold int, engine string) string {
	sorted := append([]time.Duration(nil), rs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	var sum time.Duration
	var cells []string
	for _, r := range rs {
		sum += r
		cells = append(cells, r.Round(time.Millisecond).String())
	}
	return fmt.Sprintf(`### Detection: kill -9 of every primary node → esdr's failover decision

%s, primary 3 nodes + standby 1 node; esdr health.interval = timeout = %s, failure_threshold %d
(the floor is (threshold − 1) × interval plus one probe: a refused connection fails at once).

| runs | min | median | max | mean | each |
|---|---|---|---|---|---|
| %d | %s | %s | %s | %s | %s |`, engine, interval, threshold, len(rs),
		sorted[0].Round(time.Millisecond), sorted[len(sorted)/2].Round(time.Millisecond),
		sorted[len(sorted)-1].Round(time.Millisecond), (sum / time.Duration(len(rs))).Round(time.Millisecond),
		strings.Join(cells, ", "))
}

// measure starts esdr on fresh state, waits until both clusters are up, kills every
// primary node and returns the time from the kill to the failover event esdr recorded.
func measure(ctx context.Context, bin, dir string, i int, p, s *testbed.Cluster, interval time.Duration, threshold int) (time.Duration, error) {
	addr, err := esdrproc.FreeAddr()
	if err != nil {
		return 0, err
	}
	cfg := esdrproc.Pair{Primary: p.URLs(), Standby: s.URLs(), Interval: interval, Threshold: threshold, AdminAddr: addr}
	e, err := esdrproc.Start(ctx, bin, fmt.Sprintf("%s/run%d", dir, i), addr, cfg.YAML())
	if err != nil {
		return 0, err
	}
	defer e.Stop()
	if err := e.WaitUp(ctx, time.Minute, "primary", "standby"); err != nil {
		return 0, err
	}
	killed := time.Now()
	if err := p.Kill(); err != nil {
		return 0, err
	}
	ev, err := e.WaitTransition(ctx, 30*time.Second, 2)
	if err != nil {
		return 0, err
	}
	return ev.At.Sub(killed), nil
}
