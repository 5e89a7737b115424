package act

import (
	"context"
	"errors"
	"time"
)

// Defaults for Retry's zero fields.
const (
	DefaultAttempts       = 5
	DefaultBackoff        = 200 * time.Millisecond
	DefaultMaxBackoff     = 5 * time.Second
	DefaultMaxElapsed     = 30 * time.Second
	DefaultAttemptTimeout = 10 * time.Second
	DefaultFenceTimeout   = 2 * time.Second
)

// Retry bounds how hard one step is tried before it is recorded as failed. The loop
// waits for a plan, so the bound is what a broken target can cost a failover; a failed
// plan is attempted again later by Run, so giving up here loses nothing.
type Retry struct {
	// Attempts is the most tries of one step; default 5.
	Attempts int
	// Backoff is the wait after the first failure, doubled after each further one up to
	// MaxBackoff; defaults 200ms and 5s.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// MaxElapsed stops retrying when the next wait would end later than this after the
	// first try; default 30s.
	MaxElapsed time.Duration
	// AttemptTimeout is the deadline of one try; default 10s.
	AttemptTimeout time.Duration
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = DefaultAttempts
	}
	if r.Backoff <= 0 {
		r.Backoff = DefaultBackoff
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = DefaultMaxBackoff
	}
	if r.MaxElapsed <= 0 {
		r.MaxElapsed = DefaultMaxElapsed
	}
	if r.AttemptTimeout <= 0 {
		r.AttemptTimeout = DefaultAttemptTimeout
	}
	return r
}

// permanentError marks a failure that another try cannot fix (an HTTP 400 from a
// webhook, a cluster that does not answer at all for a fence that will be deferred).
type permanentError struct{ err error }

func (p *permanentError) Error() string { return p.err.Error() }
func (p *permanentError) Unwrap() error { return p.err }

func permanent(err error) error { return &permanentError{err} }

// do calls f until it succeeds, fails permanently, or the bound is reached, counting
// every try in *attempts (the journal's count survives restarts). It returns the last
// error, unwrapped from any permanent marker, or ctx's error when ctx ends.
func (r Retry) do(ctx context.Context, attempts *int, f func(context.Context) error) error {
	start := time.Now()
	wait := r.Backoff
	for n := 1; ; n++ {
		*attempts++
		actx, cancel := context.WithTimeout(ctx, r.AttemptTimeout)
		err := f(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var p *permanentError
		if errors.As(err, &p) {
			return p.err
		}
		if n >= r.Attempts || time.Since(start)+wait > r.MaxElapsed {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, r.MaxBackoff)
	}
}
