package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/esdr/esdr/internal/admin"
)

// waitSnapshotCycle polls status until a snapshot sync cycle towards to has ended since
// before (the status read before the fence was lifted: no cycle towards it could restore
// then), printing its phase. It returns -1 once one succeeded, or the exit code.
func waitSnapshotCycle(ctx context.Context, o *opsFlags, c *admin.Client, to string, before *admin.SnapshotStatus,
	deadline time.Time, progress, stderr io.Writer) int {
	last := ""
	return pollStatus(ctx, o, c, deadline, stderr, func(st admin.Status) (int, bool) {
		s := st.Snapshot
		switch {
		case s == nil:
			fmt.Fprintln(stderr, "esdr resync: esdr's status has no snapshot section any more (restarted with another configuration?)")
			return exitFail, true
		case s.To != to:
			fmt.Fprintf(stderr, "esdr resync: snapshot sync runs from %s to %s, not to %s: %s is the active cluster?\n", s.From, s.To, to, to)
			return exitFail, true
		case s.LastGoodSnapshot != before.LastGoodSnapshot:
			fmt.Fprintf(progress, "resync: snapshot %s restored on %s\n", s.LastGoodSnapshot, to)
			if s.Kept != "" {
				fmt.Fprintf(progress, "resync: %s's own copy from before is kept as snapshot %s (delete it when not needed)\n", to, s.Kept)
			}
			return -1, true
		case s.Failures > before.Failures:
			fmt.Fprintf(stderr, "esdr resync: the snapshot sync cycle to %s failed: %s; fix the cause and run esdr resync again\n", to, s.LastError)
			return exitFail, true
		}
		p := s.Phase
		if !s.Running {
			p = s.Paused
		}
		if p != last && p != "" {
			fmt.Fprintf(progress, "resync: snapshot sync: %s\n", p)
			last = p
		}
		return 0, false
	}, func() {
		fmt.Fprintf(stderr, "esdr resync: no snapshot sync cycle to %s ended before --wait passed; see esdr status\n", to)
	})
}
