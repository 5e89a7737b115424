package main

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/esdr/esdr/internal/admin"
)

// The `esdr mirror` group: operator commands of mirror mode's replication. (The failback
// resync, older, stays `esdr resync`.)

func init() {
	commands["mirror"] = command{
		summary: "mirror mode: restart a stopped replication (esdr mirror restart)",
		run:     runMirror,
	}
}

// restartSummary says what esdr mirror restart does.
const restartSummary = "start a stopped replication again from the record it stopped at, or skip that record explicitly"

// mirrorCommands are the subcommands of esdr mirror.
var mirrorCommands = map[string]command{
	"restart": {restartSummary, runMirrorRestart},
}

func runMirror(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, "usage: esdr mirror SUBCOMMAND [flags]\n\nsubcommands:")
		names := make([]string, 0, len(mirrorCommands))
		for n := range mirrorCommands {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(stderr, "  %-10s %s\n", n, mirrorCommands[n].summary)
		}
		fmt.Fprintln(stderr, "\nrun 'esdr mirror SUBCOMMAND -h' for its flags")
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	sub, ok := mirrorCommands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "esdr mirror: unknown subcommand %q; run 'esdr mirror help' for the list\n", args[0])
		return exitUsage
	}
	return sub.run(ctx, args[1:], stdout, stderr)
}

// runMirrorRestart starts a replication that stopped (a record the cluster refused for
// good, a damaged journal) again, once the cause is fixed, without restarting esdr: it
// resumes at its checkpoint, so the refused record is sent again. With --skip SEQ, the
// record it stopped at is left out instead (SEQ must be that record's, from esdr
// status): a write the active cluster acknowledged that the cluster will never get.
func runMirrorRestart(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := newOpsFlags("mirror restart", "[--to CLUSTER] [--skip SEQ]", stderr)
	o.fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: esdr mirror restart [--to CLUSTER] [--skip SEQ] [flags]\n\n%s\n\nflags:\n", restartSummary)
		o.fs.PrintDefaults()
	}
	to := o.fs.String("to", "", "the cluster whose replication stopped (default: the one that stopped, if only one did)")
	skip := o.fs.Uint64("skip", 0, "leave out this record, which must be the one replication stopped at (esdr status: stopped at seq); "+
		"the write is dropped for that cluster for good, and recorded as an event")
	c, code := o.parse(args, stderr)
	if code >= 0 {
		return code
	}
	cctx, cancel := o.call(ctx)
	defer cancel()
	a, err := c.RestartMirror(cctx, *to, *skip)
	if err != nil {
		return o.fail(stderr, err)
	}
	if a.Warning != "" {
		fmt.Fprintf(stderr, "esdr mirror restart: warning: %s\n", a.Warning)
	}
	if o.json {
		return printJSON(stdout, stderr, a)
	}
	printRestart(stdout, a)
	return exitOK
}

func printRestart(w io.Writer, a admin.RestartAnswer) {
	if a.Skipped != 0 {
		fmt.Fprintf(w, "mirror restart: seq %d skipped for %s: %s is dropped for %s, which will never have it (recorded as an event)\n",
			a.Skipped, a.Cluster, a.SkippedRecord, a.Cluster)
	}
	fmt.Fprintf(w, "mirror restart: replication to %s restarted from seq %d; it lacks %d journaled writes (esdr status shows it catch up)\n",
		a.Cluster, a.From, a.Pending)
	if a.StoppedAt != 0 && a.Skipped == 0 {
		fmt.Fprintf(w, "mirror restart: it had stopped at seq %d; if it is refused again, it stops again there\n", a.StoppedAt)
	}
}
