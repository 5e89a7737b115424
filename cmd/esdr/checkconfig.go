package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/esdr/esdr/internal/config"
)

func init() {
	commands["check-config"] = command{
		summary: "validate a configuration file without running anything",
		run:     runCheckConfig,
	}
}

// runCheckConfig exits 0 when the file is valid and 2 with every problem listed, one
// per line as "key: what is wrong, what is allowed", when it is not.
func runCheckConfig(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("c", "", "configuration file (required)")
	quiet := fs.Bool("q", false, "print nothing when the file is valid")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *path == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "esdr check-config: usage: esdr check-config -c FILE")
		return exitUsage
	}
	cfg, err := config.Load(*path)
	if err != nil {
		var ps config.Problems
		if errors.As(err, &ps) {
			fmt.Fprintf(stderr, "esdr check-config: %s: %d problem(s):\n", *path, len(ps))
			for _, p := range ps {
				fmt.Fprintln(stderr, p.String())
			}
			return exitUsage
		}
		fmt.Fprintf(stderr, "esdr check-config: %v\n", err)
		return exitUsage
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, "warning: "+w)
	}
	if !*quiet {
		names := make([]string, len(cfg.Clusters))
		for i, c := range cfg.Clusters {
			names[i] = c.Name
		}
		h := cfg.Health
		fmt.Fprintf(stdout, "%s: ok: clusters %v (primary %s); probes every %s, down after %d failures (~%s), up after %d successes\n",
			*path, names, names[0], h.Interval, h.FailureThreshold, h.DetectionTime(), h.SuccessThreshold)
	}
	return exitOK
}
