// Command chaos is esdr's fault campaign (issue #18): on two real 3-node test-bed
// clusters, with esdr and its proxy as a child process, each run drives a client workload
// through the proxy while a nemesis applies faults drawn from the run's seed (kill -9 or
// SIGSTOP of the active cluster's nodes, its elected master alone, its quorum, of standby
// nodes, of esdr itself, and esdr cut off from a cluster by a network forwarder). After
// healing, both clusters are read back and a checker judges the run's history (JSON
// lines) against six invariants: no split brain, no lost acknowledged write, no false
// failover, no missed failover, no flapping, no stuck plan. The campaign's table is
// written into docs/reliability.md.
//
// A run that breaks an invariant prints its seed; `go run ./bench/chaos -seed N -runs 1`
// (`make chaos SEED=N`) replays its schedule.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/esdr/esdr/bench/report"
)

func main() { os.Exit(run()) }

// flags are the command's options.
type flags struct {
	engine, topology, esdrBin, out, families, histories string
	runs                                                int
	seed                                                int64
	maxTime                                             time.Duration
	keep                                                bool
	cfg                                                 runConfig
}

func parseFlags() (flags, error) {
	var f flags
	flag.StringVar(&f.engine, "engine", "opensearch2", "test-bed engine: opensearch2, es7 or opensearch3")
	flag.StringVar(&f.topology, "topology", embedded, "embedded (one esdr with its state file) or fleet (three members over a 3-member etcd)")
	flag.StringVar(&f.esdrBin, "esdr", "bin/esdr", "esdr binary (make build)")
	flag.StringVar(&f.out, "o", "docs/reliability.md", "markdown file to write the campaign's section into ('' prints only)")
	flag.StringVar(&f.families, "families", "all", "fault families, comma-separated: all, or some of "+strings.Join(families, ", ")+"; embedded only: "+
		strings.Join(embeddedFamilies, ", ")+"; fleet only: "+strings.Join(fleetFamilies, ", "))
	flag.StringVar(&f.histories, "histories", "", "folder for the runs' histories (default: a new temporary folder)")
	flag.IntVar(&f.runs, "runs", 0, "runs (0: one per family of the topology); consecutive seeds cycle through the families")
	flag.Int64Var(&f.seed, "seed", 0, "first run's seed (0: from the clock); -seed N -runs 1 replays run N")
	flag.DurationVar(&f.maxTime, "max-time", 0, "start no run after this long (0: no limit)")
	flag.BoolVar(&f.keep, "keep", false, "keep the histories of passing runs too")
	flag.DurationVar(&f.cfg.interval, "interval", time.Second, "esdr health.interval (the probe timeout equals it)")
	flag.DurationVar(&f.cfg.holdDown, "hold-down", time.Hour, "esdr failover.hold_down")
	flag.DurationVar(&f.cfg.bound, "bound", 20*time.Second, "missed failover: longest a lost quorum of the active cluster may go without one")
	flag.DurationVar(&f.cfg.grace, "grace", 10*time.Second, "how long after a fault ends it still justifies a failover")
	flag.DurationVar(&f.cfg.warmup, "warmup", 3*time.Second, "client load before the first fault")
	flag.DurationVar(&f.cfg.cooldown, "cooldown", 5*time.Second, "client load after healing")
	flag.DurationVar(&f.cfg.planWait, "plan-wait", time.Minute, "how long esdr's plan and fences may take to settle after healing")
	flag.BoolVar(&f.cfg.mirror, "mirror", false, "esdr's mirror mode on (embedded only): every acknowledged write must also be on the final active cluster")
	flag.IntVar(&f.cfg.writers, "writers", 2, "writing clients")
	flag.Parse()
	if f.topology != embedded && f.topology != fleet {
		return f, fmt.Errorf("chaos: -topology %q: want %s or %s", f.topology, embedded, fleet)
	}
	if f.cfg.mirror && f.topology == fleet {
		return f, fmt.Errorf("chaos: -mirror: esdr's mirror mode runs on the embedded topology only")
	}
	fams, err := parseFamilies(f.families, f.topology)
	if err != nil {
		return f, err
	}
	if f.runs == 0 {
		f.runs = len(fams)
	}
	if f.runs < 1 {
		return f, fmt.Errorf("chaos: -runs %d: want at least 1", f.runs)
	}
	if f.seed == 0 {
		f.seed = time.Now().Unix() % 1_000_000
	}
	f.families = strings.Join(fams, ",")
	return f, nil
}

// sectionOf names a campaign's section of docs/reliability.md: one per engine and
// topology, so that a fleet campaign does not replace the embedded one's table.
func sectionOf(engine, topology string, mirror bool) string {
	switch {
	case topology == fleet:
		return "chaos-" + engine + "-fleet"
	case mirror:
		return "chaos-" + engine + "-mirror"
	}
	return "chaos-" + engine
}

func run() int {
	f, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "[%5.0fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	c, err := campaign(ctx, f, logf)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	body := c.markdown()
	fmt.Println(body)
	if f.out != "" {
		cmd := strings.TrimSpace("go run ./bench/chaos " + strings.Join(os.Args[1:], " "))
		if err := report.Section(f.out, sectionOf(f.engine, f.topology, f.cfg.mirror), cmd, body); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if c.violations() > 0 || len(c.errors) > 0 {
		return 1
	}
	return 0
}
