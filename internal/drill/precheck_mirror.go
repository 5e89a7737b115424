package drill

import (
	"fmt"
	"slices"

	"github.com/esdr/esdr/internal/admin"
)

// mirrorChecks is the precondition of a drill when write mirroring is on (m is
// status.mirror; nil when it is off): replication runs and the journal has room. A
// stopped replicator leaves the target without the writes journaled since, and a full
// journal refuses writes: either would be what the drill measures, not the move. Lag
// alone does not fail the check (it is what the mirror exists to carry); its numbers
// are in the detail.
func mirrorChecks(m *admin.MirrorStatus, target string) []Check {
	if m == nil {
		return nil
	}
	c := Check{Name: "write mirroring replicates"}
	lag := fmt.Sprintf("lag %d writes (%.1fs), %d pending for %q, journal %d of %d bytes",
		m.LagOps, m.LagSeconds, m.Pending[target], target, m.JournalBytes, m.JournalMaxBytes)
	switch {
	case m.Stopped != "":
		c.Detail = "replication stopped: " + m.Stopped + "; " + lag + "; a human must act first: fix the cause, then esdr mirror restart (docs/mirror.md)"
	case slices.Contains(m.Fenced, target):
		c.Detail = fmt.Sprintf("%s is read-only (fenced when traffic left it), so the writes it lacks wait and a drill's "+
			"writes to it would be held: run esdr resync --to %s first (docs/mirror.md); %s", target, target, lag)
	case m.JournalMaxBytes > 0 && m.JournalBytes >= m.JournalMaxBytes:
		c.Detail = "the journal is full, so writes are refused; " + lag
	default:
		c.OK, c.Detail = true, lag
	}
	return []Check{c}
}
