package daemon

import (
	"context"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/fleet"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/state"
)

// fleet is the fleet section of the status. Reads that fail leave their part empty:
// a status page must still answer while etcd is away.
func (c controller) fleet(ctx context.Context) *admin.FleetStatus {
	d := c.d
	f := d.cfg.Fleet
	fs := &admin.FleetStatus{Member: f.Name, Vantage: f.Vantage, Leading: d.member.IsLeader(), EpochAge: "-1"}
	if _, age := d.epochs.Record(); age >= 0 {
		fs.EpochAge = age.Round(time.Millisecond).String()
	}
	fs.Leader, _ = d.member.Leader(ctx)
	if ms, err := d.member.Members(ctx); err == nil {
		for _, m := range ms {
			fs.Members = append(fs.Members, admin.FleetMember{Name: m.Name, Vantage: m.Vantage, Admin: m.Admin, Proxy: m.Proxy})
		}
	}
	if t := d.current(); t != nil && t.quorum != nil {
		for _, v := range t.quorum.Views() {
			fs.Views = append(fs.Views, fleetView(v))
		}
		fs.Findings = t.quorum.Findings()
	}
	return fs
}

func fleetView(v fleet.View) admin.FleetView {
	out := admin.FleetView{Member: v.Member, Vantage: v.Vantage, At: v.At, Verdicts: map[string]health.Verdict{}}
	for name, o := range v.Clusters {
		out.Verdicts[name] = o.Verdict
	}
	return out
}

// listenerURL is a listener's URL as other members and operators should use it:
// https:// when it serves TLS, and an unspecified host (0.0.0.0, ::) replaced by this
// machine's host name (the name its certificate should carry).
func listenerURL(listen string, tls bool) string {
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
	scheme := "http://"
	if tls {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(host, port)
}

// findingsEvery is how often the leader looks for new or cleared findings.
const findingsEvery = time.Second

// finder names what the term's views find worth telling (a member partitioned from the
// primary, no quorum of fresh views); a fleet of one finds nothing.
type finder interface{ Findings() []decide.Finding }

// recordFindings turns each finding that appears or clears into a logged, stored event,
// so the timeline says why the leader did not fail over.
func recordFindings(ctx context.Context, q finder, st eventAppender, log *slog.Logger) error {
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
