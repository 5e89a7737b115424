package esdrproc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/state"
)

// IsTransition reports whether e records a change of the active cluster (a failover, a
// failback or a switchover); esdr's first choice of the preferred cluster is not one.
func IsTransition(e state.Event) bool {
	return e.Kind == state.EventDecided && e.To != "" && e.Code != decide.CodeStarting
}

// Describe names an event for a report: when, what and why, in one line.
func Describe(e state.Event) string {
	s := fmt.Sprintf("%s %s", e.At.UTC().Format("15:04:05.000"), e.Kind)
	if e.Code != "" {
		s += " " + string(e.Code)
	}
	if e.From != "" || e.To != "" {
		s += fmt.Sprintf(" %s → %s (epoch %d)", e.From, e.To, e.Epoch)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return strings.ReplaceAll(s, "\n", "; ") // joined errors: one line per node
}

// Events returns every event esdr recorded after sequence number after, oldest first.
func (p *Proc) Events(ctx context.Context, after uint64) ([]state.Event, error) {
	var all []state.Event
	for {
		evs, err := p.Client.Events(ctx, after, 1000)
		if err != nil {
			return nil, fmt.Errorf("esdrproc: events: %w", err)
		}
		all = append(all, evs...)
		if len(evs) < 1000 {
			return all, nil
		}
		after = evs[len(evs)-1].Seq
	}
}

// Transitions returns every transition esdr recorded, oldest first.
func (p *Proc) Transitions(ctx context.Context) ([]state.Event, error) {
	evs, err := p.Events(ctx, 0)
	if err != nil {
		return nil, err
	}
	var out []state.Event
	for _, e := range evs {
		if IsTransition(e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// ErrMoved is returned by WaitSettled and CheckSettled when esdr has already changed
// its active cluster: a fault injected now would not measure a failover.
var ErrMoved = errors.New("esdrproc: esdr already changed its active cluster")

// WaitSettled waits until esdr holds active as its active cluster at epoch 1 (nothing has
// moved since its first start) and its last observation of active is "up": the evidence
// a benchmark needs before it injects a fault. It fails at once with ErrMoved, naming
// the transitions, when esdr has already moved.
func (p *Proc) WaitSettled(ctx context.Context, within time.Duration, active string) error {
	var moved error
	err := p.Until(ctx, within, active+" active at epoch 1 and up", func() bool {
		moved = p.CheckSettled(ctx, active)
		return moved == nil || errors.Is(moved, ErrMoved)
	})
	if err != nil {
		return err
	}
	return moved
}

// CheckSettled is WaitSettled's condition, checked once: nil when esdr's status has
// active at epoch 1 and up and no transition is recorded.
func (p *Proc) CheckSettled(ctx context.Context, active string) error {
	st, err := p.Client.Status(ctx)
	if err != nil {
		return fmt.Errorf("esdrproc: status: %w", err)
	}
	ts, err := p.Transitions(ctx)
	if err != nil {
		return err
	}
	if len(ts) > 0 || st.State.Active != active || st.State.Epoch != 1 {
		var why []string
		for _, t := range ts {
			why = append(why, Describe(t))
		}
		return fmt.Errorf("%w: active %s at epoch %d, want %s at epoch 1; transitions: %s",
			ErrMoved, st.State.Active, st.State.Epoch, active, strings.Join(why, "; "))
	}
	for _, c := range st.Clusters {
		if c.Name == active && c.Observation.Verdict == "up" {
			return nil
		}
	}
	return fmt.Errorf("esdrproc: %s is not up in esdr's status", active)
}
