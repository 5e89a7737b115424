package route53

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/esdr/esdr/internal/act"
)

// failoverAPI is the part of the Route 53 client mode failover-records uses.
type failoverAPI interface {
	recordAPI
	healthAPI
}

// Drift is one difference found between Route 53 and the configuration, and put back.
type Drift struct {
	// Item is what drifted, e.g. "health check PRIMARY (id)" or "record SECONDARY".
	Item string
	// What says how, e.g. `failure_threshold "5", want "3"`, or "missing".
	What string
}

func (d Drift) String() string { return d.Item + ": " + d.What }

// Failover is the act.Target of mode failover-records. Route 53 flips the pair by itself
// from its health checks, so Apply does not flip: it reconciles the pair (whatever sw
// says) and leaves the choice to Route 53. Call Reconcile on a timer too, to repair
// drift between failovers.
type Failover struct {
	cfg     FailoverConfig
	api     failoverAPI
	ch      changer
	onDrift func([]Drift)
}

// NewFailover checks c against the configured cluster names and returns its target.
// onDrift, if not nil, is told of every drift found and repaired (for events, logs and
// metrics). api is usually a *route53.Client (see NewClients).
func NewFailover(api failoverAPI, c FailoverConfig, clusters []string, onDrift func([]Drift)) (*Failover, error) {
	if ps, _ := c.Check(clusters); len(ps) > 0 {
		return nil, fmt.Errorf("route53: %s", strings.Join(ps, "; "))
	}
	c = c.withDefaults()
	c.Name, c.HostedZoneID = fqdn(c.Name), zoneID(c.HostedZoneID)
	timeout := c.SyncTimeout
	if timeout == 0 {
		timeout = DefaultSyncTimeout
	}
	return &Failover{cfg: c, api: api, onDrift: onDrift,
		ch: changer{api: api, zone: c.HostedZoneID, timeout: timeout, poll: defaultPoll}}, nil
}

// Name implements act.Target.
func (f *Failover) Name() string { return "route53-failover:" + f.cfg.Name }

// Apply reconciles the failover pair; see Failover.
func (f *Failover) Apply(ctx context.Context, _ act.Switch) error {
	drift, err := f.Reconcile(ctx)
	if len(drift) > 0 && f.onDrift != nil {
		f.onDrift(drift)
	}
	return err
}

// role is one half of the pair.
type role struct {
	failover types.ResourceRecordSetFailover
	cluster  string
}

func (f *Failover) setID(r role) string {
	return "esdr-" + strings.ToLower(string(r.failover)) + "-" + f.cfg.Name
}

// Reconcile makes Route 53 hold the configured pair: each record with its data, TTL and
// its own health check, each check with the configured semantics. It returns what it
// found different (and put back). Checks whose type or interval changed cannot be
// updated in place: a new check is created, the record repointed, the old one deleted.
func (f *Failover) Reconcile(ctx context.Context) ([]Drift, error) {
	sets, err := f.ch.list(ctx, f.cfg.Name, types.RRType(f.cfg.Type))
	if err != nil {
		return nil, fmt.Errorf("route53: %w", err)
	}
	var drift []Drift
	var upserts []types.ResourceRecordSet
	var retired []string
	for _, r := range []role{{types.ResourceRecordSetFailoverPrimary, f.cfg.Primary}, {types.ResourceRecordSetFailoverSecondary, f.cfg.Secondary}} {
		var have *types.ResourceRecordSet
		for i, s := range sets {
			switch id := aws.ToString(s.SetIdentifier); {
			case id == f.setID(r):
				have = &sets[i]
			case id == "" || !strings.HasPrefix(id, "esdr-"):
				return drift, fmt.Errorf("route53: %s %s has a record esdr does not own (set identifier %q); mode failover-records needs the name to itself",
					f.cfg.Name, f.cfg.Type, id)
			}
		}
		var hcID string
		if have != nil {
			hcID = aws.ToString(have.HealthCheckId)
		}
		newID, d, err := f.healthCheck(ctx, r, hcID)
		drift = append(drift, d...)
		if err != nil {
			return drift, fmt.Errorf("route53: %w", err)
		}
		if newID != hcID && hcID != "" {
			retired = append(retired, hcID)
		}
		want := types.ResourceRecordSet{
			Name: aws.String(f.cfg.Name), Type: types.RRType(f.cfg.Type), TTL: aws.Int64(f.cfg.TTL),
			SetIdentifier: aws.String(f.setID(r)), Failover: r.failover, HealthCheckId: aws.String(newID),
			ResourceRecords: resourceRecords(f.cfg.Type, f.cfg.Values[r.cluster]),
		}
		if have == nil || !sameSet(*have, want) {
			what := "missing"
			if have != nil {
				what = fmt.Sprintf("data %v ttl %d health check %s, want %v ttl %d health check %s", recordData(*have),
					aws.ToInt64(have.TTL), aws.ToString(have.HealthCheckId), recordData(want), f.cfg.TTL, newID)
			}
			drift = append(drift, Drift{Item: "record " + string(r.failover), What: what})
			upserts = append(upserts, want)
		}
	}
	if len(upserts) > 0 {
		if err := f.ch.change(ctx, "esdr: reconcile failover records", upserts...); err != nil {
			return drift, fmt.Errorf("route53: %s: %w", f.cfg.Name, err)
		}
	}
	for _, id := range retired {
		_, err := f.api.DeleteHealthCheck(ctx, &r53.DeleteHealthCheckInput{HealthCheckId: aws.String(id)})
		if gone := (*types.NoSuchHealthCheck)(nil); err != nil && !errors.As(err, &gone) {
			return drift, fmt.Errorf("route53: delete replaced health check %s: %w", id, err)
		}
	}
	return drift, nil
}

// healthCheck returns the ID of a health check for r with the configured semantics:
// id itself, updated if it drifted, or a new one if id is empty, gone or not updatable.
func (f *Failover) healthCheck(ctx context.Context, r role, id string) (string, []Drift, error) {
	item := "health check " + string(r.failover)
	owner := f.cfg.HostedZoneID + "/" + f.setID(r)
	want := f.cfg.HealthCheck.spec(f.cfg.CheckHosts[r.cluster])
	if id == "" {
		newID, err := createHealthCheck(ctx, f.api, owner, want)
		return newID, []Drift{{Item: item, What: "missing"}}, err
	}
	item += " (" + id + ")"
	out, err := f.api.GetHealthCheck(ctx, &r53.GetHealthCheckInput{HealthCheckId: aws.String(id)})
	if gone := (*types.NoSuchHealthCheck)(nil); errors.As(err, &gone) {
		newID, err := createHealthCheck(ctx, f.api, owner, want)
		return newID, []Drift{{Item: item, What: "deleted"}}, err
	}
	if err != nil {
		return id, nil, fmt.Errorf("get health check %s: %w", id, err)
	}
	var got types.HealthCheckConfig
	if out.HealthCheck != nil && out.HealthCheck.HealthCheckConfig != nil {
		got = *out.HealthCheck.HealthCheckConfig
	}
	diffs, replace := diff(want, got)
	if len(diffs) == 0 {
		return id, nil, nil
	}
	drift := []Drift{{Item: item, What: strings.Join(diffs, ", ")}}
	if replace {
		newID, err := createHealthCheck(ctx, f.api, owner, want)
		return newID, drift, err
	}
	return id, drift, updateHealthCheck(ctx, f.api, id, out.HealthCheck.HealthCheckVersion, want)
}
