package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/drill"
)

func init() {
	commands["drill"] = command{
		summary: "run a DR drill under load and report RTO, failed requests and lost writes",
		run:     runDrill,
	}
}

// runDrill checks preconditions through the admin API and an audit of the clusters, runs
// the scenario while a paced read/write load goes through the endpoint, and reports as
// text, JSON or HTML. It exits 1 when a precondition fails (nothing touched), the drill
// could not complete, or an acknowledged write was lost or could not be verified.
func runDrill(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := newOpsFlags("drill", "--scenario switchover|fault --endpoint URL [-c esdr.yaml] [--accept-finding CODE]...", stderr)
	fs := o.fs
	scenario := fs.String("scenario", "switchover", "switchover (planned, to a standby and back) or fault (--fault-cmd, or --fault on a test bed)")
	configPath := fs.String("c", "", "esdr's configuration: reach the clusters with its credentials and TLS for the audit and the drill's index (default: the node URLs esdr reports, no credentials)")
	var accept listFlag
	fs.Var(&accept, "accept-finding", "an audit finding code of severity error to accept knowingly (repeat for more); every other error stops the drill")
	var ff faultFlags
	fs.StringVar(&ff.fault, "fault", "", "test-bed fault preset: kill, hang or partition of --testbed-cluster, recovered after the load (start, resume, heal)")
	fs.StringVar(&ff.cluster, "testbed-cluster", "", "with --fault: the test-bed cluster to break, as testbed status names it")
	fs.StringVar(&ff.bin, "testbed", "", "with --fault: the testbed binary (default: beside esdr, else on PATH)")
	fs.StringVar(&ff.dir, "testbed-dir", "", "with --fault: the test bed's state folder (default: testbed's own, $ESDR_TESTBED_DIR or .testbed)")
	endpoint := fs.String("endpoint", os.Getenv("ESDR_ENDPOINT"), "where applications send requests: esdr's proxy URL (env ESDR_ENDPOINT)")
	target := fs.String("to", "", "standby to move to (default: a healthy one)")
	faultCmd := fs.String("fault-cmd", "", "shell command that breaks the active cluster (fault scenario), e.g. 'bin/testbed kill --cluster primary'")
	recoverCmd := fs.String("recover-cmd", "", "shell command run after the load, before writes are verified, e.g. to restart what --fault-cmd broke")
	index := fs.String("index", "esdr-drill", "index the load writes to and searches (created when missing)")
	workers := fs.Int("workers", 4, "concurrent clients")
	every := fs.Duration("every", 10*time.Millisecond, "each client sends one request per this interval")
	writeEvery := fs.Int("write-every", 3, "every Nth request of a client is a write (0: reads only)")
	warmup := fs.Duration("warmup", 3*time.Second, "load before the fault")
	settle := fs.Duration("settle", 5*time.Second, "load after traffic moved")
	wait := fs.Duration("wait", 60*time.Second, "give up when esdr has not moved traffic after this long")
	htmlPath := fs.String("html", "", "also write a self-contained HTML report with a latency/error plot to this file")
	c, code := o.parse(args, stderr)
	if code >= 0 {
		return code
	}
	sc := drill.Scenario(*scenario)
	scenarioSet := false
	fs.Visit(func(f *flag.Flag) { scenarioSet = scenarioSet || f.Name == "scenario" })
	problems := ff.problems(scenarioSet, *scenario, *faultCmd, *recoverCmd)
	if ff.fault != "" {
		sc = drill.ScenarioFault
	}
	if sc != drill.ScenarioSwitchover && sc != drill.ScenarioFault {
		problems = append(problems, fmt.Sprintf("--scenario %q: want switchover or fault", *scenario))
	}
	if sc == drill.ScenarioFault && *faultCmd == "" && ff.fault == "" {
		problems = append(problems, "--fault-cmd (or --fault on a test bed): required for the fault scenario")
	}
	if sc == drill.ScenarioSwitchover && (*faultCmd != "" || *recoverCmd != "") {
		problems = append(problems, "--fault-cmd and --recover-cmd apply to the fault scenario only")
	}
	if *endpoint == "" {
		problems = append(problems, "--endpoint: required, the URL applications use (esdr's proxy)")
	}
	if *workers < 1 || *every <= 0 || *writeEvery < 0 || *wait <= 0 || *warmup < 0 || *settle < 0 {
		problems = append(problems, "--workers, --every, --wait: want positive values; --write-every, --warmup, --settle: not negative")
	}
	codes, bad := drill.AcceptedCodes(accept)
	problems = append(problems, bad...)
	if len(problems) == 0 && ff.fault != "" {
		var err error
		if *faultCmd, *recoverCmd, err = ff.expand(); err != nil {
			problems = append(problems, err.Error())
		}
	}
	var reach drill.Reach
	if len(problems) == 0 && *configPath != "" {
		var err error
		if reach.Config, err = config.Load(*configPath); err != nil {
			problems = append(problems, "-c: "+err.Error())
		}
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "esdr drill: %s\n", strings.Join(problems, "; "))
		return exitUsage
	}
	var progress io.Writer = stdout
	if o.json {
		progress = stderr // stdout carries only the JSON report
	}
	tlsCfg, _ := o.tlsConfig() // checked by parse
	d := &drill.Drill{
		Scenario: sc, API: c, TLS: tlsCfg, Endpoint: strings.TrimRight(*endpoint, "/"), MetricsURL: o.metricsURL(),
		Target: *target, FaultCmd: *faultCmd, RecoverCmd: *recoverCmd,
		Index: *index, Workers: *workers, Every: *every, WriteEvery: *writeEvery,
		Warmup: *warmup, Settle: *settle, Timeout: *wait,
		ES: reach.ES, Audit: reach.Audit, Accept: codes,
		Progress: progress,
	}
	rep, err := d.Run(ctx)
	if errors.Is(err, drill.ErrPreconditions) {
		fmt.Fprintln(stderr, "esdr drill: preconditions failed; nothing was touched:")
		for _, c := range rep.Checks {
			if !c.OK {
				fmt.Fprintf(stderr, "  %s: %s\n", c.Name, c.Detail)
			}
		}
		if o.json {
			_ = rep.WriteJSON(stdout)
		}
		return exitFail
	}
	if err != nil {
		rep.Problems = append(rep.Problems, err.Error())
	}
	if o.json {
		_ = rep.WriteJSON(stdout)
	} else {
		fmt.Fprintln(stdout)
		rep.WriteText(stdout)
	}
	if *htmlPath != "" {
		if herr := writeHTMLReport(*htmlPath, rep); herr != nil {
			fmt.Fprintf(stderr, "esdr drill: --html: %v\n", herr)
			return exitFail
		}
		fmt.Fprintf(stderr, "esdr drill: HTML report written to %s\n", *htmlPath)
	}
	unverified := false
	for _, v := range rep.Verified {
		unverified = unverified || v.Err != ""
	}
	if err != nil || rep.LostWrites > 0 || unverified {
		return exitFail
	}
	return exitOK
}

// metricsURL is esdr's /metrics on the admin listener, where the drill reads the
// proxy's retries: --addr resolved as for the API calls, so a bare host:port works here
// too.
func (o *opsFlags) metricsURL() string {
	return strings.TrimRight(o.adminURL(), "/") + "/metrics"
}

func writeHTMLReport(path string, rep *drill.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := rep.WriteHTML(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
