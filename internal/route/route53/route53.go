// Package route53 points Amazon Route 53 at the active cluster, in one of two modes
// (pick one owner per record name; the modes cannot share one):
//
//   - Record: esdr owns a simple record (CNAME, A or alias) and UPSERTs it on failover,
//     then waits for the change to be INSYNC. Route 53 itself decides nothing.
//   - Failover: esdr creates and keeps in step a PRIMARY/SECONDARY failover record pair
//     and their Route 53 health checks, built from esdr's own health settings. Route 53
//     then fails over and back by itself in its data plane, which keeps working when the
//     control plane (us-east-1) does not; esdr's Apply only reconciles the pair and
//     reports drift, it never flips anything.
//
// Publisher optionally publishes each cluster's health as a CloudWatch metric, so that
// a CloudWatch-alarm health check can use esdr's in-VPC verdict instead of Route 53's
// internet checkers, which cannot reach private addresses or send credentials.
//
// Route 53 cannot hold an epoch next to a record: going backwards is prevented by act,
// which never applies a step of an old epoch.
package route53

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// Defaults applied to the Config fields left zero.
const (
	DefaultTTL         = 60
	DefaultSyncTimeout = 3 * time.Minute
	// defaultPoll is how often GetChange is asked; AWS changes take seconds to a minute.
	defaultPoll = 5 * time.Second
)

// recordAPI is the part of the Route 53 client record mode uses.
type recordAPI interface {
	ChangeResourceRecordSets(ctx context.Context, in *r53.ChangeResourceRecordSetsInput, opts ...func(*r53.Options)) (*r53.ChangeResourceRecordSetsOutput, error)
	GetChange(ctx context.Context, in *r53.GetChangeInput, opts ...func(*r53.Options)) (*r53.GetChangeOutput, error)
	ListResourceRecordSets(ctx context.Context, in *r53.ListResourceRecordSetsInput, opts ...func(*r53.Options)) (*r53.ListResourceRecordSetsOutput, error)
}

// changer applies a batch of record changes and waits until Route 53 reports them
// INSYNC (propagated to all its name servers), within timeout.
type changer struct {
	api     recordAPI
	zone    string
	timeout time.Duration
	poll    time.Duration
}

func (c changer) change(ctx context.Context, comment string, sets ...types.ResourceRecordSet) error {
	batch := &types.ChangeBatch{Comment: aws.String(truncate(comment, 256))}
	for i := range sets {
		batch.Changes = append(batch.Changes, types.Change{Action: types.ChangeActionUpsert, ResourceRecordSet: &sets[i]})
	}
	out, err := c.api.ChangeResourceRecordSets(ctx, &r53.ChangeResourceRecordSetsInput{HostedZoneId: &c.zone, ChangeBatch: batch})
	if err != nil {
		return fmt.Errorf("change records in zone %s: %w", c.zone, err)
	}
	if out.ChangeInfo == nil || out.ChangeInfo.Status == types.ChangeStatusInsync {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	id := out.ChangeInfo.Id
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("change %s not INSYNC within %s: %w", aws.ToString(id), c.timeout, ctx.Err())
		case <-time.After(c.poll):
		}
		got, err := c.api.GetChange(ctx, &r53.GetChangeInput{Id: id})
		if err != nil {
			return fmt.Errorf("get change %s: %w", aws.ToString(id), err)
		}
		if got.ChangeInfo != nil && got.ChangeInfo.Status == types.ChangeStatusInsync {
			return nil
		}
	}
}

// list returns the record sets named name of type typ (every set identifier of them).
func (c changer) list(ctx context.Context, name string, typ types.RRType) ([]types.ResourceRecordSet, error) {
	out, err := c.api.ListResourceRecordSets(ctx, &r53.ListResourceRecordSetsInput{
		HostedZoneId: &c.zone, StartRecordName: &name, StartRecordType: typ, MaxItems: aws.Int32(20),
	})
	if err != nil {
		return nil, fmt.Errorf("list records %s %s in zone %s: %w", name, typ, c.zone, err)
	}
	var sets []types.ResourceRecordSet
	for _, s := range out.ResourceRecordSets {
		if fqdn(aws.ToString(s.Name)) == fqdn(name) && s.Type == typ {
			sets = append(sets, s)
		}
	}
	if len(sets) == len(out.ResourceRecordSets) && out.IsTruncated {
		return nil, errors.New("more than 20 record sets share " + name + " " + string(typ) + "; not esdr's")
	}
	return sets, nil
}

// fqdn lowercases a DNS name and gives it its final dot, the form Route 53 answers in.
func fqdn(s string) string {
	s = strings.ToLower(s)
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
