package mirror

import (
	"errors"
	"time"
)

// ReplicatorStats is what status, metrics and the failover lag bound read.
type ReplicatorStats struct {
	// LagOps is the number of durable records past the replicator's checkpoint. For a
	// replicator with a cursor that includes records for the other target, which it
	// skips; Mirror.Pending counts only the target's own.
	LagOps uint64
	// LagAge is how long ago the active cluster acknowledged the oldest of them (0 when
	// caught up): the writes a failover now would lose, in seconds.
	LagAge time.Duration
	// Applied counts records applied since the Replicator was made; a metric's rate of it
	// is the replay rate. Rate is that rate over the last ~10 s, in records per second.
	Applied uint64
	Rate    float64
	// Retries counts failed attempts to apply; LastError is the latest failure, or nil
	// once a retry succeeded.
	Retries   uint64
	LastError error
	// Fenced is true while the last failure was the cluster's read-only block (ErrFenced).
	Fenced bool
}

// Lag returns the records appended but not yet applied, and the age of the oldest one.
func (r *Replicator) Lag() (ops uint64, age time.Duration) {
	s := r.Stats()
	return s.LagOps, s.LagAge
}

// Stats returns the replicator's counters and lag.
func (r *Replicator) Stats() ReplicatorStats {
	js := r.j.Stats()
	lag := js.Unapplied()
	if r.opts.Cursor != "" {
		seq, _ := r.j.Cursor(r.opts.Cursor)
		lag = js.Durable - seq
	}
	now := r.opts.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	s := ReplicatorStats{LagOps: lag, Applied: r.total, Rate: r.rate, Retries: r.retries, LastError: r.lastErr,
		Fenced: errors.Is(r.lastErr, ErrFenced)}
	if s.LagOps > 0 && !r.oldest.IsZero() {
		s.LagAge = max(now.Sub(r.oldest), 0)
	}
	if el := now.Sub(r.winStart); el >= rateWindow {
		s.Rate = float64(r.winN) / el.Seconds() // nothing applied for a while
	}
	return s
}

// progress records n applied records; pending are those read and not yet applied.
func (r *Replicator) progress(n int, pending []Record) {
	now := r.opts.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total += uint64(n)
	r.winN += uint64(n)
	if len(pending) > 0 {
		r.oldest = pending[0].Time
	} else {
		r.oldest = time.Time{}
	}
	if el := now.Sub(r.winStart); el >= rateWindow {
		r.rate = float64(r.winN) / el.Seconds()
		r.winStart, r.winN = now, 0
	}
}
