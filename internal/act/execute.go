package act

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/esdr/esdr/internal/state"
)

// ErrSuperseded is returned when a plan stops because a newer epoch was stored.
var ErrSuperseded = errors.New("act: superseded by a newer epoch")

// execute runs p's unsettled steps in order. Each step is journaled as running before it
// is tried and with its outcome after, so a crash leaves at worst one step "running",
// which is tried again on resume; a step recorded done is never run again. Before every
// step the stored epoch is read: a plan for an older epoch stops there.
//
// A failed step does not stop the plan: the targets are independent, and traffic moving
// through some of them beats none. Only a veto or a newer epoch stops it.
func (e *Executor) execute(ctx context.Context, p *Plan) error {
	e.m.running.Set(1)
	defer e.m.running.Set(0)
	p.Status, p.Finished, p.StoreError = StatusRunning, time.Time{}, ""
	for i := range p.Steps {
		st := &p.Steps[i]
		if st.Status.settled() {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rec, err := e.st.Load(ctx)
		if err != nil {
			return storeErr("act: epoch check before %s %s: %w", st.Kind, st.Name, err)
		}
		if rec.State.Epoch > p.Epoch {
			if err := e.supersede(ctx, p, i); err != nil {
				return err
			}
			e.setCurrent(p)
			return fmt.Errorf("act: plan for epoch %d: %w (stored epoch %d)", p.Epoch, ErrSuperseded, rec.State.Epoch)
		}
		// The last error stays while the step runs again: status shows why it is retried.
		st.Status, st.Started, st.Finished = StatusRunning, e.opts.Now(), time.Time{}
		if err := e.save(ctx, p, fmt.Sprintf("%s %s running", st.Kind, st.Name)); err != nil {
			return err
		}
		began := time.Now()
		status, note, serr := e.runStep(ctx, p, st)
		if ctx.Err() != nil {
			// Interrupted: whether the step took effect is unknown, so it stays
			// "running" and is tried again on resume.
			return ctx.Err()
		}
		st.Status, st.Finished, st.Note, st.Error = status, e.opts.Now(), note, ""
		if serr != nil {
			st.Error = truncate(serr.Error(), 500)
		}
		e.m.step(st.Kind, status, time.Since(began))
		if status == StatusVetoed {
			for j := i + 1; j < len(p.Steps); j++ {
				p.Steps[j].Status, p.Steps[j].Note = StatusSkipped, "vetoed"
			}
			p.Status, p.Finished = StatusVetoed, e.opts.Now()
		}
		// The step ran: if this write fails, the journal still says "running" and the
		// retry from the journal runs the step again, which its idempotency allows.
		if err := e.save(ctx, p, fmt.Sprintf("%s %s %s", st.Kind, st.Name, status)); err != nil {
			return err
		}
		e.stepEvent(ctx, p, st, time.Since(began))
		if e.afterStep != nil {
			e.afterStep(p, i)
		}
		if status == StatusVetoed {
			return fmt.Errorf("act: plan for epoch %d: %w", p.Epoch, serr)
		}
	}
	return e.close(ctx, p)
}

// close records the plan's outcome: failed if any step failed, done otherwise.
func (e *Executor) close(ctx context.Context, p *Plan) error {
	p.Status, p.Finished = StatusDone, e.opts.Now()
	var failed []string
	for _, s := range p.Steps {
		if s.Status == StatusFailed {
			p.Status = StatusFailed
			failed = append(failed, string(s.Kind)+" "+s.Name)
		}
	}
	if err := e.save(ctx, p, fmt.Sprintf("its outcome (%s)", p.Status)); err != nil {
		return err
	}
	if p.Status == StatusFailed {
		e.event(ctx, p, "", fmt.Sprintf("plan for epoch %d failed: %v; retried every %s", p.Epoch, failed, e.opts.RetryInterval))
		return fmt.Errorf("act: plan for epoch %d: steps failed: %v", p.Epoch, failed)
	}
	e.event(ctx, p, "", fmt.Sprintf("plan for epoch %d done", p.Epoch))
	_ = forgetOldPlans(ctx, e.st, p.Epoch) // retention only; a leftover plan harms nothing
	return nil
}

// runStep carries out one step and says how it ended.
func (e *Executor) runStep(ctx context.Context, p *Plan, st *Step) (Status, string, error) {
	switch st.Kind {
	case StepPreHook:
		if e.opts.PreHook == nil {
			return StatusSkipped, "no pre hook configured any more", nil
		}
		st.Attempts++
		if err := e.opts.PreHook.run(ctx, transitionOfPlan(p)); err != nil {
			return StatusVetoed, "", err
		}
		return StatusDone, "", nil
	case StepFence:
		return e.fenceStep(ctx, p, st)
	case StepUnfence:
		return e.unfenceStep(ctx, st)
	case StepSwitch:
		t, ok := e.targets[st.Name]
		if !ok {
			return StatusSkipped, "target not configured any more", nil
		}
		sw := e.switchOf(p)
		err := e.opts.Retry.do(ctx, &st.Attempts, func(ctx context.Context) error { return t.Apply(ctx, sw) })
		return outcome(err)
	case StepNotify:
		if e.opts.Webhook == nil {
			return StatusSkipped, "no webhook configured any more", nil
		}
		pl := payloadOf(p)
		err := e.opts.Retry.do(ctx, &st.Attempts, func(ctx context.Context) error { return e.opts.Webhook.post(ctx, pl) })
		return outcome(err)
	}
	return StatusFailed, "", fmt.Errorf("act: unknown step kind %q", st.Kind)
}

func outcome(err error) (Status, string, error) {
	if err != nil {
		return StatusFailed, "", err
	}
	return StatusDone, "", nil
}

func (e *Executor) switchOf(p *Plan) Switch {
	return Switch{Epoch: p.Epoch, From: p.From, To: p.To, Reason: p.Reason,
		FromNodes: e.opts.Clusters[p.From].Nodes, ToNodes: e.opts.Clusters[p.To].Nodes}
}

func transitionOfPlan(p *Plan) transition {
	return transition{Epoch: p.Epoch, Action: p.Action, Code: p.Code, From: p.From, To: p.To, Reason: p.Reason, At: p.At}
}

// supersede abandons p from step i on: a newer epoch owns the clusters and targets now.
// It fails only when the store does; the caller publishes p to Current.
func (e *Executor) supersede(ctx context.Context, p *Plan, from int) error {
	var kinds []StepKind
	for j := from; j < len(p.Steps); j++ {
		if !p.Steps[j].Status.settled() {
			p.Steps[j].Status = StatusSuperseded
			kinds = append(kinds, p.Steps[j].Kind)
		}
	}
	p.Status, p.Finished, p.StoreError = StatusSuperseded, e.opts.Now(), ""
	if err := savePlan(ctx, e.st, p); err != nil {
		return storeErr("act: plan for epoch %d: superseded, but not journaled: %w", p.Epoch, err)
	}
	for _, k := range kinds {
		e.m.step(k, StatusSuperseded, 0)
	}
	e.event(ctx, p, "", fmt.Sprintf("plan for epoch %d superseded by a newer epoch; its remaining steps are not applied", p.Epoch))
	return nil
}

// supersedePrevious marks the plan of epoch-1 superseded if it is still open in the
// journal. Only the record is at stake (no step of it runs once epoch is stored: each
// checks the epoch first), so a store failure here is logged, not returned.
func (e *Executor) supersedePrevious(ctx context.Context, epoch uint64) {
	old, err := loadPlan(ctx, e.st, epoch-1)
	if err == nil && old != nil && old.Open() {
		err = e.supersede(ctx, old, 0)
	}
	if err != nil {
		e.opts.Log.Warn("the previous plan could not be marked superseded", "epoch", epoch-1, "err", err)
	}
}

// save journals p, saying what it records (what), and publishes it to Current. A
// failure is a store error: the caller stops the plan, which Run retries from the
// journal.
func (e *Executor) save(ctx context.Context, p *Plan, what string) error {
	if err := savePlan(ctx, e.st, p); err != nil {
		return storeErr("act: plan for epoch %d: %s not journaled: %w", p.Epoch, what, err)
	}
	e.setCurrent(p)
	return nil
}

func (e *Executor) stepEvent(ctx context.Context, p *Plan, st *Step, took time.Duration) {
	// Attempts count from the plan's first run (retries included); took is this run's.
	msg := fmt.Sprintf("%s %s: %s after %d attempt(s) in all, this run %s", st.Kind, st.Name, st.Status, st.Attempts, took.Round(time.Millisecond))
	if st.Error != "" {
		msg += ": " + st.Error
	}
	if st.Note != "" {
		msg += " (" + st.Note + ")"
	}
	cluster := ""
	if st.Kind == StepFence || st.Kind == StepUnfence {
		cluster = st.Name
	}
	e.event(ctx, p, cluster, msg)
}

// event appends an "acted" event. The journal is the record that matters; an event
// that cannot be written is not worth failing a step for.
func (e *Executor) event(ctx context.Context, p *Plan, cluster, msg string) {
	ctx, cancel := detached(ctx)
	defer cancel()
	_, _ = e.st.Append(ctx, state.Event{At: e.opts.Now(), Kind: state.EventActed, Code: p.Code, Cluster: cluster,
		From: p.From, To: p.To, Epoch: p.Epoch, Message: msg})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
