// Command detect measures what esdr decides when the primary fails in three ways, over
// several runs on real test-bed clusters (primary 3 nodes, standby 1), and writes the
// result into docs/benchmarks.md:
//
//   - kill: every primary node killed → the time to esdr's failover decision;
//   - master: the elected master alone hung (SIGSTOP) past the cluster's re-election,
//     then resumed → whether esdr failed over (it should not: the cluster re-elected and
//     serves) and how long the cluster took to re-elect;
//   - quorum: 2 of the 3 nodes hung (quorum lost), the master among them → the time to
//     esdr's failover decision;
//   - followers: the same with the 2 nodes that are not the master: the master is left
//     alone, answers until its follower checks fail, then steps down.
//
// Before every fault the run waits until esdr has the primary active at epoch 1 and up;
// a run in which esdr moved before the fault is reported void, with esdr's reason.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/esdr/esdr/bench/report"
)

// config is the command's flags.
type config struct {
	runs                   int
	scenarios              []scenario
	engines                []string
	interval, hangInterval time.Duration
	threshold              int
	hold                   time.Duration
	esdrBin                string
}

func main() { os.Exit(run()) }

func run() int {
	var c config
	scen := flag.String("scenarios", "kill,master,quorum,followers", "scenarios, comma-separated: kill, master, quorum, followers")
	engines := flag.String("engines", "opensearch2,es7", "test-bed engines, comma-separated")
	flag.IntVar(&c.runs, "runs", 5, "runs per scenario and engine")
	flag.DurationVar(&c.interval, "interval", 200*time.Millisecond, "esdr health.interval (timeout equals it) for kill")
	flag.DurationVar(&c.hangInterval, "hang-interval", time.Second, "esdr health.interval (timeout equals it) for master, quorum and followers")
	flag.IntVar(&c.threshold, "threshold", 3, "esdr health.failure_threshold")
	flag.DurationVar(&c.hold, "hold", 10*time.Second, "master: how long the master stays hung after the others elected a new one")
	flag.StringVar(&c.esdrBin, "esdr", "bin/esdr", "esdr binary")
	out := flag.String("o", "docs/benchmarks.md", "markdown file to write the section into ('' prints only)")
	flag.Parse()
	for _, s := range strings.Split(*scen, ",") {
		k, err := parseScenario(strings.TrimSpace(s))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		c.scenarios = append(c.scenarios, k)
	}
	for _, e := range strings.Split(*engines, ",") {
		c.engines = append(c.engines, strings.TrimSpace(e))
	}
	if c.runs < 1 {
		fmt.Fprintln(os.Stderr, "detect: -runs must be at least 1")
		return 2
	}
	return report.Main("detect", *out, func(ctx context.Context, logf report.Logf) (string, error) {
		loadBefore := report.LoadAverage()
		results, err := measureAll(ctx, c, logf)
		if err != nil {
			return "", err
		}
		return markdown(c, results, loadBefore, report.LoadAverage()), nil
	})
}

// measureAll starts each engine's pair once and runs every scenario runs times on it.
func measureAll(ctx context.Context, c config, logf report.Logf) (map[scenario][]sample, error) {
	dir, err := os.MkdirTemp("", "esdr-bench-detect-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	results := map[scenario][]sample{}
	for _, engine := range c.engines {
		p, err := startPair(ctx, engine, dir, c.esdrBin, c.threshold, logf)
		if err != nil {
			return nil, err
		}
		for _, k := range c.scenarios {
			for i := range c.runs {
				var s sample
				switch k {
				case scenarioKill:
					s, err = p.kill(ctx, c.interval)
				case scenarioMaster:
					s, err = p.master(ctx, c.hangInterval, c.hold)
				case scenarioQuorum, scenarioFollowers:
					s, err = p.quorum(ctx, c.hangInterval, k == scenarioFollowers)
				}
				if err != nil {
					p.stop()
					return nil, fmt.Errorf("%s %s run %d: %w", engine, k, i+1, err)
				}
				logf("%s %s run %d/%d: %s", engine, k, i+1, c.runs, s.line())
				results[k] = append(results[k], s)
			}
		}
		p.stop()
	}
	return results, nil
}
