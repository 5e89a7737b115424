package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/esdr/esdr/internal/admin"
)

// The `esdr snapshot` group: operator commands of snapshot sync.

func init() {
	commands["snapshot"] = command{
		summary: "snapshot sync: run a cycle now (esdr snapshot sync-now)",
		run:     runSnapshot,
	}
}

const syncNowSummary = "start a snapshot sync cycle now instead of at the end of the interval; with --wait, wait for its result"

// snapshotCommands are the subcommands of esdr snapshot.
var snapshotCommands = map[string]command{
	"sync-now": {syncNowSummary, runSyncNow},
}

func runSnapshot(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, "usage: esdr snapshot SUBCOMMAND [flags]\n\nsubcommands:")
		names := make([]string, 0, len(snapshotCommands))
		for n := range snapshotCommands {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(stderr, "  %-10s %s\n", n, snapshotCommands[n].summary)
		}
		fmt.Fprintln(stderr, "\nrun 'esdr snapshot SUBCOMMAND -h' for its flags")
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	sub, ok := snapshotCommands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "esdr snapshot: unknown subcommand %q; run 'esdr snapshot help' for the list\n", args[0])
		return exitUsage
	}
	return sub.run(ctx, args[1:], stdout, stderr)
}

// syncPoll is how often --wait asks for the status.
const syncPoll = time.Second

// runSyncNow starts a cycle now. With --wait it then follows esdr status until that
// cycle ends and exits 1 when it failed.
func runSyncNow(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := newOpsFlags("snapshot sync-now", "[--wait [--within DURATION]]", stderr)
	o.fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: esdr snapshot sync-now [--wait [--within DURATION]] [flags]\n\n%s\n\nflags:\n", syncNowSummary)
		o.fs.PrintDefaults()
	}
	wait := o.fs.Bool("wait", false, "wait for the cycle's end and say how it went (exit 1 when it failed)")
	within := o.fs.Duration("within", 30*time.Minute, "with --wait, give up waiting after this long (the cycle goes on)")
	c, code := o.parse(args, stderr)
	if code >= 0 {
		return code
	}
	if *within <= 0 {
		fmt.Fprintf(stderr, "esdr snapshot sync-now: --within %s: want a positive duration\n", *within)
		return exitUsage
	}
	cctx, cancel := o.call(ctx)
	a, err := c.SnapshotSyncNow(cctx)
	cancel()
	if err != nil {
		return o.fail(stderr, err)
	}
	if !*wait {
		if o.json {
			return printJSON(stdout, stderr, a)
		}
		fmt.Fprintf(stdout, "snapshot sync-now: a cycle from %s to %s started (esdr status shows it; --wait waits for it)\n", a.From, a.To)
		return exitOK
	}
	st, err := waitCycle(ctx, c, a.Cycles, *within, o.timeout)
	if err != nil {
		fmt.Fprintf(stderr, "esdr snapshot sync-now: %v\n", err)
		return exitFail
	}
	if o.json {
		return printJSON(stdout, stderr, st)
	}
	if st.LastError != "" && (st.LastGood == nil || st.LastGoodSnapshot == a.LastGoodSnapshot) {
		fmt.Fprintf(stdout, "snapshot sync-now: the cycle failed: %s (the standby keeps %s)\n", st.LastError, orNone(a.LastGoodSnapshot))
		return exitFail
	}
	fmt.Fprintf(stdout, "snapshot sync-now: %s restored on %s (%d indices restored in all)\n", st.LastGoodSnapshot, a.To, st.Restored)
	return exitOK
}

// waitCycle follows the status until a cycle after the first `before` has ended.
func waitCycle(ctx context.Context, c *admin.Client, before uint64, within, callTimeout time.Duration) (*admin.SnapshotStatus, error) {
	deadline := time.Now().Add(within)
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		st, err := c.Status(cctx)
		cancel()
		if err == nil && st.Snapshot != nil && st.Snapshot.Cycles > before && !st.Snapshot.Running {
			return st.Snapshot, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no end of the cycle within %s (it goes on; esdr status shows it)", within)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(syncPoll):
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "no snapshot"
	}
	return s
}
