package daemon

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/fleet"
	"github.com/esdr/esdr/internal/state"
)

// ForgetMirror gives up what a fleet member's mirror journal owes (esdr mirror forget):
// its report is deleted from etcd, so that neither the leader's failover bound nor any
// member's gate waits for it any more. Only a member that is not alive can be
// forgotten — a live one reports on its own — and the writes given up are recorded as an
// event.
func (c controller) ForgetMirror(ctx context.Context, req admin.ForgetRequest) (admin.ForgetAnswer, error) {
	d := c.d
	switch {
	case d.mirror == nil:
		return admin.ForgetAnswer{}, &admin.RefusedError{Code: "mirror_off",
			Reason: "mirror mode is off: there is no member's journal to forget (see the mirror block of the configuration)"}
	case d.member == nil:
		return admin.ForgetAnswer{}, &admin.RefusedError{Code: "not_fleet",
			Reason: "esdr mirror forget is for a fleet, whose members journal on their own disks; this esdr runs alone"}
	}
	members, err := d.member.Members(ctx)
	if err != nil {
		return admin.ForgetAnswer{}, fmt.Errorf("mirror forget: list the live members: %w", err)
	}
	if slices.ContainsFunc(members, func(m fleet.Info) bool { return m.Name == req.Member }) {
		return admin.ForgetAnswer{}, &admin.RefusedError{Code: admin.CodeMemberAlive, Reason: fmt.Sprintf(
			"esdr member %s is alive: its report follows its journal, which it replays itself; only a member whose host is gone for good can be forgotten", req.Member)}
	}
	reports, err := d.member.MirrorReports(ctx)
	if err != nil {
		return admin.ForgetAnswer{}, fmt.Errorf("mirror forget: read the reports: %w", err)
	}
	i := slices.IndexFunc(reports, func(r fleet.MirrorReport) bool { return r.Member == req.Member })
	if i < 0 {
		return admin.ForgetAnswer{}, &admin.RefusedError{Code: "unknown_member", Reason: fmt.Sprintf(
			"no mirror report of a member named %s (esdr status lists the reports)", req.Member)}
	}
	r := reports[i]
	if _, err := d.member.ForgetMirror(ctx, r.Member); err != nil {
		return admin.ForgetAnswer{}, err
	}
	a := admin.ForgetAnswer{Member: r.Member, Owed: r.Owes, Epoch: r.Epoch, Reported: time.Since(r.At).Round(time.Second).String()}
	ev := state.Event{At: time.Now(), Kind: state.EventCommand, Message: fmt.Sprintf(
		"mirror: the journal of esdr member %s FORGOTTEN by %s: the writes it owed when it last reported (%s ago, at epoch %d: %s) "+
			"are given up for the clusters that lacked them", r.Member, req.By, a.Reported, r.Epoch, fleet.OwedText(r.Owes))}
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := d.store.Append(actx, ev); err != nil {
		d.log.Error("mirror: recording the forget as an event failed", "event", ev.Message, "err", err)
		a.Warning = fmt.Sprintf("the member was forgotten but its event could not be recorded (%v); esdr's log has it", err)
	}
	d.log.Warn(ev.Message)
	return a, nil
}
