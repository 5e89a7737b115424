// Package elb points an Elastic Load Balancing listener (an ALB or an NLB) at the active
// cluster: each cluster's nodes are registered in a target group of their own, and a
// switch sets the listener's default action to forward to the active cluster's group
// (mode forward), or to forward to every group with weight 1 on the active one and 0 on
// the others (mode weights). Apply changes nothing when the listener already forwards
// as wanted, and reads the listener back after a change; Points reads where it forwards.
//
// A listener cannot hold an epoch: going backwards is prevented by act, which never
// applies a step of an old epoch, as for Route 53. esdr owns the listener's default
// action; rules of the listener are not touched.
package elb

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/esdr/esdr/internal/act"
)

// api is the part of the ELB client the target uses; the IAM policy in docs/aws.md
// grants exactly these three calls.
type api interface {
	DescribeListeners(ctx context.Context, in *elbv2.DescribeListenersInput, opts ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error)
	DescribeTargetGroups(ctx context.Context, in *elbv2.DescribeTargetGroupsInput, opts ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error)
	ModifyListener(ctx context.Context, in *elbv2.ModifyListenerInput, opts ...func(*elbv2.Options)) (*elbv2.ModifyListenerOutput, error)
}

// Target is the act.Target of one listener.
type Target struct {
	api      api
	listener string
	groups   map[string]string // cluster → target group ARN
	weights  bool
	region   string
}

// New checks c against the configured cluster names and returns its target. api is
// usually an *elasticloadbalancingv2.Client for c.Region() (see NewClient).
func New(api api, c Config, clusters []string) (*Target, error) {
	if ps := c.Check(clusters); len(ps) > 0 {
		return nil, fmt.Errorf("elb: %s", strings.Join(ps, "; "))
	}
	return &Target{api: api, listener: c.ListenerARN, groups: maps.Clone(c.TargetGroups),
		weights: c.Mode == ModeWeights, region: c.Region()}, nil
}

// Name implements act.Target: "elb:" and the listener's resource, e.g.
// "elb:listener/app/es/50dc6c495c0c9188/f2f7dc8efc522ab2".
func (t *Target) Name() string {
	_, res, _ := strings.Cut(t.listener, ":listener/")
	return "elb:listener/" + res
}

// Apply sets the listener's default action to forward to sw.To's target group (or to
// weight it 1 and the others 0), and reads the listener back. When it already forwards
// so, nothing is changed: no ModifyListener, no control-plane call that could fail
// during an outage besides the read. Before a change, every target group the action
// names is looked up, so a wrong ARN fails with its key before the listener is touched.
func (t *Target) Apply(ctx context.Context, sw act.Switch) error {
	if _, ok := t.groups[sw.To]; !ok {
		return fmt.Errorf("elb: target_groups.%s: no target group configured for cluster %s", sw.To, sw.To)
	}
	l, err := t.describe(ctx)
	if err != nil {
		return err
	}
	want := t.action(sw.To)
	if sameForward(l.DefaultActions, want) {
		return nil
	}
	if err := replaceable(l); err != nil {
		return err
	}
	if err := t.checkGroups(ctx, l, sw.To); err != nil {
		return err
	}
	if _, err := t.api.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(t.listener),
		DefaultActions: []types.Action{want}}); err != nil {
		return fmt.Errorf("elb: modify listener %s to forward to cluster %s: %w", t.listener, sw.To, err)
	}
	if l, err = t.describe(ctx); err != nil {
		return err
	}
	if !sameForward(l.DefaultActions, want) {
		return fmt.Errorf("elb: listener %s does not forward to cluster %s's target group after ModifyListener; it forwards %s",
			t.listener, sw.To, describeActions(l.DefaultActions))
	}
	return nil
}

// describe reads the listener. A listener that does not exist is an error naming the
// key, since no retry can fix it.
func (t *Target) describe(ctx context.Context) (types.Listener, error) {
	out, err := t.api.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{t.listener}})
	if nf := (*types.ListenerNotFoundException)(nil); errors.As(err, &nf) {
		return types.Listener{}, fmt.Errorf("elb: listener_arn: listener %s not found in region %s; check the ARN, and that the credentials are of its account", t.listener, t.region)
	}
	if err != nil {
		return types.Listener{}, fmt.Errorf("elb: describe listener %s: %w", t.listener, err)
	}
	for _, l := range out.Listeners {
		if aws.ToString(l.ListenerArn) == t.listener {
			return l, nil
		}
	}
	return types.Listener{}, fmt.Errorf("elb: listener_arn: listener %s not in the answer to DescribeListeners", t.listener)
}

// checkGroups looks up each target group the wanted action forwards to, one at a time
// so that a missing one is named by its cluster's key. A group attached to another load
// balancer cannot be attached to this listener: that is named too.
func (t *Target) checkGroups(ctx context.Context, l types.Listener, active string) error {
	clusters := []string{active}
	if t.weights {
		clusters = slices.Sorted(maps.Keys(t.groups))
	}
	lb := aws.ToString(l.LoadBalancerArn)
	for _, cl := range clusters {
		arn := t.groups[cl]
		out, err := t.api.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}})
		if nf := (*types.TargetGroupNotFoundException)(nil); errors.As(err, &nf) || (err == nil && len(out.TargetGroups) == 0) {
			return fmt.Errorf("elb: target_groups.%s: target group %s not found in region %s; check the ARN", cl, arn, t.region)
		}
		if err != nil {
			return fmt.Errorf("elb: target_groups.%s: describe target group %s: %w", cl, arn, err)
		}
		if lbs := out.TargetGroups[0].LoadBalancerArns; len(lbs) > 0 && !slices.Contains(lbs, lb) {
			return fmt.Errorf("elb: target_groups.%s: target group %s is attached to load balancer %s, not to this listener's %s; a target group serves one load balancer",
				cl, arn, lbs[0], lb)
		}
	}
	return nil
}
