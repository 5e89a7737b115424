package act

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/esdr/esdr/internal/state"
)

// ErrNotLeader is a change to a cluster refused because this process does not lead the
// fleet (any more): nothing was changed. It is returned joined with state.ErrNotLeader,
// so errors.Is holds for either; a fleet member steps down on it.
var ErrNotLeader = errors.New("act: not leader")

// leadership is what the executor asks before it changes anything outside the store.
// fleet.Member implements it; the embedded mode, where one process is always the
// leader, uses always.
type leadership interface {
	// Acting returns nil once this process may act: in a fleet, once its term is older
	// than the session TTL, so that a predecessor whose session etcd expired has seen
	// its own keep-alive deadline pass and stopped. It blocks until then, and fails
	// with an error wrapping state.ErrNotLeader when this process does not lead.
	Acting(ctx context.Context) error
}

// always is the leadership of the embedded mode: one process, always acting.
type always struct{}

func (always) Acting(context.Context) error { return nil }

// The action an intent announces, one per kind of change esdr makes to a cluster.
const (
	intentFence   = "fence"
	intentUnfence = "unfence"
	intentLift    = "lift-fence"
)

// bucketIntents holds, per cluster, the last change esdr announced before making it.
const bucketIntents = "intents"

// intent is journaled before every change to a cluster's write block, by a write the
// store fences by leadership (in etcd, the same transaction compare of the leader key's
// create revision as every state write; in the embedded file, a write that always
// holds). A deposed leader's intent is refused, and so is its change.
type intent struct {
	Epoch   uint64    `json:"epoch"`
	Cluster string    `json:"cluster"`
	Action  string    `json:"action"`
	At      time.Time `json:"at"`
}

// change makes one change to a cluster under the leadership guard: it waits until this
// process may act, then journals the intent before every attempt and calls put only if
// that write was accepted. A refused intent ends the retries at once with ErrNotLeader;
// put's own errors are retried as r says.
func (e *Executor) change(ctx context.Context, r Retry, attempts *int, it intent, put func(context.Context) error) error {
	if err := e.acting(ctx, it.String()); err != nil {
		return err
	}
	return r.do(ctx, attempts, func(ctx context.Context) error {
		it.At = e.opts.Now()
		if err := putJSON(ctx, e.st, bucketIntents, it.Cluster, it); err != nil {
			return permanent(notMade(it.String(), err))
		}
		return put(ctx)
	})
}

func (it intent) String() string {
	return fmt.Sprintf("%s of %s for epoch %d", it.Action, it.Cluster, it.Epoch)
}

// acting waits until this process may act (see leadership); what names the action
// that waits, for the error.
func (e *Executor) acting(ctx context.Context, what string) error {
	if err := e.opts.Leader.Acting(ctx); err != nil {
		return notMade(what, err)
	}
	return nil
}

// notMade names an action that was not taken. A leadership refusal says "not leader"
// and matches both ErrNotLeader and state.ErrNotLeader; anything else (etcd
// unreachable, ctx cancelled) is wrapped as it is.
func notMade(what string, err error) error {
	if errors.Is(err, state.ErrNotLeader) {
		return fmt.Errorf("%w: %s not made: %w", ErrNotLeader, what, err)
	}
	return fmt.Errorf("act: %s not made: %w", what, err)
}
