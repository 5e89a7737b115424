package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/drill"
	"github.com/esdr/esdr/testbed/esdrproc"
)

// decisionWait bounds the wait for esdr's failover event after the fault.
const decisionWait = 30 * time.Second

// settled waits, just before the fault, for the evidence that the fault will measure a
// failover: esdr has the primary active at epoch 1 (nothing moved since its start) and
// its last verdict on it is up. A transition already made is not an error: it voids the
// run, and the returned cause says when and why esdr moved.
func (b *bed) settled(ctx context.Context, e *esdrproc.Proc) (void string, err error) {
	err = e.WaitSettled(ctx, 10*time.Second, "primary")
	if errors.Is(err, esdrproc.ErrMoved) {
		return "esdr failed over before the fault was injected: " + err.Error(), nil
	}
	return "", err
}

// waitDecision waits for esdr's failover after the fault at faultAt and returns the time from
// the fault to its event. When there is none it returns why instead: a void run (esdr
// had moved before the fault) is not waited for; a transition recorded before faultAt,
// between the check and the fault, voids the run too; no transition within decisionWait
// is a real failure of esdr's, named by its last decision.
func (b *bed) waitDecision(ctx context.Context, e *esdrproc.Proc, faultAt time.Time, void string) (d time.Duration, voidOut, undecided string, err error) {
	if void != "" {
		return 0, void, "", nil
	}
	ev, err := e.WaitTransition(ctx, decisionWait, 2)
	if ctx.Err() != nil {
		return 0, "", "", ctx.Err()
	}
	if err != nil {
		st, serr := e.Client.Status(ctx)
		if serr != nil {
			return 0, "", fmt.Sprintf("no failover decision within %s of the fault (status: %v)", decisionWait, serr), nil
		}
		return 0, "", fmt.Sprintf("no failover decision within %s of the fault; esdr's last decision: %s: %s",
			decisionWait, st.LastDecision.Code, st.LastDecision.Reason), nil
	}
	if ev.At.Before(faultAt) {
		return 0, fmt.Sprintf("esdr failed over %s before the fault: %s",
			faultAt.Sub(ev.At).Round(time.Millisecond), esdrproc.Describe(ev)), "", nil
	}
	return ev.At.Sub(faultAt), "", "", nil
}

// counted reports whether a client's figures in r measure the fault. None do when esdr
// moved before it: esdr's clients were already on the standby, and the fence esdr put on
// the primary refused HAProxy's writes there before the fault.
func (r runResult) counted(load) bool { return r.void == "" }

// neverCause says why a client saw no answer from another cluster after the fault.
func neverCause(s drill.Summary, window time.Duration) string {
	switch s.Before {
	case "":
		return "no successful answer before the fault, so no cluster to move from"
	case "primary":
		return fmt.Sprintf("no successful answer from another cluster than the primary within the %s window", window)
	default:
		return fmt.Sprintf("the last answer before the fault already came from %s: traffic had moved before the fault", s.Before)
	}
}

// voided says how many runs' decisions were left out, for the decision line.
func voided(rs []runResult) string {
	n := 0
	for _, r := range rs {
		if r.void != "" {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (over %d runs: **%d void**, esdr had failed over before the fault; see below)", len(rs)-n, n)
}

// notes names, per run, why esdr's figures are void or missing and why a client's RTO
// is "never": a "never" in the tables always has its cause here.
func notes(b *bed, rs []runResult) string {
	var s strings.Builder
	for i, r := range rs {
		if r.void != "" {
			fmt.Fprintf(&s, "- run %d: **void** (every client) — %s\n", i+1, r.void)
			continue
		}
		if r.undecided != "" {
			fmt.Fprintf(&s, "- run %d, esdr: **never decided** — %s\n", i+1, r.undecided)
		}
		for _, l := range b.loads() {
			if o := r.byLoad[l]; o.sum.RTO <= 0 {
				fmt.Fprintf(&s, "- run %d, %s, %s: RTO **never** — %s\n", i+1, l.endpoint, l.mix, neverCause(o.sum, b.window))
			}
		}
	}
	if s.Len() == 0 {
		return ""
	}
	return "\nRuns without a measured failover:\n\n" + s.String()
}
