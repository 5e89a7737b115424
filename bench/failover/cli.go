package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/drill"
	"github.com/esdr/esdr/testbed/esdrproc"
)

// cliResult is one run of `esdr drill --scenario fault`, the binary as an operator runs
// it, and what the benchmark's own client saw through the same proxy at the same time.
type cliResult struct {
	report   drill.Report  // as the drill printed it (--json)
	phase    drill.Numbers // the fault phase's numbers
	exit     int
	observer drill.Summary // the benchmark's reads-only client, timed from the drill's fault
	artifact string        // the run's JSON, HTML and progress log
}

// cliDrill runs `esdr drill` against a fresh esdr on the pair: its --fault-cmd kills
// every primary node's process group (kill -9, as the benchmark does), its --recover-cmd
// asks this process to restart them so that the drill can verify the writes the primary
// acknowledged. The drill detects and reports by itself; the benchmark's reads-only client
// runs beside it as an independent observer. Then the pair is restored as after a run.
func (b *bed) cliDrill(ctx context.Context, i int, artifacts string) (cliResult, error) {
	res := cliResult{artifact: filepath.Join(artifacts, fmt.Sprintf("drill-%d", i))}
	if err := os.MkdirAll(res.artifact, 0o755); err != nil {
		return res, err
	}
	e, proxyAddr, err := b.startEsdr(ctx, filepath.Join(b.dir, fmt.Sprintf("drill-%d", i)))
	if err != nil {
		return res, err
	}
	defer e.Stop()
	hook, err := b.recoverHook(ctx)
	if err != nil {
		return res, err
	}
	defer hook.Close()

	index, observed := fmt.Sprintf("bench-drill-%d", i), fmt.Sprintf("bench-drill-%d-observer", i)
	if err := drill.Prepare(ctx, b.esP, observed, 1); err != nil {
		return res, err
	}
	if err := drill.Prepare(ctx, b.esS, observed, 0); err != nil {
		return res, err
	}
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	got := make(chan []drill.Sample, 1)
	obs := drill.Load{URL: "http://" + proxyAddr, Index: observed, Workers: 1, Every: 10 * time.Millisecond, Timeout: 10 * time.Second}
	go func() { got <- obs.Run(lctx) }()

	var pgs []string
	for _, n := range b.primary.Nodes {
		pgs = append(pgs, "-"+strconv.Itoa(n.PID())) // each node leads its process group
	}
	htmlPath := filepath.Join(res.artifact, "drill.html")
	cmd := exec.CommandContext(ctx, b.esdrBin, "drill", "--scenario", "fault",
		"--fault-cmd", "kill -9 "+strings.Join(pgs, " "),
		"--recover-cmd", "curl -fsS -m 170 -X POST http://"+hook.Addr().String()+"/recover",
		"--accept-finding", "live-masters-too-few", // the bench's standby has one node, as the test bed's
		"--endpoint", "http://"+proxyAddr, "--addr", "http://"+e.Addr, "--index", index,
		"--wait", "3m", "--json", "--html", htmlPath)
	cmd.Env = append(os.Environ(), "ESDR_ADMIN_TOKEN="+esdrproc.Token)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	stop()
	samples := <-got
	_ = os.WriteFile(filepath.Join(res.artifact, "drill.json"), stdout.Bytes(), 0o644)
	_ = os.WriteFile(filepath.Join(res.artifact, "drill.log"), stderr.Bytes(), 0o644)
	var exitErr *exec.ExitError
	switch {
	case errors.As(runErr, &exitErr):
		res.exit = exitErr.ExitCode()
	case runErr != nil:
		return res, fmt.Errorf("esdr drill: %w", runErr)
	}
	if err := json.Unmarshal(stdout.Bytes(), &res.report); err != nil {
		return res, fmt.Errorf("esdr drill (exit %d): report: %w\n%s", res.exit, err, tail(stderr.String(), 20))
	}
	if len(res.report.Phases) != 1 || res.report.Phases[0].Numbers == nil {
		return res, fmt.Errorf("esdr drill (exit %d): no fault phase in its report\n%s", res.exit, tail(stderr.String(), 20))
	}
	res.phase = *res.report.Phases[0].Numbers
	res.observer = drill.Summarize(samples, res.report.Phases[0].At)

	// Restore the pair as after a benchmark run: esdr stopped before the fence is lifted.
	e.Stop()
	if err := b.heal(ctx, faultKill); err != nil {
		return res, err
	}
	if err := b.waitGreen(ctx, index, observed); err != nil {
		return res, err
	}
	return res, b.dropIndices(ctx, index, observed)
}

// recoverHook serves POST /recover for the drill's --recover-cmd: it restarts the primary
// nodes the fault command killed and answers once the cluster has formed again. It only
// restarts; the fence esdr puts on the old primary is lifted after esdr stopped (heal).
func (b *bed) recoverHook(ctx context.Context) (net.Listener, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /recover", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rctx, cancel := context.WithTimeout(ctx, 160*time.Second)
		defer cancel()
		err := b.primary.Kill() // waits until the killed processes are reaped; no signal to a gone node
		if err == nil {
			err = b.primary.Start()
		}
		if err == nil {
			err = b.primary.WaitFormed(rctx, len(b.primary.Nodes))
		}
		if err != nil {
			http.Error(w, "restart primary: "+err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "primary restarted, formed in %s\n", time.Since(start).Round(time.Second))
	})
	go func() { _ = http.Serve(l, mux) }() // ends when the caller closes l
	return l, nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
