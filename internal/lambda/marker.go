package lambda

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/esdr/esdr/internal/decide"
)

// markerAPI is the part of the Route 53 client the state marker uses.
type markerAPI interface {
	ChangeResourceRecordSets(ctx context.Context, in *r53.ChangeResourceRecordSetsInput, opts ...func(*r53.Options)) (*r53.ChangeResourceRecordSetsOutput, error)
	ListResourceRecordSets(ctx context.Context, in *r53.ListResourceRecordSetsInput, opts ...func(*r53.Options)) (*r53.ListResourceRecordSetsOutput, error)
}

// marker keeps the function's memory between invocations in a TXT record beside the
// record it owns: `_esdr.<name>` holding "esdr epoch=N active=CLUSTER hold_down_until=T".
// The traffic record itself says where traffic goes; the marker adds what a record
// cannot hold: the epoch (fencing token) and the anti-flap hold-down. It lives in the
// same zone, so the function's IAM policy covers it without another service.
type marker struct {
	api  markerAPI
	zone string
	name string // _esdr.<record>.
}

func newMarker(api markerAPI, zone, record string) marker {
	record = strings.ToLower(strings.TrimSuffix(record, ".")) + "."
	return marker{api: api, zone: strings.TrimPrefix(zone, "/hostedzone/"), name: "_esdr." + record}
}

// load returns the stored state, or ok=false when there is no marker yet.
func (m marker) load(ctx context.Context) (s decide.State, ok bool, err error) {
	out, err := m.api.ListResourceRecordSets(ctx, &r53.ListResourceRecordSetsInput{HostedZoneId: &m.zone,
		StartRecordName: &m.name, StartRecordType: types.RRTypeTxt, MaxItems: aws.Int32(1)})
	if err != nil {
		return s, false, fmt.Errorf("lambda: read state marker %s: %w", m.name, err)
	}
	for _, rs := range out.ResourceRecordSets {
		if strings.EqualFold(aws.ToString(rs.Name), m.name) && rs.Type == types.RRTypeTxt && len(rs.ResourceRecords) == 1 {
			s, err := parseMarker(aws.ToString(rs.ResourceRecords[0].Value))
			if err != nil {
				return s, false, fmt.Errorf("lambda: state marker %s: %w", m.name, err)
			}
			return s, true, nil
		}
	}
	return s, false, nil
}

// store writes s, after the traffic record was switched: a crash in between leaves the
// old marker, and the next event re-runs the same transition, whose switch is then a
// no-op because the record already points at the new cluster.
func (m marker) store(ctx context.Context, s decide.State) error {
	v := strconv.Quote(formatMarker(s))
	_, err := m.api.ChangeResourceRecordSets(ctx, &r53.ChangeResourceRecordSetsInput{HostedZoneId: &m.zone,
		ChangeBatch: &types.ChangeBatch{Comment: aws.String(fmt.Sprintf("esdr epoch %d", s.Epoch)), Changes: []types.Change{{
			Action: types.ChangeActionUpsert,
			ResourceRecordSet: &types.ResourceRecordSet{Name: &m.name, Type: types.RRTypeTxt, TTL: aws.Int64(60),
				ResourceRecords: []types.ResourceRecord{{Value: &v}}},
		}}}})
	if err != nil {
		return fmt.Errorf("lambda: write state marker %s: %w", m.name, err)
	}
	return nil
}

func formatMarker(s decide.State) string {
	out := fmt.Sprintf("esdr epoch=%d active=%s", s.Epoch, s.Active)
	if !s.HoldDownUntil.IsZero() {
		out += " hold_down_until=" + s.HoldDownUntil.UTC().Format(time.RFC3339)
	}
	return out
}

func parseMarker(v string) (decide.State, error) {
	if u, err := strconv.Unquote(v); err == nil {
		v = u
	}
	f := strings.Fields(v)
	if len(f) == 0 || f[0] != "esdr" {
		return decide.State{}, fmt.Errorf("%q is not esdr's, want \"esdr epoch=N active=CLUSTER\"", truncate(v, 80))
	}
	var s decide.State
	for _, kv := range f[1:] {
		k, val, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "epoch":
			s.Epoch, err = strconv.ParseUint(val, 10, 64)
		case "active":
			s.Active = val
		case "hold_down_until":
			s.HoldDownUntil, err = time.Parse(time.RFC3339, val)
		}
		if err != nil {
			return decide.State{}, fmt.Errorf("%s: %w", k, err)
		}
	}
	if !s.Initialized() {
		return decide.State{}, fmt.Errorf("%q has no epoch or active cluster", truncate(v, 80))
	}
	return s, nil
}
