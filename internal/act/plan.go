package act

import (
	"slices"
	"time"

	"github.com/esdr/esdr/internal/decide"
)

// StepKind names what a step does. The set is closed; metrics and events use these names.
type StepKind string

const (
	// StepPreHook runs the operator's pre hook, which may veto the transition.
	StepPreHook StepKind = "pre-hook"
	// StepFence makes the cluster traffic leaves read-only (cluster.blocks.read_only).
	StepFence StepKind = "fence"
	// StepUnfence lifts cluster.blocks.read_only on the cluster traffic goes to.
	StepUnfence StepKind = "unfence"
	// StepSwitch points one traffic target at the new active cluster.
	StepSwitch StepKind = "switch"
	// StepNotify posts the transition to the webhook.
	StepNotify StepKind = "notify"
)

// Status is where a step, or a whole plan, stands. A plan is running, done, failed,
// superseded or vetoed; a step can be any of these.
type Status string

const (
	StatusPending Status = "pending"
	// StatusRunning is recorded before a step is attempted. Found after a restart, it
	// means "maybe applied": the step runs again, which is why every step is idempotent.
	StatusRunning Status = "running"
	StatusDone    Status = "done"
	// StatusFailed: every attempt within the retry bound failed. A failed plan is
	// attempted again by Run; its done steps are not.
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped"
	// StatusDeferred: the old active could not be fenced now; the fence is retried in the
	// background (see PendingFences) and the plan went on, because traffic must move.
	StatusDeferred Status = "deferred"
	// StatusSuperseded: a newer epoch was stored; this step (or plan) is never applied.
	StatusSuperseded Status = "superseded"
	// StatusVetoed: the pre hook refused the transition.
	StatusVetoed Status = "vetoed"
)

// settled reports whether a step in this status is never attempted again.
func (s Status) settled() bool {
	switch s {
	case StatusDone, StatusSkipped, StatusDeferred, StatusSuperseded, StatusVetoed:
		return true
	}
	return false
}

// Step is one idempotent action of a plan, as journaled. It is plain data so that the
// whole plan can be stored as JSON and read back by a restarted esdr.
type Step struct {
	Kind StepKind `json:"kind"`
	// Name is the cluster (fence, unfence), target (switch), hook or webhook it acts on.
	Name     string    `json:"name"`
	Epoch    uint64    `json:"epoch"`
	Status   Status    `json:"status"`
	Attempts int       `json:"attempts"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	// Error is the last attempt's error, kept while the step is tried again; Note says
	// why a step was skipped.
	Error string `json:"error,omitempty"`
	Note  string `json:"note,omitempty"`
}

// Plan is what one transition is carried out as: its steps in order, each with its
// journaled outcome. It is stored under bucket "plans", key = the epoch.
type Plan struct {
	Epoch    uint64        `json:"epoch"`
	Action   decide.Action `json:"action"`
	Code     decide.Code   `json:"code"`
	From     string        `json:"from,omitempty"`
	To       string        `json:"to"`
	Reason   string        `json:"reason,omitempty"`
	At       time.Time     `json:"at"` // when the transition was decided
	Status   Status        `json:"status"`
	Created  time.Time     `json:"created"`
	Finished time.Time     `json:"finished,omitzero"`
	Steps    []Step        `json:"steps"`
	// StoreError is set only on the executor's in-memory copy (Current), never
	// journaled: the state store failed while the plan was being carried out (a journal
	// write or read, the epoch check), so the journal may lag what happened. The plan
	// is then marked failed and Run retries it from the journal until it is done or
	// superseded.
	StoreError string `json:"store_error,omitempty"`
}

// Open reports whether the plan still has work: it is running (possibly interrupted by a
// crash) or failed (to be attempted again).
func (p *Plan) Open() bool {
	return p.Status == StatusRunning || p.Status == StatusPending || p.Status == StatusFailed
}

// Clone returns a deep copy, so that Current's caller cannot race the executor.
func (p *Plan) Clone() *Plan {
	if p == nil {
		return nil
	}
	c := *p
	c.Steps = slices.Clone(p.Steps)
	return &c
}

// matches reports whether the plan was built for this transition (a plan stored for an
// epoch whose commit was lost and then decided differently does not).
func (p *Plan) matches(t transition) bool {
	return p.Epoch == t.Epoch && p.From == t.From && p.To == t.To && p.Action == t.Action
}

// transition is what a plan is built from: a decision that changed the active cluster,
// or, on resume, the stored state's last transition.
type transition struct {
	Epoch    uint64
	Action   decide.Action
	Code     decide.Code
	From, To string
	Reason   string
	At       time.Time
}

func transitionOf(s decide.State, d decide.Decision, now time.Time) transition {
	t := transition{Epoch: d.Epoch, Action: d.Action, Code: d.Code, From: d.From, To: d.To, Reason: d.Reason, At: now}
	if lt := s.LastTransition; lt != nil && lt.Epoch == d.Epoch {
		t.At = lt.At
	}
	return t
}

func transitionFromState(lt *decide.Transition) transition {
	return transition{Epoch: lt.Epoch, Action: lt.Kind, Code: lt.Code, From: lt.From, To: lt.To, Reason: lt.Reason, At: lt.At}
}

// newPlan lays out the steps for t: pre hook → fence from → unfence to → switch each
// target → notify (for a failover, unfence to before fence from; see below). The pre hook comes first so a veto leaves everything untouched; the
// fence precedes the switches so the old cluster stops taking writes before clients
// move; the unfence precedes them so the new one accepts writes when they arrive.
// approved is set when Veto already ran the hook for this transition before it was
// stored; the step is then journaled as done rather than run a second time.
func newPlan(t transition, o *Options, approved *approval, now time.Time) *Plan {
	p := &Plan{Epoch: t.Epoch, Action: t.Action, Code: t.Code, From: t.From, To: t.To, Reason: t.Reason,
		At: t.At, Status: StatusRunning, Created: now}
	add := func(kind StepKind, name string) *Step {
		p.Steps = append(p.Steps, Step{Kind: kind, Name: name, Epoch: t.Epoch, Status: StatusPending})
		return &p.Steps[len(p.Steps)-1]
	}
	if o.PreHook != nil {
		s := add(StepPreHook, o.PreHook.name())
		if approved != nil && approved.matches(t) {
			s.Status, s.Attempts, s.Started, s.Finished = StatusDone, 1, approved.Started, approved.Finished
			s.Note = "approved before the transition was stored"
		}
	}
	fence := func() {
		if t.From == "" {
			return
		}
		s := add(StepFence, t.From)
		if c, ok := o.Clusters[t.From]; !ok {
			s.Status, s.Note = StatusSkipped, "cluster not configured"
		} else if c.NoFence {
			s.Status, s.Note = StatusSkipped, "fencing disabled for this cluster (fence: false)"
		}
	}
	unfence := func() {
		s := add(StepUnfence, t.To)
		if c, ok := o.Clusters[t.To]; !ok {
			s.Status, s.Note = StatusSkipped, "cluster not configured"
		} else if c.NoFence {
			s.Status, s.Note = StatusSkipped, "fencing disabled for this cluster (fence: false)"
		}
	}
	// A failover leaves a cluster judged down: the proxy already sends writes to the new
	// one, so it is unfenced first and the fence of the old one (usually deferred) cannot
	// delay it. A planned switchover or failback leaves a healthy cluster: fence it
	// first, so the two are never writable at once.
	if t.Action == decide.ActFailover {
		unfence()
		fence()
	} else {
		fence()
		unfence()
	}
	for _, tg := range o.Targets {
		add(StepSwitch, tg.Name())
	}
	if o.Webhook != nil {
		add(StepNotify, o.Webhook.name())
	}
	return p
}
