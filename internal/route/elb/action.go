package elb

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// action is the default action that sends traffic to cluster: a forward to its target
// group, or in mode weights a forward to every group, weight 1 on cluster's and 0 on the
// others', with group stickiness off (on, clients would stay on the old group).
func (t *Target) action(cluster string) types.Action {
	if !t.weights {
		return types.Action{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(t.groups[cluster])}
	}
	fc := &types.ForwardActionConfig{TargetGroupStickinessConfig: &types.TargetGroupStickinessConfig{Enabled: aws.Bool(false)}}
	for _, cl := range slices.Sorted(maps.Keys(t.groups)) {
		w := int32(0)
		if cl == cluster {
			w = 1
		}
		fc.TargetGroups = append(fc.TargetGroups, types.TargetGroupTuple{TargetGroupArn: aws.String(t.groups[cl]), Weight: aws.Int32(w)})
	}
	return types.Action{Type: types.ActionTypeEnumForward, ForwardConfig: fc}
}

// weights returns the target groups a forward action names, with their weights: those of
// its ForwardConfig (a missing weight is AWS's default, 1), else its TargetGroupArn
// alone with weight 1. AWS answers a plain forward in both forms at once.
func weights(a types.Action) map[string]int32 {
	out := map[string]int32{}
	if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
		for _, tg := range a.ForwardConfig.TargetGroups {
			w := int32(1)
			if tg.Weight != nil {
				w = *tg.Weight
			}
			out[aws.ToString(tg.TargetGroupArn)] = w
		}
		return out
	}
	if a.TargetGroupArn != nil {
		out[*a.TargetGroupArn] = 1
	}
	return out
}

// sameForward reports whether the listener's default actions are exactly the one
// forward action want: the same target groups with the same weights and, for a weighted
// forward, stickiness off.
func sameForward(have []types.Action, want types.Action) bool {
	if len(have) != 1 || have[0].Type != types.ActionTypeEnumForward || !maps.Equal(weights(have[0]), weights(want)) {
		return false
	}
	return want.ForwardConfig == nil || !sticky(have[0])
}

func sticky(a types.Action) bool {
	fc := a.ForwardConfig
	return fc != nil && fc.TargetGroupStickinessConfig != nil && aws.ToBool(fc.TargetGroupStickinessConfig.Enabled)
}

// serving returns the target groups that get traffic (a positive weight) when the
// listener's default action is one forward; none otherwise.
func serving(have []types.Action) []string {
	if len(have) != 1 || have[0].Type != types.ActionTypeEnumForward {
		return nil
	}
	var out []string
	for arn, w := range weights(have[0]) {
		if w > 0 {
			out = append(out, arn)
		}
	}
	slices.Sort(out)
	return out
}

// replaceable refuses a listener whose default actions include one that esdr, by
// replacing them with a forward, would drop unseen: authentication (its client secret
// cannot be read back to be sent again) or JWT validation. A redirect or a fixed
// response is where traffic goes, which esdr owns: it is replaced.
func replaceable(l types.Listener) error {
	for _, a := range l.DefaultActions {
		switch a.Type {
		case types.ActionTypeEnumForward, types.ActionTypeEnumRedirect, types.ActionTypeEnumFixedResponse:
		default:
			return fmt.Errorf("elb: listener_arn: listener %s has a default action %s, which esdr would drop by replacing the default actions with a forward; esdr switches listeners whose default actions are forward, redirect or fixed-response only",
				aws.ToString(l.ListenerArn), a.Type)
		}
	}
	return nil
}

// describeActions renders default actions for an error message.
func describeActions(as []types.Action) string {
	var parts []string
	for _, a := range as {
		s := string(a.Type)
		if a.Type == types.ActionTypeEnumForward {
			var tgs []string
			for _, arn := range slices.Sorted(maps.Keys(weights(a))) {
				tgs = append(tgs, fmt.Sprintf("%s=%d", arn, weights(a)[arn]))
			}
			s += " " + strings.Join(tgs, ",")
			if sticky(a) {
				s += " (sticky)"
			}
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, "; ")
}
