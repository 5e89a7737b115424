package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what one wrk run measured.
type wrkResult struct {
	RPS      float64
	P50, P99 time.Duration
	Requests int
	// Errors counts non-2xx/3xx answers and socket errors (connect, read, write, timeout).
	Errors int
	// RSS is the peak resident memory of the process in the way (0 for direct).
	RSS int64
	// CPU is the CPU time the process in the way used during the run (0 for direct).
	CPU time.Duration
}

var (
	rpsRE     = regexp.MustCompile(`(?m)^Requests/sec:\s+([\d.]+)`)
	pctRE     = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$`)
	totalRE   = regexp.MustCompile(`(?m)^\s+(\d+) requests in`)
	non2xxRE  = regexp.MustCompile(`(?m)^\s+Non-2xx or 3xx responses:\s+(\d+)`)
	socketsRE = regexp.MustCompile(`(?m)^\s+Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// runWrk runs wrk against url with conns connections for d and parses its report.
func runWrk(ctx context.Context, url string, threads, conns int, d time.Duration) (wrkResult, string, error) {
	args := []string{"-t", strconv.Itoa(min(threads, conns)), "-c", strconv.Itoa(conns),
		"-d", fmt.Sprintf("%ds", int(d.Seconds())), "--latency", "--timeout", "5s", url}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "wrk", args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return wrkResult{}, "", fmt.Errorf("wrk %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	r, err := parseWrk(out.String())
	if err != nil {
		return r, "", fmt.Errorf("wrk %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return r, "wrk " + strings.Join(args, " "), nil
}

// parseWrk reads requests/s, the 50th and 99th latency percentiles and errors from
// wrk's --latency output.
func parseWrk(s string) (wrkResult, error) {
	var r wrkResult
	m := rpsRE.FindStringSubmatch(s)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec line")
	}
	r.RPS, _ = strconv.ParseFloat(m[1], 64)
	for _, m := range pctRE.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute}[m[3]]
		d := time.Duration(v * float64(unit))
		if m[1] == "50" {
			r.P50 = d
		} else {
			r.P99 = d
		}
	}
	if r.P50 == 0 || r.P99 == 0 {
		return r, fmt.Errorf("no latency distribution (wrk --latency)")
	}
	if m := totalRE.FindStringSubmatch(s); m != nil {
		r.Requests, _ = strconv.Atoi(m[1])
	}
	if m := non2xxRE.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		r.Errors += n
	}
	if m := socketsRE.FindStringSubmatch(s); m != nil {
		for _, x := range m[1:] {
			n, _ := strconv.Atoi(x)
			r.Errors += n
		}
	}
	return r, nil
}
