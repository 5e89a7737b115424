package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/mirror"
	"github.com/esdr/esdr/internal/state"
)

// Restarting a stopped replication (esdr mirror restart) without restarting esdr: the
// replicator's goroutine, owned by mirrorSetup.run, waits for the restart signal and
// runs again from its checkpoint; a skip first moves that checkpoint past the one
// record the replication stopped at.

// RestartMirror starts the stopped replication to req.To again, leaving out the record
// it stopped at first when req.Skip names it, and records what was done as an event.
func (c controller) RestartMirror(ctx context.Context, req admin.RestartRequest) (admin.RestartAnswer, error) {
	m := c.d.mirror
	if m == nil {
		return admin.RestartAnswer{}, &admin.RefusedError{Code: "mirror_off",
			Reason: "mirror mode is off: there is no replication to restart (see the mirror block of the configuration)"}
	}
	a, err := m.restartMirror(req.To, req.Skip)
	if err != nil {
		return a, err
	}
	ev := restartEvent(a, req.By, time.Now())
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := c.d.store.Append(actx, ev); err != nil {
		// The restart happened (refusing now would invite a second skip): say so loudly.
		c.d.log.Error("mirror: recording the restart as an event failed", "event", ev.Message, "err", err)
		a.Warning = fmt.Sprintf("the restart happened but its event could not be recorded (%v); esdr's log has it", err)
	}
	return a, nil
}

// restartEvent is the event of a restart: a skip names the write dropped for the target.
func restartEvent(a admin.RestartAnswer, by string, now time.Time) state.Event {
	msg := fmt.Sprintf("mirror: replication to %s restarted by %s from seq %d (it had stopped: %s)", a.Cluster, by, a.From, a.Stopped)
	if a.Skipped != 0 {
		msg = fmt.Sprintf("mirror: seq %d SKIPPED for %s by %s: %s, a write the active cluster acknowledged, is dropped for %s, "+
			"which will never have it; replication to %s restarted from seq %d", a.Skipped, a.Cluster, by, a.SkippedRecord, a.Cluster, a.Cluster, a.From)
	}
	return state.Event{At: now, Kind: state.EventCommand, Cluster: a.Cluster, Message: msg}
}

// restartMirror checks that replication to to (or, when to is "", the one target whose
// replication stopped) is stopped and that skip, if any, is the record it stopped at;
// then skips it, clears the stop and wakes the replicator. The replicator is stopped for
// as long as its target is in s.stopped, so its cursor may be moved here.
func (s *mirrorSetup) restartMirror(to string, skip uint64) (admin.RestartAnswer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	to, err := s.stoppedTarget(to)
	if err != nil {
		return admin.RestartAnswer{}, err
	}
	stop := s.stopped[to]
	at := refusedSeq(stop)
	a := admin.RestartAnswer{Cluster: to, Stopped: stop.Error(), StoppedAt: at}
	switch {
	case skip != 0 && at == 0:
		return a, &admin.RefusedError{Code: admin.CodeSkipMismatch, Reason: fmt.Sprintf(
			"--skip %d: replication to %s did not stop on a refused record (%v): there is no record to skip; fix the cause and restart without --skip",
			skip, to, stop)}
	case skip != 0 && skip != at:
		return a, &admin.RefusedError{Code: admin.CodeSkipMismatch, Reason: fmt.Sprintf(
			"--skip %d: replication to %s stopped at seq %d; only that record can be skipped (check it, then --skip %d)", skip, to, at, at)}
	case skip != 0:
		rec, err := s.reps[to].Skip(skip)
		if err != nil {
			return a, fmt.Errorf("mirror: restart of the replication to %s: %w", to, err)
		}
		a.Skipped, a.SkippedRecord = skip, mirror.Describe(rec)
		s.log.Warn("mirror: an operator skipped a refused record: an acknowledged write is dropped for this cluster",
			"to", to, "seq", skip, "record", a.SkippedRecord)
	}
	from, _ := s.j.Cursor(to)
	a.From, a.Pending = from+1, s.m.Pending(to)
	delete(s.stopped, to)
	select {
	case s.restart[to] <- struct{}{}:
	default: // a signal is waiting already
	}
	return a, nil
}

// stoppedTarget checks to against the pair and the stops; "" picks the one target whose
// replication stopped. s.mu is held.
func (s *mirrorSetup) stoppedTarget(to string) (string, error) {
	if to == "" {
		var stopped []string
		for _, t := range []string{s.pair.A, s.pair.B} {
			if s.stopped[t] != nil {
				stopped = append(stopped, t)
			}
		}
		switch len(stopped) {
		case 0:
			return "", &admin.RefusedError{Code: admin.CodeMirrorRunning, Reason: fmt.Sprintf(
				"replication to %s and %s is running: there is nothing to restart", s.pair.A, s.pair.B)}
		case 2:
			return "", &admin.RefusedError{Code: "cluster_required", Reason: fmt.Sprintf(
				"replication to both %s stopped: name the one to restart with --to", strings.Join(stopped, " and "))}
		}
		return stopped[0], nil
	}
	if _, ok := s.pair.Target(to); !ok {
		return "", &admin.RefusedError{Code: "unknown_cluster", Reason: fmt.Sprintf(
			"%q is not one of the mirrored pair (%s, %s)", to, s.pair.A, s.pair.B)}
	}
	if s.stopped[to] == nil {
		return "", &admin.RefusedError{Code: admin.CodeMirrorRunning, Reason: fmt.Sprintf(
			"replication to %s is running, not stopped: there is nothing to restart (esdr status shows its lag and last error)", to)}
	}
	return to, nil
}

// refusedSeq is the seq of the record a replication stopped at when the target refused
// it, 0 for a stop of another kind.
func refusedSeq(err error) uint64 {
	var re *mirror.RefusedError
	if errors.As(err, &re) {
		return re.Seq
	}
	return 0
}

// stoppedAt is, per target stopped on a refused record, that record's seq; nil if none.
func (s *mirrorSetup) stoppedAt() map[string]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out map[string]uint64
	for t, err := range s.stopped {
		if seq := refusedSeq(err); seq != 0 {
			if out == nil {
				out = map[string]uint64{}
			}
			out[t] = seq
		}
	}
	return out
}
