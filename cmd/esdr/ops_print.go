package main

// Human output of the operator subcommands: short, aligned, and saying what to run next
// when esdr is in a state that needs a person (paused, in hold-down).

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/state"
)

// maxDetail keeps one cluster or event on one terminal line.
const maxDetail = 72

// maxLine bounds a field on a line of its own.
const maxLine = 400

func printJSON(stdout, stderr io.Writer, v any) int {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "esdr: encoding the answer as JSON: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "%s\n", b)
	return exitOK
}

func printStatus(w io.Writer, st admin.Status) {
	s := st.State
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if s.Active == "" {
		fmt.Fprintln(tw, "active:\tnone chosen yet")
	} else {
		fmt.Fprintf(tw, "active:\t%s (epoch %d, since %s)\n", s.Active, s.Epoch, stamp(s.ActiveSince))
	}
	if s.Paused {
		fmt.Fprintln(tw, "paused:\tyes: observing only; run 'esdr resume' to let esdr act again")
	} else {
		fmt.Fprintln(tw, "paused:\tno")
	}
	if st.HoldDownActive {
		fmt.Fprintf(tw, "hold-down:\tuntil %s: no automatic transition; run 'esdr ack' to lift it\n", stamp(s.HoldDownUntil))
	} else {
		fmt.Fprintln(tw, "hold-down:\tno")
	}
	if t := s.LastTransition; t != nil {
		fmt.Fprintf(tw, "last transition:\t%s %s -> %s at %s (%s)\n", t.Kind, orDash(t.From), t.To, stamp(t.At), t.Code)
	}
	d := st.LastDecision
	switch {
	case d.Code == "" && st.Fleet != nil && !st.Fleet.Leading:
		fmt.Fprintf(tw, "last decision:\t- (this member does not lead: the leader %s decides; see its status)\n", orDash(st.Fleet.Leader))
	default:
		fmt.Fprintf(tw, "last decision:\t%s: %s\n", orDash(string(d.Code)), line(d.Reason))
	}
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tACTIVE\tVERDICT\tLAST\tDETAIL")
	for _, c := range st.Clusters {
		active := ""
		if c.Active {
			active = "*"
		}
		o := c.Observation
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, orDash(c.Role), orDash(active),
			orDash(string(o.Verdict)), orDash(string(o.Last)), orDash(clip(o.Detail)))
	}
	tw.Flush()
	printPlan(w, st)
	printFleet(w, st.Fleet)
	printMirror(w, st.Mirror, s.Active, preferredOf(st))
	printSnapshot(w, st.Snapshot)
}

// printEvents prints a page of events; when the page is full it says how to get the next.
func printEvents(w io.Writer, evs []state.Event, after uint64, limit int, newest bool) {
	switch {
	case len(evs) == 0 && newest:
		fmt.Fprintln(w, "no events")
		return
	case len(evs) == 0:
		fmt.Fprintf(w, "no events after %d\n", after)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tKIND\tCODE\tEPOCH\tCLUSTER\tMESSAGE")
	for _, e := range evs {
		cluster := e.Cluster
		if e.From != "" || e.To != "" {
			cluster = orDash(e.From) + " -> " + orDash(e.To)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", e.Seq, stamp(e.At), e.Kind, orDash(string(e.Code)),
			e.Epoch, orDash(cluster), line(e.Message))
	}
	tw.Flush()
	switch {
	case newest && evs[0].Seq > 1:
		var before uint64 // the page before the first shown
		if first := evs[0].Seq; first > uint64(limit)+1 {
			before = first - uint64(limit) - 1
		}
		fmt.Fprintf(w, "(the newest %d; older ones: esdr events --after %d)\n", len(evs), before)
	case !newest && len(evs) == limit:
		fmt.Fprintf(w, "(more may follow: esdr events --after %d)\n", evs[len(evs)-1].Seq)
	}
}

// printDecision says what a command did in one line, leading with the action so that a
// transition reads differently from bookkeeping.
func printDecision(w io.Writer, d decide.Decision) {
	if d.Transitions() {
		fmt.Fprintf(w, "%s: %s -> %s, epoch %d (%s): %s\n", d.Action, orDash(d.From), d.To, d.Epoch, d.Code, d.Reason)
		return
	}
	fmt.Fprintf(w, "%s (%s): %s\n", d.Action, d.Code, d.Reason)
}

// stamp prints times in UTC to the second: operators compare them across hosts and logs.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// clip makes s one line of at most maxDetail characters, so a long error from a cluster
// cannot break the table.
func clip(s string) string { return clipTo(s, maxDetail) }

// line bounds a field printed on a line of its own (a decision, an error): long enough
// for the cause, which comes last.
func line(s string) string { return clipTo(s, maxLine) }

func clipTo(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-3]) + "..."
	}
	return s
}

// preferredOf is the configuration's primary: the cluster a failback returns to.
func preferredOf(st admin.Status) string {
	for _, c := range st.Clusters {
		if c.Role == "primary" {
			return c.Name
		}
	}
	return ""
}
