package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/epoch"
	"github.com/esdr/esdr/internal/state"
)

// controller answers the admin API: the leading term's loop when this process leads
// (always, in a fleet of one), otherwise the store and this process's own probes, with
// the sections of what is turned on (fleet, mirror mode, snapshot sync). Commands are
// taken by the leading term only, so that they are serialized with its decisions.
type controller struct{ d *Daemon }

func (c controller) Status(ctx context.Context) (admin.Status, error) {
	d := c.d
	var st admin.Status
	err := errors.New("not leading")
	if t := d.leading(ctx); t != nil {
		st, err = t.loop.Status(ctx)
	}
	if err != nil {
		rec, err := d.store.Load(ctx)
		if err != nil {
			// The store is away (etcd): answer with the last record followed; the fleet
			// section's epoch_age says how old it is.
			rec, _ = d.epochs.Record()
		}
		st = admin.Status{State: rec.State, Revision: rec.Revision, HoldDownActive: rec.State.InHoldDown(time.Now()),
			Clusters: admin.ClusterStatuses(d.Clusters(), nodesOf(d.cfg), rec.State.Active, d.watcher.Snapshot())}
	}
	if d.member != nil {
		st.Fleet = c.fleet(ctx)
	}
	if d.mirror != nil {
		st.Mirror = d.mirror.status()
	}
	if d.snap != nil {
		st.Snapshot = d.snap.status()
	}
	return st, nil
}

// Endpoint is where traffic goes in the epoch this process follows, as its proxy sees it.
func (c controller) Endpoint(ctx context.Context) (epoch.Endpoint, error) {
	return c.d.epochs.Endpoint(ctx)
}

func (c controller) Events(ctx context.Context, after uint64, limit int) ([]state.Event, error) {
	return c.d.store.Events(ctx, after, limit)
}

// Command is taken by the leading term's loop. A fleet member that does not lead says
// which one does and where its admin API is, rather than forwarding: the operator sees
// exactly who decided.
func (c controller) Command(ctx context.Context, cmd decide.Command) (decide.Decision, error) {
	if t := c.d.leading(ctx); t != nil {
		return t.loop.Command(ctx, cmd)
	}
	return decide.Decision{}, c.notLeading(ctx, string(cmd.Kind))
}

// Reapply points every traffic target at the active cluster again, in the leading term
// only: it alone acts. A plan in progress is a refusal (409).
func (c controller) Reapply(ctx context.Context, by string) ([]admin.TargetResult, error) {
	t := c.d.leading(ctx)
	if t == nil {
		return nil, &admin.RefusedError{Code: "not_leader", Reason: c.notLeading(ctx, "reapply").Error()}
	}
	res, err := t.ex.Reapply(ctx, by)
	if errors.Is(err, act.ErrPlanOpen) {
		return nil, &admin.RefusedError{Code: "plan_in_progress", Reason: err.Error()}
	}
	if err != nil {
		return nil, err
	}
	out := make([]admin.TargetResult, len(res))
	for i, r := range res {
		out[i] = admin.TargetResult{Target: r.Target, Error: r.Error}
	}
	return out, nil
}

// notLeading says that this process does not lead, and where the leader's admin API is.
func (c controller) notLeading(ctx context.Context, what string) error {
	m := c.d.member
	if m == nil {
		return fmt.Errorf("esdr is not deciding: its control loop has stopped or not started; see its log, and retry %s", what)
	}
	leader, err := m.Leader(ctx)
	if err != nil {
		return fmt.Errorf("fleet: no member leads now (%v); retry once one does (esdr status shows the leader)", err)
	}
	where := ""
	if ms, err := m.Members(ctx); err == nil {
		for _, mb := range ms {
			if mb.Name == leader && mb.Admin != "" {
				where = " at " + mb.Admin
			}
		}
	}
	return &admin.RefusedError{Code: "not_leader", Reason: fmt.Sprintf("fleet: this member (%s) does not lead; send %s to the leader %s%s",
		c.d.cfg.Fleet.Name, what, leader, where)}
}
