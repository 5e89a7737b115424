package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/control"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/fleet"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/state"
)

// fleetController answers the admin API of a fleet member: the leader's loop when this
// member leads, otherwise the shared store and this member's own probes. Commands are
// taken by the leader only, so that they are serialized with its decisions.
type fleetController struct{ d *fleetDaemon }

func (c fleetController) Status(ctx context.Context) (control.Status, error) {
	d := c.d
	var st control.Status
	var err error
	if t := d.current(); t != nil {
		st, err = t.loop.Status(ctx)
	}
	if d.current() == nil || err != nil {
		rec, err := d.store.Load(ctx)
		if err != nil {
			// etcd is away: answer with the last record this member confirmed; the fleet
			// section's epoch_age says how old it is.
			rec, _ = d.epoch.Record()
		}
		st = control.Status{State: rec.State, Revision: rec.Revision, HoldDownActive: rec.State.InHoldDown(time.Now()),
			Clusters: control.ClusterStatuses(d.clusters(), d.nodes, rec.State.Active, d.watcher.Snapshot())}
	}
	st.Fleet = c.fleet(ctx)
	return st, nil
}

// fleet is the fleet section of the status. Reads that fail leave their part empty:
// a status page must still answer while etcd is away.
func (c fleetController) fleet(ctx context.Context) *control.FleetStatus {
	d := c.d
	f := d.cfg.Fleet
	fs := &control.FleetStatus{Member: f.Name, Vantage: f.Vantage, Leading: d.member.IsLeader(), EpochAge: "-1"}
	if _, age := d.epoch.Record(); age >= 0 {
		fs.EpochAge = age.Round(time.Millisecond).String()
	}
	fs.Leader, _ = d.member.Leader(ctx)
	if ms, err := d.member.Members(ctx); err == nil {
		for _, m := range ms {
			fs.Members = append(fs.Members, control.FleetMember{Name: m.Name, Vantage: m.Vantage, Admin: m.Admin})
		}
	}
	if t := d.current(); t != nil {
		for _, v := range t.quorum.Views() {
			fs.Views = append(fs.Views, fleetView(v))
		}
		fs.Findings = t.quorum.Findings()
	}
	return fs
}

func fleetView(v fleet.View) control.FleetView {
	out := control.FleetView{Member: v.Member, Vantage: v.Vantage, At: v.At, Verdicts: map[string]health.Verdict{}}
	for name, o := range v.Clusters {
		out.Verdicts[name] = o.Verdict
	}
	return out
}

func (c fleetController) Endpoint(ctx context.Context) (control.Endpoint, error) {
	return c.d.epoch.Endpoint(ctx)
}

func (c fleetController) Events(ctx context.Context, after uint64, limit int) ([]state.Event, error) {
	return c.d.store.Events(ctx, after, limit)
}

// Command is taken by the leader's loop. A member that does not lead says which one
// does and where its admin API is, rather than forwarding: the operator sees exactly
// who decided.
func (c fleetController) Command(ctx context.Context, cmd decide.Command) (decide.Decision, error) {
	if t := c.d.current(); t != nil {
		return t.loop.Command(ctx, cmd)
	}
	return decide.Decision{}, c.notLeading(ctx, string(cmd.Kind))
}

// Reapply points every traffic target at the active cluster again, on the leader only:
// it alone acts.
func (c fleetController) Reapply(ctx context.Context, by string) ([]admin.TargetResult, error) {
	if t := c.d.current(); t != nil {
		return reapply(ctx, t.ex, by)
	}
	return nil, &admin.RefusedError{Code: "not_leader", Reason: c.notLeading(ctx, "reapply").Error()}
}

// notLeading says that this member does not lead, and where the leader's admin API is.
func (c fleetController) notLeading(ctx context.Context, what string) error {
	leader, err := c.d.member.Leader(ctx)
	if err != nil {
		return fmt.Errorf("fleet: no member leads now (%v); retry once one does (esdr status shows the leader)", err)
	}
	where := ""
	if ms, err := c.d.member.Members(ctx); err == nil {
		for _, m := range ms {
			if m.Name == leader && m.Admin != "" {
				where = " at " + m.Admin
			}
		}
	}
	return fmt.Errorf("fleet: this member (%s) does not lead; send %s to the leader %s%s", c.d.cfg.Fleet.Name, what, leader, where)
}

// adminURL is the admin API's URL as other members should use it: an unspecified host
// (0.0.0.0, ::) is replaced by this machine's host name.
func adminURL(listen string) string {
	if listen == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		if host, err = os.Hostname(); err != nil {
			return ""
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

// findingsEvery is how often the leader looks for new or cleared findings.
const findingsEvery = time.Second

// recordFindings turns each finding that appears or clears into a logged, stored event,
// so the timeline says why the leader did not fail over.
func recordFindings(ctx context.Context, q *fleet.QuorumObserver, st *state.Etcd, log *slog.Logger) error {
	seen := map[string]decide.Finding{}
	tick := time.NewTicker(findingsEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		now := map[string]decide.Finding{}
		var events []state.Event
		for _, f := range q.Findings() {
			key := string(f.Code) + "|" + f.Cluster + "|" + f.Vantage + "|" + f.Member
			now[key] = f
			if _, ok := seen[key]; !ok {
				log.Warn("fleet finding", "code", f.Code, "cluster", f.Cluster, "member", f.Member, "vantage", f.Vantage, "message", f.Message)
				events = append(events, state.Event{At: time.Now(), Kind: state.EventObserved, Code: f.Code, Cluster: f.Cluster, Message: f.Message})
			}
		}
		for key, f := range seen {
			if _, ok := now[key]; !ok {
				log.Info("fleet finding cleared", "code", f.Code, "member", f.Member)
				events = append(events, state.Event{At: time.Now(), Kind: state.EventObserved, Code: f.Code, Cluster: f.Cluster,
					Message: "cleared: " + f.Message})
			}
		}
		if len(events) == 0 {
			continue
		}
		if _, err := st.Append(ctx, events...); err != nil {
			log.Warn("fleet findings not stored; retrying", "err", err)
			continue // seen stays as it was, so the same events are tried again
		}
		seen = now
	}
}
