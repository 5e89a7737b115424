package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/mirror/snapshot"
	"github.com/esdr/esdr/internal/state"
)

// SyncNow starts the next snapshot sync cycle at once (esdr snapshot sync-now), on the
// member that runs the sync, and records who asked as an event.
func (c controller) SyncNow(ctx context.Context, by string) (admin.SyncNowAnswer, error) {
	s := c.d.snap
	if s == nil {
		return admin.SyncNowAnswer{}, &admin.RefusedError{Code: admin.CodeSnapshotOff,
			Reason: "snapshot sync is off: there is no sync to run (see the snapshot_sync block of the configuration)"}
	}
	a, err := s.syncNow()
	var re *admin.RefusedError
	if errors.As(err, &re) && c.d.member != nil && !c.d.member.IsLeader() {
		if leader, lerr := c.d.member.Leader(ctx); lerr == nil && leader != "" {
			re.Reason += fmt.Sprintf("; %s leads the fleet: run it against that member's admin API", leader)
		}
	}
	if err != nil {
		return a, err
	}
	ev := state.Event{At: time.Now(), Kind: state.EventCommand, Cluster: a.To,
		Message: fmt.Sprintf("snapshot sync of %s to %s asked now by %s", a.From, a.To, by)}
	if _, err := c.d.store.Append(ctx, ev); err != nil {
		c.d.log.Warn("snapshot: recording sync-now as an event failed", "err", err)
	}
	return a, nil
}

// syncNow wakes the sync's loop, if it runs here and now.
func (s *snapshotSetup) syncNow() (admin.SyncNowAnswer, error) {
	st := s.sync.Stats()
	s.mu.Lock()
	paused := s.paused
	a := admin.SyncNowAnswer{From: s.from, To: s.to, Cycles: st.Cycles, LastGoodSnapshot: st.LastGoodSnapshot}
	s.mu.Unlock()
	if paused != "" {
		return a, &admin.RefusedError{Code: admin.CodeSnapshotPaused, Reason: "the snapshot sync does not run now: " + paused}
	}
	switch err := s.sync.Trigger(); {
	case errors.Is(err, snapshot.ErrBusy):
		return a, &admin.RefusedError{Code: admin.CodeSnapshotBusy,
			Reason: "a snapshot sync cycle runs now (esdr status shows its phase); ask again once it is done"}
	case errors.Is(err, snapshot.ErrIdle):
		return a, &admin.RefusedError{Code: admin.CodeSnapshotPaused, Reason: "the snapshot sync does not run now"}
	case err != nil:
		return a, err
	}
	s.log.Info("snapshot: a cycle asked now", "from", a.From, "to", a.To)
	return a, nil
}

// resync asks a cycle towards to now, its fence just lifted (esdr resync), and says so,
// or why the sync will not run one now (the next interval tries again).
func (s *snapshotSetup) resync(to string) string {
	s.mu.Lock()
	from, cur := s.from, s.to
	s.mu.Unlock()
	if cur != to {
		return fmt.Sprintf("no cycle asked: the sync runs from %s to %s", from, cur)
	}
	if _, err := s.syncNow(); err != nil {
		return "no cycle asked now: " + err.Error()
	}
	return fmt.Sprintf("a cycle from %s to %s asked now", from, to)
}
