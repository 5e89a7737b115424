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
		summary: "mirror mode: restart a stopped replication, forget a dead fleet member's journal",
		run:     runMirror,
	}
}

// restartSummary says what esdr mirror restart does.
const restartSummary = "start a stopped replication again from the record it stopped at, or skip that record explicitly"

// mirrorCommands are the subcommands of esdr mirror.
var mirrorCommands = map[string]command{
	"restart": {restartSummary, runMirrorRestart},
	"forget":  {forgetSummary, runMirrorForget},
}

// forgetSummary says what esdr mirror forget does.
const forgetSummary = "give up the writes a fleet member whose host is gone for good journaled and never replayed"

// runMirrorForget deletes a dead fleet member's mirror report: the writes its journal
// owed are given up, and the failover bound and the other members' gates stop waiting
// for it. The member must not be alive.
func runMirrorForget(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := newOpsFlags("mirror forget", "--member MEMBER", stderr)
	o.fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: esdr mirror forget --member MEMBER [flags]\n\n%s: the writes it owed are lost for the clusters that lacked them\n"+
			"(recorded as an event); the failover bound and the other members' writes stop waiting for it.\n\nflags:\n", forgetSummary)
		o.fs.PrintDefaults()
	}
	member := o.fs.String("member", "", "the fleet member whose journal is given up (esdr status lists the mirror reports); it must not be alive")
	c, code := o.parse(args, stderr)
	if code >= 0 {
		return code
	}
	if *member == "" {
		fmt.Fprintln(stderr, "esdr mirror forget: --member is required: the fleet member's name (esdr status lists the mirror reports)")
		return exitUsage
	}
	cctx, cancel := o.call(ctx)
	defer cancel()
	a, err := c.ForgetMirror(cctx, *member)
	if err != nil {
		return o.fail(stderr, err)
	}
	if a.Warning != "" {
		fmt.Fprintf(stderr, "esdr mirror forget: warning: %s\n", a.Warning)
	}
	if o.json {
		return printJSON(stdout, stderr, a)
	}
	fmt.Fprintf(stdout, "mirror forget: %s forgotten; given up, as it last reported %s ago at epoch %d: %v (recorded as an event)\n",
		a.Member, a.Reported, a.Epoch, a.Owed)
	return exitOK
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
