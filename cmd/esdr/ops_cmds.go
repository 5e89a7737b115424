package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/state"
)

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := newOpsFlags("status", "", stderr)
	c, code := o.parse(args, stderr)
	if code >= 0 {
		return code
	}
	ctx, cancel := o.call(ctx)
	defer cancel()
	st, err := c.Status(ctx)
	if err != nil {
		return o.fail(stderr, err)
	}
	if o.json {
		return printJSON(stdout, stderr, st)
	}
	printStatus(stdout, st)
	return exitOK
}

func runEvents(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := newOpsFlags("events", "[--after N] [--limit N]", stderr)
	after := o.fs.Uint64("after", 0, "show events with a sequence number greater than this")
	limit := o.fs.Int("limit", 50, fmt.Sprintf("show at most this many events (1 to %d)", maxEventLimit))
	c, code := o.parse(args, stderr)
	if code >= 0 {
		return code
	}
	if *limit < 1 || *limit > maxEventLimit {
		fmt.Fprintf(stderr, "esdr events: --limit %d: want 1 to %d\n", *limit, maxEventLimit)
		return exitUsage
	}
	newest := true // without --after, the newest events: what an incident needs first
	o.fs.Visit(func(f *flag.Flag) { newest = newest && f.Name != "after" })
	ctx, cancel := o.call(ctx)
	defer cancel()
	var evs []state.Event
	var err error
	if newest {
		evs, err = lastEvents(ctx, c, *limit)
	} else {
		evs, err = c.Events(ctx, *after, *limit)
	}
	if err != nil {
		return o.fail(stderr, err)
	}
	if o.json {
		if evs == nil {
			evs = []state.Event{}
		}
		return printJSON(stdout, stderr, struct {
			Events []state.Event `json:"events"`
		}{evs})
	}
	printEvents(stdout, evs, *after, *limit, newest)
	return exitOK
}

// lastEvents reads the event log to its end, a server page at a time (it keeps at most
// 10,000 events, so at most ten calls), and returns the newest limit events.
func lastEvents(ctx context.Context, c *admin.Client, limit int) ([]state.Event, error) {
	var tail []state.Event
	var after uint64
	for {
		page, err := c.Events(ctx, after, maxEventLimit)
		if err != nil {
			return nil, err
		}
		tail = append(tail, page...)
		if len(tail) > limit {
			tail = tail[len(tail)-limit:]
		}
		if len(page) < maxEventLimit {
			return tail, nil
		}
		after = page[len(page)-1].Seq
	}
}

func runSwitchover(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := newOpsFlags("switchover", "--to NAME [--force]", stderr)
	to := o.fs.String("to", "", "the cluster to move traffic to (required)")
	force := o.fs.Bool("force", false, "switch even if the target is not known to be up")
	c, code := o.parse(args, stderr)
	if code >= 0 {
		return code
	}
	if *to == "" {
		fmt.Fprintln(stderr, "esdr switchover: --to is required: the name of a configured cluster (see esdr status)")
		return exitUsage
	}
	cctx, cancel := o.call(ctx)
	before, berr := c.Status(cctx)
	cancel()
	cctx, cancel = o.call(ctx)
	defer cancel()
	d, err := c.Switchover(cctx, *to, *force)
	if err != nil {
		if berr == nil && stored(ctx, o, c, before.State.Epoch, *to, stderr) {
			return exitOK
		}
		return o.fail(stderr, err)
	}
	return o.printDecision(stdout, stderr, d)
}

// stored says, when a switchover's answer did not come (its plan's first run happens in
// the decision round, and a target that hangs holds it), whether esdr stored it anyway:
// then the switchover happened, and the operator must not be told esdr could not be
// reached.
func stored(ctx context.Context, o *opsFlags, c *admin.Client, epoch uint64, to string, stderr io.Writer) bool {
	cctx, cancel := o.call(ctx)
	defer cancel()
	st, err := c.Status(cctx)
	if err != nil || st.State.Epoch <= epoch || st.State.Active != to {
		return false
	}
	plan := "not started yet"
	if p := st.Plan; p != nil && p.Epoch == st.State.Epoch {
		plan = string(p.Status)
	}
	fmt.Fprintf(stderr, "esdr switchover: the answer did not come in time, but esdr stored it: %s is active at epoch %d; its plan is %s (esdr status shows its steps)\n",
		to, st.State.Epoch, plan)
	return true
}

// opCommand builds a subcommand that sends one argument-less command (pause, resume, ack).
func opCommand(name string, send func(*admin.Client, context.Context) (decide.Decision, error)) func(context.Context, []string, io.Writer, io.Writer) int {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		o := newOpsFlags(name, "", stderr)
		c, code := o.parse(args, stderr)
		if code >= 0 {
			return code
		}
		ctx, cancel := o.call(ctx)
		defer cancel()
		d, err := send(c, ctx)
		if err != nil {
			return o.fail(stderr, err)
		}
		return o.printDecision(stdout, stderr, d)
	}
}

func (o *opsFlags) printDecision(stdout, stderr io.Writer, d decide.Decision) int {
	if o.json {
		return printJSON(stdout, stderr, d)
	}
	printDecision(stdout, d)
	return exitOK
}
