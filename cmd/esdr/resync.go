package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/esdr/esdr/internal/admin"
)

func init() {
	commands["resync"] = command{
		summary: "bring a returned cluster up to date before a failback: mirror replay and snapshot sync to it, then compare counts per index",
		run:     runResync,
	}
}

// resyncPoll is how often esdr resync reads the lag while the replay runs.
const resyncPoll = time.Second

// runResync is the failback resync: esdr lifts the returned cluster's fence, the journal
// replays what it lacks (mirror mode) and a snapshot sync cycle restores on it the
// indices written around esdr (snapshot sync), while the active cluster goes on serving;
// then, in mirror mode, the document counts of both clusters are compared index by index.
// It exits 0 when the cluster lacks nothing esdr can tell of (the switchover back is then
// safe and short; more documents there are reported), 1 otherwise.
func runResync(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := newOpsFlags("resync", "--to NAME [--index PATTERN] [--wait DURATION]", stderr)
	to := o.fs.String("to", "", "the cluster to resync: the one traffic left, now back (required)")
	index := o.fs.String("index", "", "compare only the indices matching this pattern (default: every index not starting with a dot)")
	wait := o.fs.Duration("wait", 30*time.Minute, "give up when the replay has not finished after this long")
	c, code := o.parse(args, stderr)
	if code >= 0 {
		return code
	}
	switch {
	case *to == "":
		fmt.Fprintln(stderr, "esdr resync: --to is required: the name of the cluster to resync, see esdr status")
		return exitUsage
	case *wait <= 0:
		fmt.Fprintf(stderr, "esdr resync: --wait %s: want a positive duration such as 30m\n", *wait)
		return exitUsage
	}
	progress := stdout
	if o.json {
		progress = stderr // stdout carries only the JSON comparison
	}
	cctx, cancel := o.call(ctx)
	before, err := c.Status(cctx)
	cancel()
	if err != nil {
		return o.fail(stderr, err)
	}
	// Lifting the fence is retried on esdr's side like a plan step: bounded past --timeout.
	slow, cctx, cancel, err := o.longCall(ctx)
	if err != nil {
		return o.fail(stderr, err)
	}
	a, err := slow.Resync(cctx, *to)
	cancel()
	if err != nil {
		return o.fail(stderr, err)
	}
	deadline := time.Now().Add(*wait)
	if before.Mirror != nil {
		fmt.Fprintf(progress, "resync: fence of %s lifted; it lacks %d journaled writes, replaying them\n", a.Cluster, a.Pending)
		if code := waitReplayed(ctx, o, c, *to, *wait, progress, stderr); code >= 0 {
			return code
		}
	} else {
		fmt.Fprintf(progress, "resync: fence of %s lifted\n", a.Cluster)
	}
	if before.Snapshot != nil {
		fmt.Fprintf(progress, "resync: snapshot sync: %s\n", a.Snapshot)
		if code := waitSnapshotCycle(ctx, o, c, *to, before.Snapshot, deadline, progress, stderr); code >= 0 {
			return code
		}
	}
	next := "Next: esdr switchover --to " + *to
	if p := preferredOf(before); p != "" && p != *to {
		next = "It stays writable and takes the replay: the standby is warm again"
	}
	if before.Mirror == nil {
		fmt.Fprintf(progress, "resync: %s holds the snapshot-synced indices as the last cycle found them (without mirror mode, "+
			"writes through esdr are not compared). %s\n", *to, next)
		return exitOK
	}
	// The comparison retries for a few seconds on esdr's side: bounded past --timeout.
	slow, cctx, cancel, err = o.longCall(ctx)
	if err != nil {
		return o.fail(stderr, err)
	}
	cmp, err := slow.CompareCounts(cctx, *to, *index)
	cancel()
	if err != nil {
		return o.fail(stderr, err)
	}
	if o.json {
		_ = json.NewEncoder(stdout).Encode(cmp)
	} else {
		printCounts(stdout, cmp)
	}
	if len(cmp.Lacks) > 0 {
		fmt.Fprintf(stderr, "esdr resync: %s has fewer documents than %s in %d of %d indices: writes made around esdr are not "+
			"mirrored (snapshot_sync, or copy them), and writes still flowing can trail; run esdr resync again, or narrow --index\n",
			cmp.Target, cmp.Active, len(cmp.Lacks), len(cmp.Indices))
		return exitFail
	}
	if len(cmp.Extra) > 0 {
		fmt.Fprintf(stderr, "esdr resync: warning: %s has more documents than %s in %d indices: writes it applied that never reached "+
			"the journal (clients were told their outcome was unknown when it failed mid-request, or writes made around esdr); "+
			"they stay on %s only unless you remove or copy them\n", cmp.Target, cmp.Active, len(cmp.Extra), cmp.Target)
	}
	fmt.Fprintf(progress, "resync: %s holds every write acknowledged through esdr; no index lacks documents (%d compared, %d equal). %s\n",
		*to, len(cmp.Indices), len(cmp.Indices)-len(cmp.Differ), next)
	return exitOK
}

// waitReplayed polls status until to lacks nothing, printing the lag as it shrinks. It
// returns -1 when done, or the exit code.
func waitReplayed(ctx context.Context, o *opsFlags, c *admin.Client, to string, wait time.Duration, progress, stderr io.Writer) int {
	last := uint64(1<<64 - 1)
	var n uint64
	return pollStatus(ctx, o, c, time.Now().Add(wait), stderr, func(st admin.Status) (int, bool) {
		if st.Mirror == nil {
			fmt.Fprintln(stderr, "esdr resync: esdr's status has no mirror section: mirror mode is off")
			return exitFail, true
		}
		n = st.Mirror.Pending[to]
		if owed, ok := st.Mirror.Owed[to]; ok {
			n = owed // in a fleet, the other members' journals too
		}
		if n == 0 {
			return -1, true
		}
		if stop := st.Mirror.Stopped; strings.Contains(stop, "to "+to+": ") {
			fmt.Fprintf(stderr, "esdr resync: replication to %s stopped, %d journaled writes short: %s; fix the cause on %s, run esdr mirror restart --to %s, then esdr resync again\n",
				to, n, stop, to, to)
			return exitFail, true
		}
		if n != last {
			fmt.Fprintf(progress, "resync: %s lacks %d journaled writes (%.0f/s replayed)\n", to, n, st.Mirror.Rate)
			last = n
		}
		return 0, false
	}, func() {
		fmt.Fprintf(stderr, "esdr resync: %s still lacks %d journaled writes after %s; see esdr status (last error, and in a fleet "+
			"which member owes them: a dead one's wait for its return or esdr mirror forget) and try again\n", to, n, wait)
	})
}

// pollStatus reads esdr's status every resyncPoll and hands it to step until step has
// an outcome (its exit code, or -1: the command goes on) or deadline passes, when late
// says why and the command fails.
func pollStatus(ctx context.Context, o *opsFlags, c *admin.Client, deadline time.Time, stderr io.Writer,
	step func(admin.Status) (int, bool), late func()) int {
	for {
		cctx, cancel := o.call(ctx)
		st, err := c.Status(cctx)
		cancel()
		if err != nil {
			return o.fail(stderr, err)
		}
		if code, done := step(st); done {
			return code
		}
		if time.Now().After(deadline) {
			late()
			return exitFail
		}
		select {
		case <-ctx.Done():
			return exitFail
		case <-time.After(resyncPoll):
		}
	}
}

func printCounts(w io.Writer, cmp admin.CountComparison) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "index\t%s (active)\t%s\t\n", cmp.Active, cmp.Target)
	for _, ic := range cmp.Indices {
		mark := ""
		switch {
		case ic.Target < ic.Active:
			mark = "LACKS"
		case ic.Target > ic.Active:
			mark = "EXTRA"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ic.Index, count(ic.Active), count(ic.Target), mark)
	}
	tw.Flush()
}

func count(n int64) string {
	if n < 0 {
		return "missing"
	}
	return fmt.Sprint(n)
}
