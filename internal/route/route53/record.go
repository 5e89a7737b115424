package route53

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/esdr/esdr/internal/act"
)

// Record is the act.Target of mode record: one simple record that esdr alone changes.
type Record struct {
	cfg RecordConfig
	ch  changer
}

// NewRecord checks c against the configured cluster names and returns its target;
// warnings are the caller's to report. api is usually a *route53.Client (see NewClients).
func NewRecord(api recordAPI, c RecordConfig, clusters []string) (*Record, error) {
	if ps, _ := c.Check(clusters); len(ps) > 0 {
		return nil, fmt.Errorf("route53: %s", strings.Join(ps, "; "))
	}
	c.Name, c.HostedZoneID = fqdn(c.Name), zoneID(c.HostedZoneID)
	if c.TTL == 0 && !c.Alias {
		c.TTL = DefaultTTL
	}
	timeout := c.SyncTimeout
	if timeout == 0 {
		timeout = DefaultSyncTimeout
	}
	c.Values, c.AliasZoneIDs = maps.Clone(c.Values), maps.Clone(c.AliasZoneIDs)
	return &Record{cfg: c, ch: changer{api: api, zone: c.HostedZoneID, timeout: timeout, poll: defaultPoll}}, nil
}

// Name implements act.Target.
func (r *Record) Name() string { return "route53:" + r.cfg.Name }

// Apply UPSERTs the record to point at sw.To and waits until the change is INSYNC. When
// the record already points there, nothing is changed (no ChangeResourceRecordSets, so
// no change to wait for and no control-plane call that could fail during an outage).
// The record is read back afterwards.
func (r *Record) Apply(ctx context.Context, sw act.Switch) error {
	want, err := r.desired(sw.To)
	if err != nil {
		return err
	}
	ok, err := r.matches(ctx, want)
	if err != nil || ok {
		return err
	}
	comment := fmt.Sprintf("esdr epoch %d: %s -> %s: %s", sw.Epoch, sw.From, sw.To, sw.Reason)
	if err := r.ch.change(ctx, comment, want); err != nil {
		return fmt.Errorf("route53: %s: %w", r.cfg.Name, err)
	}
	ok, err = r.matches(ctx, want)
	if err == nil && !ok {
		err = fmt.Errorf("route53: %s does not point at cluster %s after an INSYNC change", r.cfg.Name, sw.To)
	}
	return err
}

// desired builds the record set that points at cluster.
func (r *Record) desired(cluster string) (types.ResourceRecordSet, error) {
	vals, ok := r.cfg.Values[cluster]
	if !ok {
		return types.ResourceRecordSet{}, fmt.Errorf("route53: %s: no values configured for cluster %q", r.cfg.Name, cluster)
	}
	set := types.ResourceRecordSet{Name: aws.String(r.cfg.Name), Type: types.RRType(r.cfg.Type)}
	if r.cfg.Alias {
		zone := r.cfg.AliasZoneIDs[cluster]
		if zone == "" {
			zone = r.cfg.HostedZoneID
		}
		set.AliasTarget = &types.AliasTarget{DNSName: aws.String(fqdn(vals[0])), HostedZoneId: aws.String(zone),
			EvaluateTargetHealth: r.cfg.EvaluateTargetHealth}
		return set, nil
	}
	set.TTL = aws.Int64(r.cfg.TTL)
	set.ResourceRecords = resourceRecords(r.cfg.Type, vals)
	return set, nil
}

func resourceRecords(typ string, vals []string) []types.ResourceRecord {
	out := make([]types.ResourceRecord, len(vals))
	for i, v := range vals {
		if typ == "CNAME" {
			v = fqdn(v)
		}
		out[i] = types.ResourceRecord{Value: aws.String(v)}
	}
	return out
}

// matches reports whether the zone holds exactly want under the record's name and type.
// A failover or weighted record of the same name means another owner: an error.
func (r *Record) matches(ctx context.Context, want types.ResourceRecordSet) (bool, error) {
	sets, err := r.ch.list(ctx, r.cfg.Name, want.Type)
	if err != nil {
		return false, fmt.Errorf("route53: %w", err)
	}
	for _, s := range sets {
		if s.SetIdentifier != nil {
			return false, fmt.Errorf("route53: %s %s has routing-policy records (set identifier %q); mode record needs a simple record that only esdr changes",
				r.cfg.Name, want.Type, aws.ToString(s.SetIdentifier))
		}
	}
	return len(sets) == 1 && sameSet(sets[0], want), nil
}

// sameSet compares what esdr sets in a record: TTL, data (as a set) or alias target,
// and the failover role and health check.
func sameSet(a, b types.ResourceRecordSet) bool {
	if aws.ToInt64(a.TTL) != aws.ToInt64(b.TTL) || a.Failover != b.Failover ||
		aws.ToString(a.HealthCheckId) != aws.ToString(b.HealthCheckId) || (a.AliasTarget == nil) != (b.AliasTarget == nil) {
		return false
	}
	if a.AliasTarget != nil {
		x, y := a.AliasTarget, b.AliasTarget
		return fqdn(aws.ToString(x.DNSName)) == fqdn(aws.ToString(y.DNSName)) &&
			aws.ToString(x.HostedZoneId) == aws.ToString(y.HostedZoneId) && x.EvaluateTargetHealth == y.EvaluateTargetHealth
	}
	return slices.Equal(recordData(a), recordData(b))
}

func recordData(s types.ResourceRecordSet) []string {
	out := make([]string, len(s.ResourceRecords))
	for i, rr := range s.ResourceRecords {
		out[i] = strings.ToLower(aws.ToString(rr.Value))
		if s.Type == types.RRTypeCname {
			out[i] = fqdn(out[i])
		}
	}
	slices.Sort(out)
	return out
}
