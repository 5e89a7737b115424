package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
)

func init() {
	commands["reapply"] = command{
		summary: "point every traffic target (Route 53, RFC 2136, etcd, HAProxy) at the active cluster again",
		run:     runReapply,
	}
}

// runReapply asks esdr to re-run the switch steps of the current epoch, for targets
// that lost what esdr set: HAProxy's runtime server states after a reload, a record
// edited by hand, or targets never pointed at all (a first start runs no plan). It
// exits 1 when a target could not be set.
func runReapply(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := newOpsFlags("reapply", "", stderr)
	if _, code := o.parse(args, stderr); code >= 0 {
		return code
	}
	// Targets verify what they did (Route 53 waits for INSYNC), which can outlast
	// --timeout: esdr bounds the call itself at a minute.
	slow, ctx, cancel, err := o.longCall(ctx)
	if err != nil {
		return o.fail(stderr, err)
	}
	defer cancel()
	a, err := slow.Reapply(ctx)
	if err != nil {
		return o.fail(stderr, err)
	}
	if o.json {
		_ = json.NewEncoder(stdout).Encode(a)
	}
	failed := 0
	for _, t := range a.Targets {
		if t.Error != "" {
			failed++
			fmt.Fprintf(stderr, "esdr reapply: target %s: %s\n", t.Target, t.Error)
		} else if !o.json {
			fmt.Fprintf(stdout, "target %s: points at the active cluster\n", t.Target)
		}
	}
	switch {
	case len(a.Targets) == 0 && !o.json:
		fmt.Fprintln(stdout, "no traffic targets are configured (the proxy follows the epoch by itself)")
	case failed > 0:
		fmt.Fprintf(stderr, "esdr reapply: %d of %d targets failed; fix what the messages say and run it again\n", failed, len(a.Targets))
		return exitFail
	}
	return exitOK
}
