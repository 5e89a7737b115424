package control

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/state"
)

// maxConflicts bounds how often one round re-reads and re-decides after losing a
// compare-and-swap. Locally nobody else writes; with a shared store this is contention.
const maxConflicts = 3

// round is one read → decide → compare-and-swap → record → act pass. Nothing is acted on
// unless the new state was stored first: after a crash, the stored state is the truth.
func (l *Loop) round(ctx context.Context, cmd *decide.Command) (_ decide.Decision, err error) {
	defer func() { l.countRound(err) }()
	now := l.opts.Now()
	obs := l.observer.Snapshot()
	p := l.currentPolicy()
	observed := l.observationEvents(obs, now)
	for attempt := 0; ; attempt++ {
		l.mu.RLock()
		prev, last := l.record, l.last
		l.mu.RUnlock()
		next, d := decide.Decide(prev.State, obs, cmd, now, p)
		if d.Transitions() {
			if v, ok := l.actor.(vetoer); ok {
				if err := v.Veto(ctx, d); err != nil {
					return l.vetoed(prev, d, cmd, err)
				}
			}
		}
		events := make([]state.Event, len(observed), len(observed)+1)
		for i, ev := range observed {
			ev.Epoch = prev.State.Epoch // what was observed, under the epoch in force
			events[i] = ev
		}
		notable := d.Action != decide.ActNone || d.Code != last.Code || cmd != nil
		if notable {
			events = append(events, decisionEvent(d, cmd, now))
		}
		rec := prev
		if !next.Equal(prev.State) {
			rec, _, err = l.store.CommitDecision(ctx, prev.Revision, next, events...)
		} else if len(events) > 0 {
			_, err = l.store.Append(ctx, events...)
		}
		if errors.Is(err, state.ErrConflict) && attempt < maxConflicts {
			if err := l.reload(ctx); err != nil {
				return d, err
			}
			continue
		}
		if err != nil {
			return d, fmt.Errorf("control: store decision %s/%s: %w", d.Action, d.Code, err)
		}
		l.mu.Lock()
		l.record, l.lastObs = rec, obs
		if notable {
			l.last = d
		}
		l.mu.Unlock()
		l.report(rec.State, d, notable, now)
		if d.Transitions() && l.actor != nil {
			if err := l.actor.Act(ctx, rec.State, d); err != nil {
				l.opts.Log.Error("act", "epoch", d.Epoch, "to", d.To, "err", err)
			}
		}
		return d, nil
	}
}

// countRound records that a round finished, in the loop and in the metrics, and
// whether it failed.
func (l *Loop) countRound(err error) {
	l.rounds.Add(1)
	if l.rec == nil {
		return
	}
	l.rec.RecordRound()
	if err != nil && !errors.Is(err, state.ErrNotLeader) {
		l.rec.RecordFailedRound()
	}
}

func (l *Loop) reload(ctx context.Context) error {
	rec, err := l.store.Load(ctx)
	if err != nil {
		return fmt.Errorf("control: reload state after conflict: %w", err)
	}
	l.mu.Lock()
	l.record = rec
	l.mu.Unlock()
	return nil
}

// report updates metrics every round and logs a decision once, when it is notable.
func (l *Loop) report(s decide.State, d decide.Decision, notable bool, now time.Time) {
	if l.rec != nil {
		l.rec.SetState(s, l.opts.Policy.Clusters, now)
		if notable {
			l.rec.RecordDecision(d)
		}
	}
	if !notable {
		return
	}
	attrs := []any{"action", d.Action, "code", d.Code, "epoch", d.Epoch, "active", s.Active, "reason", d.Reason}
	if d.Transitions() {
		attrs = append(attrs, "from", d.From, "to", d.To)
		l.opts.Log.Warn("decision", attrs...)
		return
	}
	l.opts.Log.Info("decision", attrs...)
}

// observationEvents returns an event for every cluster whose verdict changed since the
// previous round, and one for a cluster whose stalled control plane answers again.
func (l *Loop) observationEvents(obs map[string]health.Observation, now time.Time) []state.Event {
	l.mu.RLock()
	prev := l.lastObs
	l.mu.RUnlock()
	var out []state.Event
	for _, name := range l.opts.Policy.Clusters {
		o, ok := obs[name]
		if !ok {
			continue
		}
		before := health.VerdictUnknown
		p, seen := prev[name]
		if seen {
			before = p.Verdict
		}
		if seen && p.Stalled() && !o.Stalled() && o.Last.Passing() {
			out = append(out, state.Event{At: now, Kind: state.EventObserved, Code: decide.CodeReElected, Cluster: name,
				Message: fmt.Sprintf("%s re-elected a master by itself after its control plane stalled for %s (grace %s): %s",
					name, o.At.Sub(p.StalledSince).Round(100*time.Millisecond), p.StallGrace, o.Detail)})
		}
		if o.Verdict == before {
			continue
		}
		msg := fmt.Sprintf("%s: %s → %s (%s", name, before, o.Verdict, o.Last)
		if o.Detail != "" {
			msg += ": " + o.Detail
		}
		out = append(out, state.Event{At: now, Kind: state.EventObserved, Cluster: name, Message: msg + ")"})
	}
	return out
}

func decisionEvent(d decide.Decision, cmd *decide.Command, now time.Time) state.Event {
	kind := state.EventDecided
	switch {
	case d.Action == decide.ActRefuse:
		kind = state.EventRefused
	case d.Action == decide.ActNone && suppressed(d.Code):
		kind = state.EventRefused
	case cmd != nil && !d.Transitions() && d.Action != decide.ActUpdate:
		kind = state.EventCommand
	}
	return state.Event{At: now, Kind: kind, Code: d.Code, From: d.From, To: d.To, Epoch: d.Epoch, Message: d.Reason}
}

// suppressed reports whether a code means "esdr would act but something stops it".
func suppressed(c decide.Code) bool {
	switch c {
	case decide.CodeNoHealthyTarget, decide.CodeAllDown, decide.CodeHoldDown,
		decide.CodeAutoFailoverOff, decide.CodePaused, decide.CodeActiveRemoved:
		return true
	}
	return false
}

// vetoed turns a transition the pre hook refused into a refusal: nothing is stored and
// nothing moves. The act step has already recorded an event naming the hook.
func (l *Loop) vetoed(prev state.Record, d decide.Decision, cmd *decide.Command, err error) (decide.Decision, error) {
	if !errors.Is(err, act.ErrVetoed) {
		return d, fmt.Errorf("control: pre hook for %s to %s: %w", d.Action, d.To, err)
	}
	r := decide.Decision{Action: decide.ActRefuse, Code: d.Code, From: d.From, To: d.To, Epoch: prev.State.Epoch, Reason: err.Error()}
	l.mu.Lock()
	notable := l.last.Action != decide.ActRefuse || l.last.To != d.To || cmd != nil
	if notable {
		l.last = r
	}
	l.mu.Unlock()
	if notable {
		l.opts.Log.Warn("transition vetoed by the pre hook", "action", d.Action, "from", d.From, "to", d.To, "err", err)
		if l.rec != nil {
			l.rec.RecordDecision(r)
		}
	}
	return r, nil
}
